// The simulator's bearing-wear failure, end to end on a fake clock: simulated motor readings →
// the real window engine (1 min tumbling) → window observations → detectors and alert rules.
// Wear is caught before the failure's end; healthy motors raise nothing on the vibration limit.

import { describe, expect, it } from 'vitest';
import type { AlertEvent, WindowObservation } from '../../edge/alert/alert.js';
import { AlertEngine } from '../../edge/alert/engine.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { validateAnalysisConfig } from '../../edge/config/analysis-load.js';
import type { Summary } from '../../edge/features/summary.js';
import { createWindowEngine } from '../../edge/window/engine.js';
import { validateScenario } from '../../devices/scenario/load.js';
import { planFleet } from '../../devices/scenario/plan.js';
import { SimulatedDevice } from '../../devices/simulated-device.js';

const MINUTE = 60_000;
const WINDOW = { kind: 'tumbling', sizeMs: MINUTE } as const;
const WEAR = { startMs: 180 * MINUTE, durationMs: 30 * MINUTE };

/** Four motors at 1 reading/s for four hours; m-002's bearing wears out from minute 180 to 210. */
function simulate(): { summaries: Summary[]; start: number } {
  const scenario = validateScenario({
    startTime: '2024-11-24T08:00:00Z',
    seed: 3,
    groups: [{ kind: 'motor', count: 4, idPrefix: 'm-', ratePerSec: 1 }],
    failures: [{ device: 'm-002', mode: 'bearing-wear', ...WEAR }],
  });
  const plan = planFleet(scenario, 0);
  const devices = plan.devices.map((d) => new SimulatedDevice(d, plan.startTime, 240 * MINUTE));
  const clock = new FakeClock(plan.startTime);
  const summaries: Summary[] = [];
  const windows = createWindowEngine({
    gateway: 'gw-1',
    windows: [WINDOW],
    maxOutOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    idleTimeoutMs: 10 * MINUTE,
    maxKeys: 100,
    clock,
    onSummary: (s) => summaries.push(s),
    onLate: () => expect.unreachable('no reading is late'),
    onRejected: () => expect.unreachable('no key limit'),
  });
  for (;;) {
    const next = devices.reduce<SimulatedDevice | undefined>((a, d) => (d.nextAt < (a?.nextAt ?? Infinity) ? d : a), undefined);
    if (!next) break;
    clock.set(Math.max(clock.now(), Math.floor(plan.startTime + next.nextAt)));
    for (const m of next.take()) windows.add({ device: m.device, ts: m.ts, tsFromArrival: false, receivedAt: clock.now(), values: m.values });
  }
  windows.flush();
  windows.close();
  return { summaries, start: plan.startTime };
}

/** One observation per (device, window) once all its metrics closed, `<metric>.<feature>` keys, in time order. */
function observations(summaries: readonly Summary[]): WindowObservation[] {
  const byKey = new Map<string, { device: string; window: Summary['window']; features: Record<string, number> }>();
  for (const s of summaries) {
    const key = `${s.device}/${s.window.end}`;
    const o = byKey.get(key) ?? { device: s.device, window: s.window, features: {} };
    for (const [name, value] of Object.entries(s.features)) o.features[`${s.metric}.${name}`] = value;
    byKey.set(key, o);
  }
  return [...byKey.values()].sort((a, b) => a.window.end - b.window.end || a.device.localeCompare(b.device));
}

describe('bearing wear on the simulated motor fleet', () => {
  const { summaries, start } = simulate();
  const config = validateAnalysisConfig(
    {
      detectors: [{ name: 'bearing-temp-shift', kind: 'level-shift', feature: 'bearing_temp.mean', kinds: ['motor'] }],
      alerts: {
        rules: [
          // ISO 10816-1 class I machines: above 2.8 mm/s is "unsatisfactory" (zone C).
          { type: 'threshold', name: 'vibration-high', severity: 'critical', feature: 'vib_rms.mean', above: 2.8, raiseAfter: 2, clearAfter: 3 },
          { type: 'detector', name: 'bearing-heating', detector: 'bearing-temp-shift', change: 'level-shift', raiseAfter: 3, clearAfter: 5 },
        ],
      },
    },
    { definitions: [WINDOW] },
  );
  const clock = new FakeClock(start);
  const engine = new AlertEngine({ gateway: 'gw-1', rules: config.alerts.rules, detectors: config.detectors, defaultWindow: WINDOW, clock, kindOf: () => 'motor' });
  const events: AlertEvent[] = [];
  for (const o of observations(summaries)) {
    clock.set(Math.max(clock.now(), o.window.end));
    events.push(...engine.observe(o).events);
  }
  const minute = (t: number) => (t - start) / MINUTE;
  const raised = (rule: string, device: string) => events.filter((e) => e.rule === rule && e.device === device && e.state === 'raised').map((e) => minute(e.raisedAt));

  it('raises the vibration limit on the worn motor during the wear, before the failure ends, and on no healthy motor', () => {
    const [first] = raised('vibration-high', 'm-002');
    expect(first).toBeGreaterThan(180);
    expect(first).toBeLessThan(210);
    for (const healthy of ['m-001', 'm-003', 'm-004']) expect(raised('vibration-high', healthy), healthy).toEqual([]);
  });

  it('raises bearing heating on the worn motor from its temperature, before the failure ends', () => {
    const during = raised('bearing-heating', 'm-002').filter((m) => m > 180 && m < 210);
    expect(during.length).toBeGreaterThan(0);
  });

  it('every raised alert carries the window and the feature that raised it', () => {
    for (const e of events.filter((x) => x.state === 'raised')) {
      expect(e.evidence.window?.end).toBe(e.raisedAt);
      expect(Object.keys(e.evidence.features ?? {})).toEqual([e.rule === 'vibration-high' ? 'vib_rms.mean' : 'bearing_temp.mean']);
    }
  });
});
