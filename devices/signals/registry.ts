// The one list of signal models, by device kind: a scenario group's `kind` picks one here.

import { bindSignal, type DeviceKind, type DeviceSignal, type MetricSpec } from './contract.js';
import { environmentModel } from './environment.js';
import { motorModel } from './motor.js';
import { pumpModel } from './pump.js';

const models = {
  motor: (seed: number, t0: number) => bindSignal(motorModel, seed, t0),
  pump: (seed: number, t0: number) => bindSignal(pumpModel, seed, t0),
  environment: (seed: number, t0: number) => bindSignal(environmentModel, seed, t0),
} as const satisfies Record<DeviceKind, (seed: number, t0: number) => DeviceSignal>;

const metrics = {
  motor: motorModel.metrics,
  pump: pumpModel.metrics,
  environment: environmentModel.metrics,
} as const satisfies Record<DeviceKind, readonly MetricSpec[]>;

/** The signal of one device of `kind`, drawn from `seed`, starting at simulated time `t0` (ms since the epoch). */
export function createSignal(kind: DeviceKind, seed: number, t0: number): DeviceSignal {
  return models[kind](seed, t0);
}

/** Metric names of a kind, in their line order (csv columns, Modbus registers). */
export function metricNames(kind: DeviceKind): readonly string[] {
  return metrics[kind].map((m) => m.name);
}
