// A small fleet for the dashboard's browser tests, put into a real cloud store through the store's
// own methods (as ingest would): two gateways (one online with a backlog and a loss ledger, one
// offline), three devices, half an hour of 10-second window summaries of two metrics with model
// scores for one of them (rising into an anomaly at the end), an alert raised by that anomaly and
// the flight recorder's raw readings around it.

import type { CloudAlertEvent, CloudStore, StoredSummary } from '../../cloud/store/contract.js';
import { alertId } from '../../edge/alert/occurrence.js';
import type { Summary } from '../../edge/features/summary.js';
import { snippetParts } from './snippet-parts.js';
import { prng } from './prng.js';
import { windowSummary } from './summaries.js';

export const WINDOW_MS = 10_000;
export const THRESHOLD = 0.8;

export interface SeededFleet {
  /** Start of the newest window seeded (ms). */
  readonly lastStart: number;
  /** The newest summary of pump-7's vib_rms. */
  readonly lastVibration: Summary;
  /** The alert the anomaly raised (open, with raw readings). */
  readonly alert: CloudAlertEvent;
  readonly windows: number;
}

/** pump-7's summaries of one window: vib_rms and bearing_temp, with the model's score. */
export function pumpWindow(start: number, i: number, total: number, random: () => number): Summary[] {
  const anomaly = i >= total - 18; // the last 3 minutes
  const vib = (anomaly ? 4.2 : 2) + (random() - 0.5) * 0.4;
  const temp = 55 + i * 0.01 + (random() - 0.5);
  const score = { model: 'motor', version: '3', value: (anomaly ? 1.3 : 0.25) + (random() - 0.5) * 0.2, threshold: THRESHOLD };
  const values = (level: number, spread: number) => Array.from({ length: 10 }, () => level + (random() - 0.5) * spread);
  return [
    { ...windowSummary({ device: 'pump-7', metric: 'vib_rms', start, size: WINDOW_MS, values: values(vib, 0.6) }), score },
    { ...windowSummary({ device: 'pump-7', metric: 'bearing_temp', start, size: WINDOW_MS, values: values(temp, 0.8) }), score },
  ];
}

export async function seedFleet(store: CloudStore, now: number): Promise<SeededFleet> {
  const random = prng(7);
  const windows = 180;
  const lastStart = Math.floor((now - WINDOW_MS) / WINDOW_MS) * WINDOW_MS;
  const firstStart = lastStart - (windows - 1) * WINDOW_MS;
  const summaries: Summary[] = [];
  for (let i = 0; i < windows; i++) summaries.push(...pumpWindow(firstStart + i * WINDOW_MS, i, windows, random));
  for (let i = 0; i < 30; i++) summaries.push(windowSummary({ device: 'pump-8', metric: 'vib_rms', start: lastStart - i * WINDOW_MS, size: WINDOW_MS, values: [1.8, 2.1, 1.9] }));
  await store.ingestSummaries(summaries);

  await store.upsertGateways([
    { id: 'gw-1', lastSeen: now - 4000, backlog: 12, lossLedger: { lossSince: now - 86_400_000, loss: [{ class: 'raw', reason: 'evicted', items: 3, bytes: 6144, lastAt: now - 3_600_000 }] } },
    { id: 'gw-2', lastSeen: now - 20 * 60_000, backlog: 0, lossLedger: { lossSince: now - 86_400_000, loss: [] } },
  ]);
  await store.upsertDevices([
    { id: 'pump-7', gateway: 'gw-1', lastSeen: now - 5000 },
    { id: 'pump-8', gateway: 'gw-1', lastSeen: now - 5000 },
    { id: 'fan-1', gateway: 'gw-2', lastSeen: now - 20 * 60_000 },
  ]);

  const raisedAt = lastStart - 15 * WINDOW_MS + WINDOW_MS;
  const alert: CloudAlertEvent = {
    id: alertId('gw-1', 'pump-7', 'motor-anomaly', raisedAt),
    revision: 0,
    state: 'raised',
    gateway: 'gw-1',
    device: 'pump-7',
    rule: 'motor-anomaly',
    ruleType: 'score',
    severity: 'warning',
    raisedAt,
    at: raisedAt,
    emittedAt: raisedAt + 40,
    message: 'anomaly score 1.31 above 0.8 in 3 of the last 3 windows',
    evidence: { rule: { type: 'score', above: THRESHOLD }, score: { model: 'motor', version: '3', value: 1.31, threshold: THRESHOLD }, features: { 'vib_rms.mean': 4.3, 'bearing_temp.mean': 56.4 } },
  };
  await store.upsertAlerts([alert]);
  // 30 s of raw readings on each side, 10 per second, cut into parts as the gateway cuts them.
  const readings = Array.from({ length: 600 }, (_, i) => {
    const ts = raisedAt - 30_000 + i * 100;
    const level = ts < raisedAt - 5000 ? 2 : 4.2;
    return { device: 'pump-7', ts, receivedAt: ts + 2, tsFromArrival: false, values: { vib_rms: level + Math.sin(i / 3) * 0.5 + (random() - 0.5) * 0.3, bearing_temp: 56 + i * 0.002 } };
  });
  await store.putRawSnippets(snippetParts({ gateway: 'gw-1', device: 'pump-7', alert: alert.id, from: raisedAt - 30_000, to: raisedAt + 30_000 }, readings, 16 * 1024));
  const lastVibration = summaries.filter((s) => s.device === 'pump-7' && s.metric === 'vib_rms').at(-1)!;
  return { lastStart, lastVibration, alert, windows };
}

/** A summary as the store keeps it (what ingest announces on the bus). */
export const stored = (s: Summary, receivedAt: number): StoredSummary => ({ ...s, site: 'gw-1', line: 'default', rolledUp: true, receivedAt });
