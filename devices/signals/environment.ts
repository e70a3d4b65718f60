// An ambient sensor in a plant hall: temperature with a daily cycle (coolest before dawn,
// warmest mid-afternoon) and weather drift over hours; relative humidity moving against it, as
// it does when air of constant moisture warms (roughly −3 %RH per °C near room temperature).

import type { SignalModel, SignalState } from './contract.js';
import { Draws, prng, smoothNoise } from './random.js';

export interface EnvironmentParams {
  readonly seed: number;
  /** Daily mean temperature (°C). */
  readonly meanC: number;
  /** Half the day-night swing (°C). */
  readonly swingC: number;
  /** Mean relative humidity (%). */
  readonly meanRh: number;
  /** Offset of this site's local time from UTC (hours), so the cycle peaks at local afternoon. */
  readonly utcOffsetH: number;
}

export type EnvironmentState = SignalState;

const PEAK_HOUR = 15;
const WEATHER_PERIOD_MS = 6 * 3_600_000;
const RH_PER_C = 3;

/** The temperature the daily cycle and weather give at `t`, before sensor noise (°C). */
export function environmentTemperature(p: EnvironmentParams, t: number): number {
  const hour = (((t / 3_600_000 + p.utcOffsetH) % 24) + 24) % 24;
  const daily = Math.cos((2 * Math.PI * (hour - PEAK_HOUR)) / 24);
  return p.meanC + p.swingC * daily + 1.5 * smoothNoise(p.seed ^ 0x3e, t, WEATHER_PERIOD_MS);
}

export const environmentModel = {
  kind: 'environment',
  metrics: [
    { name: 'temperature', unit: '°C', scale: 0.1, digits: 2 },
    { name: 'humidity', unit: '%RH', scale: 0.5, digits: 1, min: 0, max: 100 },
  ],
  heatMetric: 'temperature',

  params(seed) {
    const r = prng(seed);
    return { seed, meanC: 16 + 8 * r(), swingC: 2 + 4 * r(), meanRh: 40 + 25 * r(), utcOffsetH: 0 };
  },

  initial(p, t0) {
    return { t: t0, rng: p.seed };
  },

  sample(p, s, t) {
    const d = new Draws(s.rng);
    const base = environmentTemperature(p, t);
    const temperature = base + 0.05 * d.gauss();
    const humidity = p.meanRh - RH_PER_C * (base - p.meanC) + 2 * smoothNoise(p.seed ^ 0x44, t, 45 * 60_000) + 0.3 * d.gauss();
    return { state: { t, rng: d.state }, values: { temperature, humidity } };
  },
} satisfies SignalModel<EnvironmentParams, EnvironmentState>;

