// The streaming detector contract: one instance watches one (device, feature) stream, scoring each
// new value against the values before it, with no training.
//
// Lifecycle: kind.create(params) → update(value) once per closed window, in window order (run) →
// history() for a checkpoint; kind.create(params, history) rebuilds the same state after a crash.
// Nothing to close: a detector owns no socket, file or timer, only its bounded history.

import type { Static, TSchema } from '@sinclair/typebox';

/** Which kind of change fired, for detectors that tell them apart. */
export type ChangeKind = 'level-shift' | 'spike';

/** One update's outcome: the detector's statistic, and whether it crossed its threshold. */
export interface DetectorVerdict {
  /** The detector's statistic in its own units (robust z: standard deviations), comparable with `threshold`. */
  readonly statistic: number;
  readonly threshold: number;
  readonly fired: boolean;
  readonly change?: ChangeKind;
}

export interface Detector {
  /**
   * Score `value` against the history, then add it to the history. `value` is finite (the caller
   * skips NaN and ±Infinity). Before warm-up the statistic is 0 and nothing fires.
   */
  update(value: number): DetectorVerdict;
  /** The values held, oldest first: everything needed to rebuild this detector (JSON-serialisable). */
  history(): number[];
}

/** A kind of detector: its parameters (TypeBox, with defaults) and a factory. */
export interface DetectorKind<P extends TSchema> {
  /** The parameter schema, every key with a default and a unit in its description. */
  readonly params: P;
  /** A new detector, or one rebuilt from `history()` of an earlier one (its most recent values are kept). */
  create(params: Static<P>, history?: readonly number[]): Detector;
}

/** The smallest spread a robust scale may take: keeps a flat history from dividing by zero. */
export function scaleFloor(minScale: number, centre: number): number {
  return Math.max(minScale, 1e-9 * Math.max(1, Math.abs(centre)));
}
