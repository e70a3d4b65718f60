// A centrifugal pump feeding a circuit whose demand wanders: flow follows the demand, and
// discharge pressure follows the pump curve, falling as flow rises (H = H0 · (1 − k·(Q/Qmax)²)).

import type { SignalModel, SignalState } from './contract.js';
import { Draws, prng, smoothNoise } from './random.js';

export interface PumpParams {
  readonly seed: number;
  /** Shut-off pressure: discharge pressure at zero flow (bar). */
  readonly shutoffBar: number;
  /** Best-efficiency flow (m³/h); demand moves flow around it. */
  readonly nominalFlow: number;
  /** How far pressure falls at nominal flow, as a fraction of shut-off (the curve's k). */
  readonly droop: number;
}

export type PumpState = SignalState;

/** Demand changes over ~10 minutes (valves, consumers), with a slower shift over hours. */
const DEMAND_PERIOD_MS = 10 * 60_000;
const SHIFT_PERIOD_MS = 2 * 3_600_000;

/** Flow demanded at `t` as a fraction of nominal flow (about 0.5-1.1). */
export function pumpDemand(p: PumpParams, t: number): number {
  return 0.8 + 0.2 * smoothNoise(p.seed ^ 0xde, t, DEMAND_PERIOD_MS) + 0.1 * smoothNoise(p.seed ^ 0x5f, t, SHIFT_PERIOD_MS);
}

export const pumpModel = {
  kind: 'pump',
  metrics: [
    { name: 'pressure', unit: 'bar', scale: 0.03, digits: 3, min: 0 },
    { name: 'flow', unit: 'm3/h', scale: 0.3, digits: 2, min: 0 },
  ],

  params(seed) {
    const r = prng(seed);
    return { seed, shutoffBar: 3 + 4 * r(), nominalFlow: 10 + 30 * r(), droop: 0.25 + 0.15 * r() };
  },

  initial(p, t0) {
    return { t: t0, rng: p.seed };
  },

  sample(p, s, t) {
    const d = new Draws(s.rng);
    const q = pumpDemand(p, t);
    const flow = p.nominalFlow * q * (1 + 0.01 * d.gauss());
    const pressure = p.shutoffBar * (1 - p.droop * q * q) * (1 + 0.008 * d.gauss());
    return { state: { t, rng: d.state }, values: { pressure, flow } };
  },
} satisfies SignalModel<PumpParams, PumpState>;
