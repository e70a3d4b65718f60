// Example items of every uplink class, built the way the gateway builds them (real summary ids,
// features derived from partials), for protocol and uplink tests.

import type { AlertEvent } from '../../edge/alert/alert.js';
import { addValue, deriveFeatures, emptyPartials } from '../../edge/features/partials.js';
import { summaryId, type Summary } from '../../edge/features/summary.js';
import { rawSnippetId, statusId, type RawSnippet, type StatusReport } from '../../edge/uplink/protocol.js';

export const T = Date.UTC(2024, 10, 24, 12, 0, 0);

/** A tumbling-window summary of `values` (one per second from T + start). */
export function exampleSummary(gateway: string, device: string, start = 0, values: readonly number[] = [1, 2, 3], revision = 0): Summary {
  const p = emptyPartials(T + start);
  values.forEach((v, i) => addValue(p, T + start + i * 1000, v));
  return {
    id: summaryId(gateway, device, 'temp', 'tumbling', T + start, 10_000),
    revision,
    gateway,
    device,
    metric: 'temp',
    window: { kind: 'tumbling', start: T + start, end: T + start + 10_000, size: 10_000 },
    features: deriveFeatures(p),
    partials: p,
    emittedAt: T + start + 12_000,
  };
}

export function exampleAlert(gateway: string, device: string, revision = 0): AlertEvent {
  return {
    id: 'a'.repeat(32),
    revision,
    state: revision === 0 ? 'raised' : 'updated',
    gateway,
    device,
    rule: 'hot-bearing',
    ruleType: 'threshold',
    severity: 'critical',
    raisedAt: T + 60_000,
    at: T + 60_000 + revision * 10_000,
    emittedAt: T + 61_000,
    message: 'bearing_temp.mean 91.5 > 90 in 3 of 3 windows',
    evidence: {
      rule: { type: 'threshold', feature: 'bearing_temp.mean', above: 90 },
      window: { kind: 'tumbling', start: T + 50_000, end: T + 60_000, size: 10_000 },
      features: { 'bearing_temp.mean': 91.5 },
      bad: 3,
    },
  };
}

/** A `reading-threshold` alert: raised by one reading, so its evidence names the reading, not a window. */
export function exampleReadingAlert(gateway: string, device: string): AlertEvent {
  return {
    id: 'b'.repeat(32),
    revision: 0,
    state: 'raised',
    gateway,
    device,
    rule: 'vib-spike',
    ruleType: 'reading-threshold',
    severity: 'warning',
    raisedAt: T + 3_000,
    at: T + 3_000,
    emittedAt: T + 3_050,
    message: 'vib_rms 4 > 2.8; bad 1 reading in a row',
    evidence: {
      rule: { type: 'reading-threshold', name: 'vib-spike', metric: 'vib_rms', above: 2.8, raiseAfter: 1, clearAfter: 1, severity: 'warning' },
      reading: { ts: T + 3_000, receivedAt: T + 3_040 },
      features: { vib_rms: 4 },
      bad: 1,
      good: 0,
      computed: { excess: 1.2, reported: 1.2 },
    },
  };
}

export function exampleRaw(gateway: string, device: string, alertId = 'a'.repeat(32), part = 0): RawSnippet {
  return {
    id: rawSnippetId(gateway, device, alertId, part),
    revision: 0,
    gateway,
    device,
    alert: alertId,
    part,
    parts: 1,
    from: T,
    to: T + 2000,
    readings: [
      { ts: T, receivedAt: T + 5, values: { temp: 71.2, vib_rms: 0.41 } },
      { ts: T + 1000, receivedAt: T + 1000, tsFromArrival: true, values: { temp: -1e300 } },
    ],
  };
}

export function exampleStatus(gateway: string, seq: number): StatusReport {
  const empty = { items: 0, bytes: 0, oldestAt: null };
  return {
    id: statusId(gateway, seq),
    revision: 0,
    gateway,
    seq,
    at: T + seq * 60_000,
    backlog: { alert: empty, summary: { items: 120, bytes: 96_000, oldestAt: T }, raw: empty, status: empty },
    budget: { bytes: 64 << 20, used: 96_000 },
    lossSince: T,
    loss: [{ class: 'raw', reason: 'evicted', items: 3, bytes: 12_000, lastAt: T + 30_000 }],
    oldestUnsentAgeMs: seq * 60_000,
  };
}
