// Failure modes that change what the sensor measures: bearing wear, overheating, a stuck sensor,
// spikes and noise bursts. What severity scales is documented once, in modes.ts.

import { Draws } from '../signals/random.js';
import { progress, type SignalFailureFactory } from './contract.js';

/** Wear grows slowly, then fast: vibration is roughly quadratic in defect size late in bearing life. */
export const bearingWear: SignalFailureFactory = (w) => ({
  apply(v, t) {
    const p = progress(w, t);
    const f = p * p;
    if (v.vib_rms !== undefined) v.vib_rms *= 1 + 3 * w.severity * f;
    if (v.bearing_temp !== undefined) v.bearing_temp += 25 * w.severity * f;
    return v;
  },
});

/** A failed fan or blocked cooling: heat approaches a new, higher equilibrium, first-order. */
export const overheating: SignalFailureFactory = (w, signal) => {
  const heat = signal.heatMetric;
  if (heat === undefined) throw new TypeError(`overheating needs a temperature metric; ${signal.kind} has none`);
  const tau = (w.end - w.start) / 5;
  return {
    apply(v, t) {
      const reached = 1 - Math.exp(-Math.max(0, t - w.start) / tau);
      v[heat] = (v[heat] ?? 0) + 30 * w.severity * reached;
      // Hot copper has higher resistance and the failing cooling fan's load shows up in the current.
      if (v.current !== undefined) v.current *= 1 + 0.1 * w.severity * reached;
      return v;
    },
  };
};

/** The sensor keeps reporting the sample it took when the window opened. */
export const stuckSensor: SignalFailureFactory = () => {
  let held: Record<string, number> | undefined;
  return {
    apply(v) {
      held ??= { ...v };
      return { ...held };
    },
  };
};

export const spikes: SignalFailureFactory = (w, signal) => {
  const d = new Draws(w.seed);
  const chance = Math.min(1, 0.05 * w.severity);
  return {
    apply(v) {
      // Draw the same number of values every reading, so one spike does not shift the next ones.
      const hit = d.uniform() < chance;
      const which = signal.metrics[Math.floor(d.uniform() * signal.metrics.length)]!;
      const sign = d.uniform() < 0.5 ? -1 : 1;
      const size = 6 + 4 * d.uniform();
      if (hit && v[which.name] !== undefined) v[which.name]! += sign * size * which.scale;
      return v;
    },
  };
};

export const noiseBurst: SignalFailureFactory = (w, signal) => {
  const d = new Draws(w.seed);
  return {
    apply(v) {
      for (const m of signal.metrics) if (v[m.name] !== undefined) v[m.name]! += d.gauss() * 3 * w.severity * m.scale;
      return v;
    },
  };
};

