// The signal-model contract: how a kind of device (motor, pump, environment sensor) turns
// simulated time into plausible measurements.
//
// Lifecycle: `params(seed)` draws a device's fixed character once (its nominal levels, duty
// cycle, phase); `initial(params, t0)` is its state at the first reading; then `sample(params,
// state, t)` is called for each reading in time order. Every function is pure: the same inputs
// give the same outputs and nothing is mutated, so a test can replay any instant from a state.

/** The kinds of simulated device a scenario group may have. */
export const DEVICE_KINDS = ['motor', 'pump', 'environment'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Metric name → value, as one reading carries them. */
export type Values = Record<string, number>;

/** The minimum every model's state carries. */
export interface SignalState {
  /** Simulated time of the last sample (ms since the epoch). */
  readonly t: number;
  /** mulberry32 state for this device's measurement noise (see random.ts `Draws`). */
  readonly rng: number;
}

export interface Sample<S extends SignalState> {
  readonly state: S;
  readonly values: Values;
}

/** One measured quantity of a kind of device. */
export interface MetricSpec {
  readonly name: string;
  readonly unit: string;
  /**
   * The typical spread in normal operation (in `unit`), used by failure modes that scale with it
   * (spikes, noise bursts) so that one severity means the same on every metric.
   */
  readonly scale: number;
  /** Sensor resolution: decimals reported. */
  readonly digits: number;
  /** Physical bounds the sensor cannot read beyond (e.g. 0-100 %RH), applied after failures. */
  readonly min?: number;
  readonly max?: number;
}

export interface SignalModel<P, S extends SignalState> {
  readonly kind: DeviceKind;
  /** The metrics, in the order line framings (csv) write them. */
  readonly metrics: readonly MetricSpec[];
  /** The operating temperature metric that overheating raises, if the kind has one. */
  readonly heatMetric?: string;
  params(seed: number): P;
  initial(params: P, t0: number): S;
  /** The reading at simulated time `t` (ms since the epoch, ≥ state.t) and the state after it. */
  sample(params: P, state: S, t: number): Sample<S>;
}

/** A model bound to one device: the parameters hidden, the state carried between samples. */
export interface DeviceSignal {
  readonly kind: DeviceKind;
  readonly metrics: readonly MetricSpec[];
  readonly heatMetric?: string;
  /** The next reading, at `t` (ms since the epoch, not before the previous call's). */
  next(t: number): Values;
}

/** Bind `model` to one device seed, starting at `t0`. */
export function bindSignal<P, S extends SignalState>(model: SignalModel<P, S>, seed: number, t0: number): DeviceSignal {
  const params = model.params(seed);
  let state = model.initial(params, t0);
  return {
    kind: model.kind,
    metrics: model.metrics,
    ...(model.heatMetric !== undefined ? { heatMetric: model.heatMetric } : {}),
    next(t) {
      const s = model.sample(params, state, t);
      state = s.state;
      return s.values;
    },
  };
}

/** Round to `digits` decimals and clamp to the sensor's range: what the sensor would report. */
export function quantise(value: number, spec: MetricSpec): number {
  const f = 10 ** spec.digits;
  const v = Math.round(value * f) / f;
  return Math.min(spec.max ?? Infinity, Math.max(spec.min ?? -Infinity, v));
}

/** First-order lag: where a quantity with time constant `tauMs` is after `dtMs` heading to `target`. */
export function lag(current: number, target: number, dtMs: number, tauMs: number): number {
  return target + (current - target) * Math.exp(-Math.max(0, dtMs) / tauMs);
}
