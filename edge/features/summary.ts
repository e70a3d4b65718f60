// The summary: what a closed window says about one device's metric, with the mergeable partials
// the cloud combines across windows and gateways, and a deterministic id.

import { createHash } from 'node:crypto';
import type { ModelScore } from '../alert/alert.js';

export type WindowKind = 'tumbling' | 'hopping' | 'session';

/**
 * Mergeable partial aggregates. Two windows' partials combine by `mergePartials` without the raw
 * readings. Time sums are over t = (reading ts − `tRef`) in seconds, so slope survives merging.
 */
export interface Partials {
  count: number;
  sum: number;
  sumSq: number;
  min: number;
  max: number;
  first: number;
  firstTs: number;
  last: number;
  lastTs: number;
  /** Reference instant (ms since the epoch) for the time sums below. */
  tRef: number;
  sumT: number;
  sumTT: number;
  sumTV: number;
}

/** Features of a closed window, derived from its partials. std is the population standard deviation. */
export interface Features {
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
  std: number;
  rms: number;
  first: number;
  last: number;
  /** Least-squares slope of value over time, in metric units per second (0 for fewer than 2 distinct instants). */
  slope: number;
  peakToPeak: number;
}

export interface WindowRef {
  readonly kind: WindowKind;
  /** Inclusive start, ms since the epoch. */
  readonly start: number;
  /** Exclusive end, ms since the epoch. For a session: last reading + gap. */
  readonly end: number;
  /** Configured size in ms: the window size, or the gap for a session window. */
  readonly size: number;
  /** Hopping windows only: the slide in ms. */
  readonly slide?: number;
}

export interface Summary {
  /** Deterministic: the same window of the same device and metric always has the same id. */
  readonly id: string;
  /** 0 for the first emission; +1 each time late data (or a session merge) changes the window. */
  readonly revision: number;
  readonly gateway: string;
  readonly device: string;
  readonly metric: string;
  readonly window: WindowRef;
  readonly features: Features;
  readonly partials: Partials;
  /** Gateway clock (ms since the epoch) when this revision was emitted. */
  readonly emittedAt: number;
  /**
   * True when a session window was absorbed into another by a late reading: consumers drop
   * everything they hold under this id. Features and partials then describe the absorbed window.
   */
  readonly retracted?: boolean;
  /**
   * The anomaly model's score for this device's window (every metric of it carries the same),
   * when a model applies to the device and this window.
   */
  readonly score?: ModelScore;
}

/**
 * The summary id: 32 hex characters of SHA-256 over (gateway, device, metric, window kind, start, size).
 * Stable across restarts and re-emissions, so the cloud can de-duplicate by it.
 */
export function summaryId(gateway: string, device: string, metric: string, kind: WindowKind, start: number, size: number): string {
  return createHash('sha256')
    .update(`${gateway}\u0000${device}\u0000${metric}\u0000${kind}\u0000${start}\u0000${size}`)
    .digest('hex')
    .slice(0, 32);
}
