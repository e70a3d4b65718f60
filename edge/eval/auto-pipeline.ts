// The pipeline `tributary eval` builds for a recording it has never seen, from the recording alone:
// windows from its sampling interval, and what to fit on its fitting rows.
//
// Several metrics: hopping windows of 10 rows sliding by one row, so every row closes a window;
// features mean and std of each metric, std only for a metric whose level drifts (lag-1
// autocorrelation ≥ 0.7 on the fitting rows: its level cannot be learnt from them, its noise can);
// a PCA model (T² and Q, 90 % of the variance, control limits at the 99th percentile of the
// fitting windows' own statistics) fitted on every window of the fitting rows; threshold 2.25 ×
// the 99th percentile of their scores (a margin, as they are the rows it was fitted on); an alert
// when 5 windows running are over the threshold, cleared after 10 good ones.
//
// Those settings were chosen on SKAB (valve1/ and other/, 25 files) by a grid search, as SKAB's
// published detectors were; neighbouring settings score within a few points (see the README).
//
// One metric: tumbling windows of one row; a rolling robust z-score of the window mean against
// the previous 48 windows; an alert after 2 firings running, cleared after 48 quiet windows.

import { AlertEngine } from '../alert/engine.js';
import { validateAnalysisConfig } from '../config/analysis-load.js';
import type { WindowSpecConfig } from '../config/schema.js';
import type { ScoringModel } from '../model/contract.js';
import { featureKey } from '../model/feature-vector.js';
import { loadModelFromBytes } from '../model/onnx-model.js';
import { trainModel } from '../model/train/train.js';
import { trainingSetFromReadings } from '../model/train/training-data.js';
import { recordingReadings } from '../model/windowing.js';
import { samplingInterval, type Recording } from '../recording/recording.js';
import type { EvalPipeline } from './pipeline.js';

/** The recipe's knobs, with the defaults the module comment describes. */
export interface AutoOptions {
  /** Hopping window length in rows (default 10). */
  readonly windowRows?: number;
  /** Lag-1 autocorrelation at or above which a metric contributes only its std (default 0.7). */
  readonly driftAutocorrelation?: number;
  readonly variance?: number;
  /** Share of the fitting windows held back, latest first, to calibrate the threshold; 0 holds none back (default 0). */
  readonly heldBack?: number;
  /** T² and Q limits: `empirical` quantiles of the fitting windows' own statistics, or `theoretical` (default empirical). */
  readonly limits?: 'empirical' | 'theoretical';
  /** threshold = quantile(scores of the calibration windows) × margin (defaults 0.99 and 2.25). */
  readonly quantile?: number;
  readonly margin?: number;
  /** Raise after `raiseIn` of the last `raiseOf` windows over the threshold (defaults 5 of 5); clear after `clearAfter` good ones (10). */
  readonly raiseIn?: number;
  readonly raiseOf?: number;
  readonly clearAfter?: number;
}

/** Lag-1 autocorrelation of a metric over rows (NaN when it is constant). */
export function lag1Autocorrelation(values: readonly number[]): number {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    den += d * d;
    if (i > 0) num += d * (values[i - 1]! - mean);
  }
  return num / den;
}

export async function autoPipeline(recording: Recording, device: string, fitRows: number, createdAt: string, o: AutoOptions = {}): Promise<EvalPipeline> {
  const step = samplingInterval(recording);
  return recording.metrics.length > 1 ? multivariate(recording, device, fitRows, step, createdAt, o) : univariate(recording.metrics[0]!, step);
}

async function multivariate(recording: Recording, device: string, fitRows: number, step: number, createdAt: string, o: AutoOptions): Promise<EvalPipeline> {
  const window: WindowSpecConfig = { kind: 'hopping', sizeMs: (o.windowRows ?? 10) * step, slideMs: step };
  const fit = recording.rows.slice(0, fitRows);
  const limit = o.driftAutocorrelation ?? 0.7;
  const drifting = recording.metrics.filter((m) => lag1Autocorrelation(fit.flatMap((r) => (r.values[m] === undefined ? [] : [r.values[m]!]))) >= limit);
  const features = recording.metrics.flatMap((m) => (drifting.includes(m) ? [featureKey(m, 'std')] : [featureKey(m, 'mean'), featureKey(m, 'std')]));
  const set = trainingSetFromReadings(recordingReadings({ ...recording, rows: fit }, device), features, window, `the first ${fitRows} rows`);
  const trained = trainModel(set, {
    algorithm: 'pca',
    name: 'eval-pca',
    version: '1',
    window,
    appliesTo: { devices: [device] },
    createdAt,
    split: (o.heldBack ?? 0) > 0 ? 'time' : 'none',
    ...((o.heldBack ?? 0) > 0 ? { heldBack: o.heldBack } : {}),
    quantile: o.quantile ?? 0.99,
    margin: o.margin ?? 2.25,
    pca: { variance: o.variance ?? 0.9, limits: o.limits ?? 'empirical' },
  });
  const model: ScoringModel = await loadModelFromBytes(trained.onnx, trained.manifest);
  const analysis = validateAnalysisConfig({
    alerts: { rules: [{ name: 'anomaly', type: 'score', inWindows: o.raiseIn ?? 5, ofWindows: o.raiseOf ?? 5, clearAfter: o.clearAfter ?? 10, window }] },
  });
  return {
    windows: [window],
    judged: window,
    models: [model],
    rules: (clock) => new AlertEngine({ gateway: 'eval', rules: analysis.alerts.rules, detectors: [], defaultWindow: window, clock }),
    recipe: [
      `windows: hopping, ${o.windowRows ?? 10} rows long, sliding by one row (the median row spacing)`,
      `model: PCA (Hotelling T² and SPE/Q) on the mean and std of every metric (std only where the level drifts: lag-1 autocorrelation ≥ ${limit}), fitted on the first rows' windows; threshold ${o.margin ?? 2.25} × their 99th-percentile score`,
      `alert: ${o.raiseIn ?? 5} of ${o.raiseOf ?? 5} windows over the threshold; cleared after ${o.clearAfter ?? 10} good windows`,
    ],
    fitted: `${(trained.manifest.training?.['pca'] as { components: number } | undefined)?.components} components of ${features.length} features${drifting.length ? ` (std only: ${drifting.join(', ')})` : ''}, threshold ${trained.manifest.threshold.toPrecision(4)}, ${set.rows.length} windows`,
  };
}

function univariate(metric: string, step: number): EvalPipeline {
  const window: WindowSpecConfig = { kind: 'tumbling', sizeMs: step };
  const analysis = validateAnalysisConfig({
    detectors: [{ name: 'robust-z', kind: 'robust-z', feature: featureKey(metric, 'mean'), window, params: { window: 48, minSamples: 30, threshold: 3.5 } }],
    alerts: { rules: [{ name: 'anomaly', type: 'detector', detector: 'robust-z', raiseAfter: 2, clearAfter: 48, window }] },
  });
  return {
    windows: [window],
    judged: window,
    models: [],
    rules: (clock) => new AlertEngine({ gateway: 'eval', rules: analysis.alerts.rules, detectors: analysis.detectors, defaultWindow: window, clock }),
    recipe: [
      'windows: tumbling, one row long (the median row spacing)',
      'detector: robust z of the window mean against the previous 48 windows (median, MAD), fires over 3.5',
      'alert: 2 firings running; cleared after 48 quiet windows',
    ],
    fitted: `${metric}, windows of ${step} ms`,
  };
}
