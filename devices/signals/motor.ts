// An induction motor driving a cyclic load (a conveyor, a compressor): vibration, bearing
// temperature and current follow the load as it switches on and off.
//
// Physics, simplified but recognisable: current is near rated under load and about a third of it
// running unloaded; vibration RMS (ISO 10816 velocity, mm/s) is higher under load; the bearing
// warms towards ambient + a load-dependent rise with a thermal time constant of ~15 minutes, so
// temperature lags the duty cycle. A slow drift (hours) moves the vibration baseline a few percent.

import { lag, type SignalModel, type SignalState } from './contract.js';
import { Draws, prng, randomAt, smoothNoise } from './random.js';

export interface MotorParams {
  readonly seed: number;
  /** Rated current (A). */
  readonly ratedA: number;
  /** Vibration RMS under load (mm/s); ISO 10816 class I "good" is below 1.8. */
  readonly vibLoaded: number;
  /** Ambient air temperature around the motor (°C). */
  readonly ambientC: number;
  /** Bearing temperature rise over ambient at full load (°C). */
  readonly riseC: number;
  /** Length of one load cycle (ms). */
  readonly cycleMs: number;
  /** Mean fraction of a cycle with the load on. */
  readonly duty: number;
  /** Where in its cycle the motor is at t = 0 (ms), so motors do not switch in step. */
  readonly phaseMs: number;
}

export interface MotorState extends SignalState {
  /** Bearing temperature (°C), carried because it lags the load. */
  readonly bearingC: number;
}

const THERMAL_TAU_MS = 15 * 60_000;
const UNLOADED_CURRENT = 0.35;
const UNLOADED_VIB = 0.6;
const UNLOADED_RISE = 0.3;
const DRIFT_PERIOD_MS = 3 * 3_600_000;

/** Whether the load is on at `t`: each cycle's on-time varies a little around the duty. */
export function motorLoadOn(p: MotorParams, t: number): boolean {
  const x = t + p.phaseMs;
  const cycle = Math.floor(x / p.cycleMs);
  const within = (x - cycle * p.cycleMs) / p.cycleMs;
  const duty = p.duty + 0.15 * (randomAt(p.seed ^ 0x5eed, cycle) - 0.5);
  return within < duty;
}

function bearingTarget(p: MotorParams, on: boolean): number {
  return p.ambientC + p.riseC * (on ? 1 : UNLOADED_RISE);
}

export const motorModel = {
  kind: 'motor',
  metrics: [
    { name: 'vib_rms', unit: 'mm/s', scale: 0.08, digits: 3, min: 0 },
    { name: 'bearing_temp', unit: '°C', scale: 0.3, digits: 2 },
    { name: 'current', unit: 'A', scale: 0.2, digits: 2, min: 0 },
  ],
  heatMetric: 'bearing_temp',

  params(seed) {
    const r = prng(seed);
    return {
      seed,
      ratedA: 8 + 12 * r(),
      vibLoaded: 1.0 + 0.8 * r(),
      ambientC: 20 + 8 * r(),
      riseC: 25 + 15 * r(),
      cycleMs: (20 + 20 * r()) * 60_000,
      duty: 0.55 + 0.25 * r(),
      phaseMs: r() * 40 * 60_000,
    };
  },

  initial(p, t0) {
    // Start at the bearing's steady state for the current load, as if it had been running a while.
    return { t: t0, rng: p.seed, bearingC: bearingTarget(p, motorLoadOn(p, t0)) };
  },

  sample(p, s, t) {
    const d = new Draws(s.rng);
    const on = motorLoadOn(p, t);
    const drift = 1 + 0.05 * smoothNoise(p.seed ^ 0xd1f7, t, DRIFT_PERIOD_MS);
    const bearingC = lag(s.bearingC, bearingTarget(p, on), t - s.t, THERMAL_TAU_MS);
    const vib = p.vibLoaded * (on ? 1 : UNLOADED_VIB) * drift * (1 + 0.04 * d.gauss());
    const current = p.ratedA * (on ? 0.9 + 0.05 * smoothNoise(p.seed ^ 0xa, t, 60_000) : UNLOADED_CURRENT) + 0.015 * p.ratedA * d.gauss();
    return {
      state: { t, rng: d.state, bearingC },
      values: { vib_rms: vib, bearing_temp: bearingC + 0.15 * d.gauss(), current },
    };
  },
} satisfies SignalModel<MotorParams, MotorState>;
