// Simulator failure modes: each changes the readings (or messages) inside its window as promised,
// and leaves everything outside the window exactly as the same device without the failure.

import { describe, expect, it } from 'vitest';
import type { DeviceMessage } from '../../devices/message.js';
import { validateScenario } from '../../devices/scenario/load.js';
import { planFleet } from '../../devices/scenario/plan.js';
import { SimulatedDevice } from '../../devices/simulated-device.js';

const NOW = Date.UTC(2024, 10, 24, 8);
const START_MS = 100_000;
const DURATION_MS = 100_000;
const READINGS = 300; // at 1 per second: 100 before, 100 inside, 100 after the window

interface Tick {
  readonly t: number;
  readonly messages: DeviceMessage[];
}

/** The device `kind`-001 with and without `failure`, sampled READINGS times, plus its dropout count. */
function compare(kind: 'motor' | 'environment' | 'pump', failure: Record<string, unknown>) {
  const make = (failures: unknown[]) => {
    const scenario = validateScenario({ startTime: 'now', seed: 4, groups: [{ kind, count: 1, idPrefix: 'd-', ratePerSec: 1 }], failures });
    const plan = planFleet(scenario, NOW);
    const device = new SimulatedDevice(plan.devices[0]!, plan.startTime);
    const ticks: Tick[] = [];
    for (let i = 0; i < READINGS; i++) {
      const t = plan.startTime + device.nextAt;
      ticks.push({ t, messages: device.take() });
    }
    ticks.push({ t: Infinity, messages: device.flush() });
    return { ticks, suppressed: device.suppressed, start: plan.startTime + START_MS, end: plan.startTime + START_MS + DURATION_MS };
  };
  const base = make([]);
  const faulty = make([{ device: 'd-001', startMs: START_MS, durationMs: DURATION_MS, ...failure }]);
  const inside = (t: number) => t >= faulty.start && t < faulty.end;
  return { base: base.ticks, faulty: faulty.ticks, suppressed: faulty.suppressed, inside, start: faulty.start, end: faulty.end };
}

/** Outside the window (and for the final flush), the faulty device sent exactly what the healthy one did. */
function expectUntouchedOutside(c: ReturnType<typeof compare>): void {
  c.faulty.forEach((tick, i) => {
    if (!c.inside(tick.t) && tick.t !== Infinity) expect(tick.messages, `reading ${i}`).toEqual(c.base[i]!.messages);
  });
}

const only = (tick: Tick) => {
  expect(tick.messages).toHaveLength(1);
  return tick.messages[0]!;
};
const insideTicks = (c: ReturnType<typeof compare>) => c.faulty.map((tick, i) => ({ tick, base: c.base[i]! })).filter(({ tick }) => c.inside(tick.t));

describe('signal failures', () => {
  it('bearing-wear: vibration and bearing temperature rise over the window, accelerating', () => {
    const c = compare('motor', { mode: 'bearing-wear', severity: 1 });
    expectUntouchedOutside(c);
    const pairs = insideTicks(c).map(({ tick, base }) => ({ f: only(tick).values, b: only(base).values }));
    expect(pairs).toHaveLength(100);
    for (const { f, b } of pairs) {
      expect(f.vib_rms!).toBeGreaterThanOrEqual(b.vib_rms!);
      expect(f.bearing_temp!).toBeGreaterThanOrEqual(b.bearing_temp!);
    }
    const late = pairs.at(-1)!;
    expect(late.f.vib_rms! / late.b.vib_rms!).toBeGreaterThan(3.5); // (1 + 3·0.99²)
    expect(late.f.bearing_temp! - late.b.bearing_temp!).toBeGreaterThan(23);
    const mid = pairs[50]!;
    expect(mid.f.bearing_temp! - mid.b.bearing_temp!).toBeLessThan(8); // quadratic: a quarter at half-way
  });

  it('overheating: the temperature metric climbs towards +30·severity °C, and motor current rises', () => {
    const c = compare('motor', { mode: 'overheating', severity: 1 });
    expectUntouchedOutside(c);
    const pairs = insideTicks(c).map(({ tick, base }) => ({ f: only(tick).values, b: only(base).values }));
    const rise = pairs.map(({ f, b }) => f.bearing_temp! - b.bearing_temp!);
    expect(rise.at(-1)!).toBeGreaterThan(28);
    expect(rise[10]!).toBeLessThan(rise[50]!);
    expect(pairs.at(-1)!.f.current!).toBeGreaterThan(pairs.at(-1)!.b.current!);
    const env = compare('environment', { mode: 'overheating', severity: 0.5 });
    expectUntouchedOutside(env);
    const last = insideTicks(env).at(-1)!;
    expect(only(last.tick).values.temperature! - only(last.base).values.temperature!).toBeGreaterThan(14);
  });

  it('stuck-sensor: every reading in the window repeats the first one', () => {
    const c = compare('pump', { mode: 'stuck-sensor' });
    expectUntouchedOutside(c);
    const inside = insideTicks(c).map(({ tick }) => only(tick).values);
    expect(inside[0]).toEqual(only(insideTicks(c)[0]!.base).values);
    for (const v of inside) expect(v).toEqual(inside[0]);
  });

  it('spikes: a few readings jump by 6-10 typical spreads (scale) on one metric', () => {
    const c = compare('pump', { mode: 'spikes', severity: 4 }); // 20 % of readings
    expectUntouchedOutside(c);
    const scale = { pressure: 0.03, flow: 0.3 };
    let spiked = 0;
    for (const { tick, base } of insideTicks(c)) {
      const f = only(tick).values;
      const b = only(base).values;
      const jumps = (Object.keys(scale) as Array<keyof typeof scale>).map((m) => Math.abs(f[m]! - b[m]!) / scale[m]);
      if (jumps.some((j) => j > 0.01)) {
        spiked++;
        expect(Math.max(...jumps)).toBeGreaterThan(5.9);
        expect(Math.max(...jumps)).toBeLessThan(10.1);
        expect(jumps.filter((j) => j > 0.01)).toHaveLength(1);
      }
    }
    expect(spiked).toBeGreaterThan(8);
    expect(spiked).toBeLessThan(35);
  });

  it('noise-burst: every metric is noisier inside the window', () => {
    const c = compare('environment', { mode: 'noise-burst', severity: 2 });
    expectUntouchedOutside(c);
    const diffs = insideTicks(c).map(({ tick, base }) => only(tick).values.temperature! - only(base).values.temperature!);
    const sd = Math.sqrt(diffs.reduce((a, d) => a + d * d, 0) / diffs.length);
    expect(sd).toBeGreaterThan(0.4); // 3·2·0.1 °C = 0.6 °C expected
    expect(sd).toBeLessThan(0.9);
  });
});

describe('delivery failures', () => {
  it('dropout: nothing is sent inside the window, and the missing readings are counted', () => {
    const c = compare('motor', { mode: 'dropout' });
    expectUntouchedOutside(c);
    for (const { tick } of insideTicks(c)) expect(tick.messages).toEqual([]);
    expect(c.suppressed).toBe(100);
  });

  it('clock-skew: timestamps inside the window are shifted by skewMs', () => {
    const c = compare('motor', { mode: 'clock-skew', skewMs: -45_000 });
    expectUntouchedOutside(c);
    for (const { tick, base } of insideTicks(c)) {
      expect(only(tick).ts).toBe(only(base).ts - 45_000);
      expect(only(tick).values).toEqual(only(base).values);
    }
  });

  it('out-of-order-burst: readings leave in shuffled bursts, none lost, each with its own timestamp', () => {
    const c = compare('motor', { mode: 'out-of-order-burst', severity: 1 }); // bursts of 5
    expectUntouchedOutside(c);
    const sent = insideTicks(c).flatMap(({ tick }) => tick.messages);
    const expected = insideTicks(c).flatMap(({ base }) => base.messages);
    expect(sent).toHaveLength(100);
    expect([...sent].sort((a, b) => a.ts - b.ts)).toEqual(expected);
    for (let b = 0; b < 100; b += 5) {
      const burst = sent.slice(b, b + 5).map((m) => m.ts);
      expect(burst).not.toEqual([...burst].sort((x, y) => x - y));
    }
  });

  it('out-of-order-burst: a burst cut off by the window end is released with the next reading', () => {
    const c = compare('motor', { mode: 'out-of-order-burst', severity: 1.4 }); // bursts of 7: 100 = 14·7 + 2
    const firstAfter = c.faulty.findIndex((tick) => tick.t >= c.end);
    expect(c.faulty[firstAfter]!.messages).toHaveLength(3);
    expect(c.faulty[firstAfter]!.messages.at(-1)).toEqual(only(c.base[firstAfter]!));
    expect(c.faulty.flatMap((tick) => tick.messages)).toHaveLength(READINGS);
  });

  it('duplicates: some readings in the window are sent twice, identical but counted as duplicates', () => {
    const c = compare('motor', { mode: 'duplicates', severity: 1 }); // 25 %
    expectUntouchedOutside(c);
    let dups = 0;
    for (const { tick, base } of insideTicks(c)) {
      expect(tick.messages[0]).toEqual(only(base));
      if (tick.messages.length === 2) {
        dups++;
        expect(tick.messages[1]).toEqual({ ...only(base), kind: 'duplicate' });
      }
    }
    expect(dups).toBeGreaterThan(10);
    expect(dups).toBeLessThan(45);
  });

  it('malformed-payloads: some readings in the window are replaced by defective messages of every kind', () => {
    const c = compare('motor', { mode: 'malformed-payloads', severity: 2 }); // 50 %
    expectUntouchedOutside(c);
    const defects = new Set<string>();
    let malformed = 0;
    for (const { tick, base } of insideTicks(c)) {
      const m = only(tick);
      if (m.kind === 'malformed') {
        malformed++;
        defects.add(m.defect!);
        expect({ ...m, kind: 'good', defect: undefined }).toEqual({ ...only(base), defect: undefined });
      } else expect(m).toEqual(only(base));
    }
    expect(malformed).toBeGreaterThan(30);
    expect(malformed).toBeLessThan(70);
    expect(defects.size).toBe(6);
  });
});

describe('failure windows', () => {
  it('a failure on a group name hits every device of the group', () => {
    const scenario = validateScenario({
      groups: [{ kind: 'motor', count: 3, idPrefix: 'm-', ratePerSec: 1 }, { kind: 'pump', count: 2, idPrefix: 'p-', ratePerSec: 1 }],
      failures: [{ device: 'm', mode: 'dropout', startMs: 0, durationMs: 1000 }],
    });
    const plan = planFleet(scenario, NOW);
    expect(plan.failures.map((f) => f.device)).toEqual(['m-001', 'm-002', 'm-003']);
    expect(plan.devices.map((d) => d.failures.length)).toEqual([1, 1, 1, 0, 0]);
  });
});
