// Feature vectors: a window's features named `<metric>.<feature>` (e.g. `vib_rms.mean`) put in a
// model's manifest order. Pure and small, so the gateway's scorer and `tributary train` build
// vectors the same way.

import type { Features } from '../features/summary.js';

/** The keys of Features, in the order the summary defines them. */
export const FEATURE_NAMES = ['count', 'sum', 'min', 'max', 'mean', 'std', 'rms', 'first', 'last', 'slope', 'peakToPeak'] as const satisfies ReadonlyArray<keyof Features>;
export type FeatureName = (typeof FEATURE_NAMES)[number];

const FEATURE_SET: ReadonlySet<string> = new Set(FEATURE_NAMES);

export interface FeatureRef {
  readonly metric: string;
  readonly feature: FeatureName;
}

/** `vib_rms` + `mean` → `vib_rms.mean`. */
export function featureKey(metric: string, feature: FeatureName): string {
  return `${metric}.${feature}`;
}

/**
 * `vib_rms.mean` → { metric: 'vib_rms', feature: 'mean' }; undefined when the part after the last
 * dot is not a key of Features. Metric names may themselves contain dots (`line.3.temp.mean`).
 */
export function parseFeatureKey(key: string): FeatureRef | undefined {
  const dot = key.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const feature = key.slice(dot + 1);
  return FEATURE_SET.has(feature) ? { metric: key.slice(0, dot), feature: feature as FeatureName } : undefined;
}

/**
 * The vector of `features` (`<metric>.<feature>` → value) in `manifestFeatures` order, or
 * undefined when any of them is missing or not finite.
 */
export function vectorOf(features: Readonly<Record<string, number>>, manifestFeatures: readonly string[]): Float32Array | undefined {
  const out = new Float32Array(manifestFeatures.length);
  return writeVector(features, manifestFeatures, out, 0) ? out : undefined;
}

/**
 * Write the vector into `out` at `offset` without allocating (for batches: row i at
 * i × manifestFeatures.length). Returns false, leaving that row partly written, when a feature is
 * missing or not finite.
 */
export function writeVector(features: Readonly<Record<string, number>>, manifestFeatures: readonly string[], out: Float32Array, offset: number): boolean {
  for (let i = 0; i < manifestFeatures.length; i++) {
    const v = features[manifestFeatures[i]!];
    if (v === undefined || !Number.isFinite(v)) return false;
    out[offset + i] = v;
  }
  return true;
}

/**
 * Each metric's `<metric>.<feature>` keys, made once: flattenFeatures runs for every summary the
 * analysis stage takes (~5,000 in a window-boundary burst of 1,000 devices), and making eleven key
 * strings each time was garbage for the burst's collector. Metric names come from readings, so the
 * cache is bounded; past it keys are made as needed.
 */
const KEYS_OF = new Map<string, readonly string[]>();
const MAX_CACHED_METRICS = 1000;

function keysOf(metric: string): readonly string[] {
  let keys = KEYS_OF.get(metric);
  if (keys === undefined) {
    keys = FEATURE_NAMES.map((name) => featureKey(metric, name));
    if (KEYS_OF.size < MAX_CACHED_METRICS) KEYS_OF.set(metric, keys);
  }
  return keys;
}

/** A metric's Features flattened to `<metric>.<feature>` keys, added to `into` (and returned). */
export function flattenFeatures(metric: string, features: Features, into: Record<string, number> = {}): Record<string, number> {
  const keys = keysOf(metric);
  for (let i = 0; i < FEATURE_NAMES.length; i++) into[keys[i]!] = features[FEATURE_NAMES[i]!];
  return into;
}
