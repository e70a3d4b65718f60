// Training sets from normal data: a CSV recording windowed by the gateway's engine, or summaries a
// gateway recorded. Both end as feature rows in one feature order.

import type { WindowSpecConfig } from '../../config/schema.js';
import type { Reading } from '../../decode/reading.js';
import { codedError } from '../../errors/catalogue.js';
import type { Summary } from '../../features/summary.js';
import { samplingInterval, type Recording } from '../../recording/recording.js';
import { FeatureRowAssembler } from '../feature-rows.js';
import { FEATURE_NAMES, featureKey, parseFeatureKey, type FeatureName } from '../feature-vector.js';
import { recordingReadings, windowReadings } from '../windowing.js';
import type { TrainingSet } from './train.js';

/** Mean and std of every metric, plus the slope of each. */
export const DEFAULT_FEATURES: readonly FeatureName[] = ['mean', 'std', 'slope'];

/**
 * The feature keys to train on. Each item of `spec` is a full key (`vib_rms.mean`) or a feature
 * name (`mean`) meaning that feature of every metric. Metrics in `metrics` order, features in spec order.
 */
export function resolveFeatures(spec: readonly string[], metrics: readonly string[], source: string): string[] {
  const keys: string[] = [];
  for (const metric of metrics) {
    for (const item of spec) if ((FEATURE_NAMES as readonly string[]).includes(item)) keys.push(featureKey(metric, item as FeatureName));
  }
  for (const item of spec) {
    if ((FEATURE_NAMES as readonly string[]).includes(item)) continue;
    const ref = parseFeatureKey(item);
    if (!ref) throw codedError('ERR_TRAIN_DATA', [source, `"${item}" is neither a feature (${FEATURE_NAMES.join(', ')}) nor <metric>.<feature>`]);
    if (!metrics.includes(ref.metric)) throw codedError('ERR_TRAIN_DATA', [source, `it has no metric "${ref.metric}" (it has ${metrics.join(', ') || 'none'})`]);
    keys.push(item);
  }
  const unique = [...new Set(keys)];
  if (unique.length === 0) throw codedError('ERR_TRAIN_DATA', [source, 'no features to train on']);
  return unique;
}

/** A window for a recording: ten times its median sampling interval (at least 1 s), tumbling. */
export function defaultWindowFor(recording: Recording): WindowSpecConfig {
  return { kind: 'tumbling', sizeMs: Math.max(1000, Math.round(10 * samplingInterval(recording))) };
}

/** A training set made by windowing readings: with the readings too late to join a window, and windows missing a feature. */
export interface WindowedSet extends TrainingSet {
  readonly late: number;
  readonly incomplete: number;
}

export interface RecordingSetOptions {
  readonly window: WindowSpecConfig;
  /** Feature spec (see resolveFeatures); default DEFAULT_FEATURES. */
  readonly features?: readonly string[];
  /** Only these metrics (default: every metric of the recording). */
  readonly metrics?: readonly string[];
  /** Device id the recording's readings get (default `recording`). */
  readonly device?: string;
  /** Use only the first `head` rows (e.g. a file's normal start). */
  readonly head?: number;
}

/** Window a recording with the gateway's engine and gather its feature rows. */
export function trainingSetFromRecording(recording: Recording, source: string, options: RecordingSetOptions): WindowedSet {
  const metrics = pickMetrics(recording.metrics, options.metrics, source);
  const features = resolveFeatures(options.features ?? DEFAULT_FEATURES, metrics, source);
  const rows = options.head === undefined ? recording : { ...recording, rows: recording.rows.slice(0, options.head) };
  return trainingSetFromReadings(recordingReadings(rows, options.device ?? 'recording'), features, options.window, source);
}

/** Window any readings (e.g. a simulation) with the gateway's engine and gather their feature rows. */
export function trainingSetFromReadings(readings: Iterable<Reading>, features: readonly string[], window: WindowSpecConfig, source: string): WindowedSet {
  const assembler = new FeatureRowAssembler(features, window);
  const stats = windowReadings(readings, { window }, (s) => assembler.add(s));
  const out = assembler.rows();
  return { features, rows: out.rows, source, late: stats.late, incomplete: out.incomplete };
}

export interface SummarySetOptions {
  readonly window: WindowSpecConfig;
  readonly features?: readonly string[];
  readonly metrics?: readonly string[];
  /** Keep devices matching any of these globs (`*` matches any run of characters); default all. */
  readonly devices?: readonly string[];
}

/** Feature rows from summaries a gateway recorded (in emission order). */
export function trainingSetFromSummaries(summaries: readonly Summary[], source: string, options: SummarySetOptions): TrainingSet & { readonly incomplete: number } {
  const keep = options.devices?.length ? globs(options.devices) : () => true;
  const chosen = summaries.filter((s) => keep(s.device));
  const seen = [...new Set(chosen.map((s) => s.metric))].sort();
  const metrics = pickMetrics(seen, options.metrics, source);
  const features = resolveFeatures(options.features ?? DEFAULT_FEATURES, metrics, source);
  const assembler = new FeatureRowAssembler(features, options.window);
  for (const s of chosen) assembler.add(s);
  const out = assembler.rows();
  return { features, rows: out.rows, source, incomplete: out.incomplete };
}

function pickMetrics(available: readonly string[], wanted: readonly string[] | undefined, source: string): readonly string[] {
  if (wanted === undefined || wanted.length === 0) return available;
  for (const m of wanted) if (!available.includes(m)) throw codedError('ERR_TRAIN_DATA', [source, `it has no metric "${m}" (it has ${available.join(', ') || 'none'})`]);
  return wanted;
}

function globs(patterns: readonly string[]): (id: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  return (id) => res.some((re) => re.test(id));
}
