// Fit a baseline model on normal feature rows: split off the last part of each device's windows,
// standardise on the rest, fit PCA or the autoencoder, calibrate the threshold on the held-back
// rows, and return the ONNX graph with its manifest. Pure: no files, no clock (createdAt is given).

import type { WindowSpecConfig } from '../../config/schema.js';
import { codedError } from '../../errors/catalogue.js';
import type { ModelManifest } from '../contract.js';
import type { FeatureRow } from '../feature-rows.js';
import { validateManifest } from '../manifest.js';
import { normaliser, normaliseRows } from '../normalise.js';
import { AUTOENCODER_MEANING, autoencoderGraph, autoencoderScores, fitAutoencoder, type AutoencoderOptions, type FitProgress } from './autoencoder.js';
import { calibrate, type Calibration } from './calibrate.js';
import { matrix, standardisation, type Matrix } from './linalg.js';
import { fitPca, PCA_MEANING, pcaGraph, pcaStatistics, type PcaOptions } from './pca.js';
import { Random } from './random.js';

export interface TrainingSet {
  /** Feature keys, `<metric>.<feature>`, in the order of each row's vector. */
  readonly features: readonly string[];
  readonly rows: readonly FeatureRow[];
  /** Where the rows came from (a file, a gateway's data dir), recorded in the manifest. */
  readonly source: string;
}

export interface TrainOptions {
  readonly algorithm: 'pca' | 'autoencoder';
  readonly name: string;
  readonly version: string;
  readonly window: WindowSpecConfig;
  readonly appliesTo: ModelManifest['appliesTo'];
  /** ISO 8601 instant recorded as training.createdAt (passed in, so a fit is reproducible). */
  readonly createdAt: string;
  /** Fraction held back for calibration (default 0.2): of each device's windows, or of the devices (see split). */
  readonly heldBack?: number;
  /**
   * What is held back: `time`, the latest windows of every device (how the model does later on the
   * same devices), or `devices`, every window of some devices (how it does on devices it never saw,
   * which is what a model for a device kind meets). Default: devices when there are at least 5, else time.
   */
  readonly split?: 'time' | 'devices' | 'none';
  /**
   * threshold = quantile(held-back scores, quantile) × margin (defaults 0.995 and 1). With split
   * `none` nothing is held back and the quantile is of the training rows' own scores, which is
   * optimistic: use a margin.
   */
  readonly quantile?: number;
  readonly margin?: number;
  /** Seed for everything random in the fit (default 1). */
  readonly seed?: number;
  readonly pca?: PcaOptions;
  readonly autoencoder?: Omit<AutoencoderOptions, 'seed'>;
  /** Autoencoder epochs as they finish (PCA is quick and reports nothing). */
  readonly onProgress?: (p: FitProgress) => void;
}

export interface TrainedModel {
  readonly manifest: ModelManifest;
  readonly onnx: Uint8Array;
  readonly calibration: Calibration;
  /** The held-back rows the threshold was calibrated on. */
  readonly heldBack: readonly FeatureRow[];
  /** The TypeScript reference computation of the graph's score, on raw rows (n × features, row-major). */
  reference(rows: ArrayLike<number>, n: number): Float64Array;
}

export const INPUT_NAME = 'features';
export const OUTPUT_NAME = 'score';

/** Fit, calibrate and export. Throws ERR_TRAIN_DATA when there are too few rows. */
export function trainModel(data: TrainingSet, options: TrainOptions): TrainedModel {
  const f = data.features.length;
  const heldBackFraction = options.heldBack ?? 0.2;
  if (!(heldBackFraction > 0 && heldBackFraction < 1)) throw new TypeError(`heldBack must be in (0, 1), got ${heldBackFraction}`);
  for (const row of data.rows) if (row.vector.length !== f) throw new TypeError(`row of ${row.device} at ${row.start} has ${row.vector.length} values, not ${f}`);
  const split = options.split ?? (new Set(data.rows.map((r) => r.device)).size >= 5 ? 'devices' : 'time');
  const { fit, heldBack } =
    split === 'none' ? { fit: [...data.rows], heldBack: [...data.rows] } : split === 'time' ? splitByTime(data.rows, heldBackFraction) : splitByDevices(data.rows, heldBackFraction, options.seed ?? 1);
  const minimum = Math.max(10, f + 2);
  if (fit.length < minimum) throw codedError('ERR_TRAIN_DATA', [data.source, `${fit.length} window(s) to fit on; at least ${minimum} are needed for ${f} feature(s) (more data, or a shorter window)`]);
  if (heldBack.length < 5) throw codedError('ERR_TRAIN_DATA', [data.source, `only ${heldBack.length} window(s) held back to calibrate on; at least 5 are needed (more data, or a larger --held-back)`]);

  const raw = toMatrix(fit, f);
  const s = standardisation(raw);
  const norm = { mean: Array.from(s.mean), std: Array.from(s.std) };
  const z = normaliser(norm);
  const standardised = (rows: ArrayLike<number>, n: number): Float32Array => normaliseRows(z, rows, n, new Float32Array(n * f));
  const zFit = matrix(fit.length, f, Float64Array.from(standardised(raw.data, fit.length)));
  const seed = options.seed ?? 1;
  const meta = { doc: '', props: { name: options.name, version: options.version, features: data.features.join(',') } };

  let score: (z: Float32Array, n: number) => Float64Array;
  let onnx: Uint8Array;
  let meaning: string;
  let details: Record<string, unknown>;
  if (options.algorithm === 'pca') {
    const pca = fitPca(zFit, options.pca);
    score = (x, n) => pcaStatistics(pca, x, n).score;
    meaning = PCA_MEANING;
    onnx = pcaGraph(pca, { input: INPUT_NAME, output: OUTPUT_NAME }, { ...meta, doc: meaning });
    details = { components: pca.components, explainedVariance: round(pca.explained), confidence: pca.confidence, limits: options.pca?.limits ?? 'theoretical', t2Limit: round(pca.t2Limit), qLimit: round(pca.qLimit), extraOutputs: ['t2', 'spe'] };
  } else {
    const ae = fitAutoencoder(zFit, { ...options.autoencoder, seed }, options.onProgress);
    score = (x, n) => autoencoderScores(ae, x, n);
    meaning = AUTOENCODER_MEANING;
    onnx = autoencoderGraph(ae, { input: INPUT_NAME, output: OUTPUT_NAME }, { ...meta, doc: meaning });
    details = {
      layers: [f, ...ae.layers.map((l) => l.outputs)],
      activation: ae.layers[0]!.activation,
      epochs: ae.epochs,
      bestEpoch: ae.bestEpoch,
      trainLoss: round(ae.trainLoss),
      validationLoss: round(ae.validationLoss),
    };
  }
  const reference = (rows: ArrayLike<number>, n: number): Float64Array => score(standardised(rows, n), n);
  const held = toMatrix(heldBack, f);
  const calibration = calibrate(reference(held.data, heldBack.length), fit.length, options.quantile ?? 0.995, options.margin ?? 1);

  const manifest = validateManifest(
    {
      name: options.name,
      version: options.version,
      algorithm: options.algorithm,
      window: options.window,
      features: [...data.features],
      normalisation: norm,
      input: { name: INPUT_NAME },
      output: { name: OUTPUT_NAME, meaning },
      threshold: calibration.threshold,
      appliesTo: options.appliesTo,
      training: {
        source: data.source,
        createdAt: options.createdAt,
        seed,
        devices: new Set(data.rows.map((r) => r.device)).size,
        rows: data.rows.length,
        ...calibration,
        split:
          split === 'none'
            ? 'nothing held back: the threshold is calibrated on the training windows themselves'
            : split === 'time'
              ? `the last ${heldBackFraction} of each device's windows (in time) held back for calibration`
              : `${heldBackFraction} of the devices (all their windows) held back for calibration`,
        zeroVarianceFeatures: s.constant.map((j) => data.features[j]),
        [options.algorithm]: details,
      },
    },
    `${options.name} (trained)`,
  );
  return { manifest, onnx, calibration, heldBack, reference };
}

/** Per device, rows in time order; the last `fraction` of them (at least one when a device has two or more) are held back. */
export function splitByTime(rows: readonly FeatureRow[], fraction: number): { fit: FeatureRow[]; heldBack: FeatureRow[] } {
  const byDevice = groupByDevice(rows);
  const fit: FeatureRow[] = [];
  const heldBack: FeatureRow[] = [];
  for (const [, list] of byDevice) {
    const keep = list.length < 2 ? list.length : list.length - Math.max(1, Math.round(list.length * fraction));
    fit.push(...list.slice(0, keep));
    heldBack.push(...list.slice(keep));
  }
  return { fit, heldBack };
}

/** A seeded choice of round(fraction × devices) devices (at least one, never all) is held back whole. */
export function splitByDevices(rows: readonly FeatureRow[], fraction: number, seed: number): { fit: FeatureRow[]; heldBack: FeatureRow[] } {
  const byDevice = groupByDevice(rows);
  const ids = [...byDevice.keys()];
  const order = new Random(seed).shuffle(Uint32Array.from(ids, (_, i) => i));
  const held = new Set(Array.from(order.subarray(0, Math.min(ids.length - 1, Math.max(1, Math.round(ids.length * fraction)))), (i) => ids[i]!));
  const fit: FeatureRow[] = [];
  const heldBack: FeatureRow[] = [];
  for (const [device, list] of byDevice) (held.has(device) ? heldBack : fit).push(...list);
  return { fit, heldBack };
}

/** Rows by device (devices sorted), each device's rows in time order. */
function groupByDevice(rows: readonly FeatureRow[]): Map<string, FeatureRow[]> {
  const byDevice = new Map<string, FeatureRow[]>();
  for (const r of [...rows].sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.start - b.start))) {
    const list = byDevice.get(r.device);
    if (list) list.push(r);
    else byDevice.set(r.device, [r]);
  }
  return byDevice;
}

function toMatrix(rows: readonly FeatureRow[], f: number): Matrix {
  const data = new Float64Array(rows.length * f);
  rows.forEach((r, i) => data.set(r.vector, i * f));
  return matrix(rows.length, f, data);
}

const round = (v: number): number => Number(v.toPrecision(6));
