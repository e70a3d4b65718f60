// Simulator signal models: the same seed gives the same readings, the functions are pure, and the
// values stay in physically plausible ranges with the behaviour each model promises.

import { describe, expect, it } from 'vitest';
import { bindSignal, type SignalModel, type SignalState } from '../../devices/signals/contract.js';
import { environmentModel, environmentTemperature } from '../../devices/signals/environment.js';
import { motorLoadOn, motorModel } from '../../devices/signals/motor.js';
import { pumpModel } from '../../devices/signals/pump.js';
import { childSeed, prng, randomAt, smoothNoise } from '../../devices/signals/random.js';
import { prng as testPrng } from '../helpers/prng.js';

const T0 = Date.UTC(2024, 10, 24); // midnight UTC
const MIN = 60_000;
const HOUR = 3_600_000;

/** Sample `model` every `stepMs` for `n` readings from T0. */
type Row = Record<string, number> & { readonly t: number };

function series<P, S extends SignalState>(model: SignalModel<P, S>, seed: number, n: number, stepMs: number): Row[] {
  const signal = bindSignal(model, seed, T0);
  return Array.from({ length: n }, (_, i) => ({ ...signal.next(T0 + i * stepMs), t: T0 + i * stepMs }) as Row);
}

const stats = (xs: number[]) => ({ min: Math.min(...xs), max: Math.max(...xs), mean: xs.reduce((a, b) => a + b, 0) / xs.length });

describe('random', () => {
  it('is mulberry32, the same stream as the test helper, and randomAt jumps to the n-th draw', () => {
    const a = prng(42);
    const b = testPrng(42);
    const draws = Array.from({ length: 100 }, () => a());
    expect(draws).toEqual(Array.from({ length: 100 }, () => b()));
    draws.forEach((d, n) => expect(randomAt(42, n)).toBe(d));
  });

  it('derives distinct, stable child seeds and smooth noise within [-1, 1]', () => {
    expect(childSeed(1, 'motor-001')).toBe(childSeed(1, 'motor-001'));
    expect(childSeed(1, 'motor-001')).not.toBe(childSeed(1, 'motor-002'));
    expect(childSeed(1, 'motor-001')).not.toBe(childSeed(2, 'motor-001'));
    const xs = Array.from({ length: 1000 }, (_, i) => smoothNoise(7, T0 + i * MIN, HOUR));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1);
    // Smooth: neighbours a minute apart on an hour-long period barely differ.
    for (let i = 1; i < xs.length; i++) expect(Math.abs(xs[i]! - xs[i - 1]!)).toBeLessThan(0.1);
  });
});

describe.each([
  ['motor', motorModel],
  ['pump', pumpModel],
  ['environment', environmentModel],
] as const)('%s model', (_kind, model) => {
  const m = model as SignalModel<unknown, SignalState>;

  it('gives the same readings for the same seed and different ones for another', () => {
    expect(series(m, 5, 200, 1000)).toEqual(series(m, 5, 200, 1000));
    expect(series(m, 5, 200, 1000)).not.toEqual(series(m, 6, 200, 1000));
  });

  it('is pure: sampling the same state at the same time twice gives the same result, and mutates nothing', () => {
    const p = m.params(9);
    const s0 = Object.freeze(m.initial(p, T0));
    const a = m.sample(p, s0, T0 + 1000);
    const b = m.sample(p, s0, T0 + 1000);
    expect(a).toEqual(b);
    expect(a.state.t).toBe(T0 + 1000);
  });

  it('reports every metric it declares, finite', () => {
    const names = m.metrics.map((x) => x.name);
    for (const r of series(m, 3, 50, 1000)) {
      for (const name of names) expect(Number.isFinite(r[name])).toBe(true);
    }
  });
});

describe('motor', () => {
  it('keeps vibration, bearing temperature and current in plausible ranges over a day', () => {
    const rs = series(motorModel, 11, 24 * 60, MIN);
    const vib = stats(rs.map((r) => r.vib_rms!));
    const temp = stats(rs.map((r) => r.bearing_temp!));
    const current = stats(rs.map((r) => r.current!));
    expect(vib.min).toBeGreaterThan(0.2); // mm/s, ISO 10816: a healthy small machine
    expect(vib.max).toBeLessThan(2.8);
    expect(temp.min).toBeGreaterThan(18); // °C: near ambient at the least
    expect(temp.max).toBeLessThan(75); // and never near a bearing alarm (~90 °C) when healthy
    expect(current.min).toBeGreaterThan(1);
    expect(current.max).toBeLessThan(25);
  });

  it('follows its duty cycle: current is high under load, low without, and the bearing lags behind', () => {
    const p = motorModel.params(21);
    const rs = series(motorModel, 21, 6 * 60, MIN);
    const on = rs.filter((r) => motorLoadOn(p, r.t));
    const off = rs.filter((r) => !motorLoadOn(p, r.t));
    expect(on.length).toBeGreaterThan(30);
    expect(off.length).toBeGreaterThan(30);
    expect(stats(off.map((r) => r.current!)).max).toBeLessThan(stats(on.map((r) => r.current!)).min);
    expect(stats(on.map((r) => r.vib_rms!)).mean).toBeGreaterThan(stats(off.map((r) => r.vib_rms!)).mean * 1.3);
    // Thermal lag: the first minute after the load switches on is cooler than the last minute of the on-period.
    const firstOn = rs.findIndex((r, i) => i > 0 && motorLoadOn(p, r.t) && !motorLoadOn(p, rs[i - 1]!.t));
    let lastOn = firstOn;
    while (lastOn + 1 < rs.length && motorLoadOn(p, rs[lastOn + 1]!.t)) lastOn++;
    expect(firstOn).toBeGreaterThan(0);
    expect(rs[lastOn]!.bearing_temp!).toBeGreaterThan(rs[firstOn]!.bearing_temp! + 3);
  });
});

describe('pump', () => {
  it('keeps pressure and flow plausible, with pressure falling as flow rises (the pump curve)', () => {
    const rs = series(pumpModel, 13, 24 * 60, MIN);
    const pressure = stats(rs.map((r) => r.pressure!));
    const flow = stats(rs.map((r) => r.flow!));
    expect(pressure.min).toBeGreaterThan(0.5);
    expect(pressure.max).toBeLessThan(7.5);
    expect(flow.min).toBeGreaterThan(3);
    expect(flow.max).toBeLessThan(50);
    const byFlow = [...rs].sort((a, b) => a.flow! - b.flow!);
    const low = stats(byFlow.slice(0, 100).map((r) => r.pressure!)).mean;
    const high = stats(byFlow.slice(-100).map((r) => r.pressure!)).mean;
    expect(high).toBeLessThan(low);
  });
});

describe('environment', () => {
  it('is warmer mid-afternoon than before dawn, with humidity moving the other way and within 0-100 %', () => {
    const p = environmentModel.params(17);
    let warmer = 0;
    for (let day = 0; day < 10; day++) {
      const dawn = T0 + day * 24 * HOUR + 4 * HOUR;
      if (environmentTemperature(p, dawn + 11 * HOUR) > environmentTemperature(p, dawn)) warmer++;
    }
    expect(warmer).toBeGreaterThanOrEqual(9);
    const rs = series(environmentModel, 17, 3 * 24 * 60, MIN);
    const temp = stats(rs.map((r) => r.temperature!));
    const rh = stats(rs.map((r) => r.humidity!));
    expect(temp.min).toBeGreaterThan(5);
    expect(temp.max).toBeLessThan(35);
    expect(rh.min).toBeGreaterThanOrEqual(0);
    expect(rh.max).toBeLessThanOrEqual(100);
    const afternoon = rs.filter((r) => new Date(r.t).getUTCHours() === 15);
    const night = rs.filter((r) => new Date(r.t).getUTCHours() === 3);
    expect(stats(afternoon.map((r) => r.humidity!)).mean).toBeLessThan(stats(night.map((r) => r.humidity!)).mean);
  });
});
