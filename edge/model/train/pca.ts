// PCA for process monitoring: Hotelling's T² in the space of the kept components and SPE/Q (the
// squared residual off it), each with its control limit, combined into one score:
//
//   score = max(T² / T²_lim, Q / Q_lim)
//
// so 1 means "at the control limit of the worse of the two" and the threshold is read the same way
// whatever the data. T²_lim is the F-distribution prediction limit for a new observation
// (Tracy, Young & Mason 1992); Q_lim is Jackson & Mudholkar's (1979), with Box's (1954) g·χ²_h
// when their h₀ is too small for the formula. Works on standardised data (the runtime applies the
// manifest's normalisation before the graph).

import { GraphBuilder, type ModelMeta } from '../onnx-graph.js';
import { chiSquareQuantile, fQuantile, normalQuantile, quantile } from './distributions.js';
import { covariance, symmetricEigen, type Matrix } from './linalg.js';

export interface PcaOptions {
  /** Fraction of the variance the kept components must explain (default 0.9); ignored when `components` is set. */
  readonly variance?: number;
  /** Exactly this many components (at most features − 1). */
  readonly components?: number;
  /** Confidence of the T² and Q control limits, e.g. 0.99 (default). */
  readonly confidence?: number;
  /**
   * How the limits are set: `theoretical` (default; the F-distribution and Jackson–Mudholkar
   * formulas, which assume normal data) or `empirical`, the `confidence` quantile of the training
   * rows' own T² and Q (for data far from normal, at the price of needing more rows).
   */
  readonly limits?: 'theoretical' | 'empirical';
}

export interface PcaModel {
  /** Input width F. */
  readonly features: number;
  /** Kept components k. */
  readonly components: number;
  /** P: F × k loadings, row-major (column j is component j). */
  readonly loadings: Float64Array;
  /** λ₁…λ_k, the variances of the kept scores. */
  readonly eigenvalues: Float64Array;
  /** Fraction of the total variance the kept components explain. */
  readonly explained: number;
  readonly confidence: number;
  readonly t2Limit: number;
  readonly qLimit: number;
}

export interface PcaStatistics {
  readonly t2: Float64Array;
  readonly spe: Float64Array;
  /** max(t2 / t2Limit, spe / qLimit). */
  readonly score: Float64Array;
}

export const PCA_MEANING = 'max(T²/T²_lim, Q/Q_lim): Hotelling T² and SPE/Q of the standardised features, each over its control limit; above 1 is outside the limits';

/** Fit on standardised training rows (z: n × F). */
export function fitPca(z: Matrix, options: PcaOptions = {}): PcaModel {
  const n = z.rows;
  const f = z.cols;
  const confidence = options.confidence ?? 0.99;
  if (!(confidence > 0.5 && confidence < 1)) throw new TypeError(`confidence must be in (0.5, 1), got ${confidence}`);
  const eigen = symmetricEigen(covariance(z));
  const values = eigen.values.map((v) => Math.max(0, v));
  const total = values.reduce((a, b) => a + b, 0);
  const positive = values.filter((v) => v > 1e-10 * Math.max(total, 1e-300)).length;
  // Leave at least one dimension for Q, and never keep a direction with no variance (T² would divide by 0).
  const most = Math.max(1, Math.min(positive, f > 1 ? f - 1 : 1, n - 2));
  let k: number;
  if (options.components !== undefined) {
    if (!(Number.isInteger(options.components) && options.components >= 1)) throw new TypeError(`components must be a positive integer, got ${options.components}`);
    k = Math.min(options.components, most);
  } else {
    const variance = options.variance ?? 0.9;
    if (!(variance > 0 && variance <= 1)) throw new TypeError(`variance must be in (0, 1], got ${variance}`);
    k = 1;
    let sum = values[0]!;
    while (k < most && sum < variance * total) sum += values[k++]!;
  }
  const loadings = new Float64Array(f * k);
  for (let r = 0; r < f; r++) for (let c = 0; c < k; c++) loadings[r * k + c] = eigen.vectors.data[r * f + c]!;
  const kept = values.slice(0, k);
  const explained = total > 0 ? kept.reduce((a, b) => a + b, 0) / total : 1;
  const model = {
    features: f,
    components: k,
    loadings,
    eigenvalues: kept.map((v) => (v > 0 ? v : 1)),
    explained,
    confidence,
    t2Limit: t2Limit(k, n, confidence),
    qLimit: qLimit(values.slice(k), confidence, total),
  };
  if (options.limits !== 'empirical') return model;
  const own = pcaStatistics({ ...model, t2Limit: 1, qLimit: 1 }, z.data, n);
  const floor = 1e-6 * Math.max(total, 1e-12);
  return { ...model, t2Limit: Math.max(quantile(own.t2, confidence), floor), qLimit: Math.max(quantile(own.spe, confidence), floor) };
}

/** T²_α for a new observation: k(n−1)(n+1) / (n(n−k)) · F_α(k, n−k). */
export function t2Limit(k: number, n: number, confidence: number): number {
  if (n <= k + 1) throw new TypeError(`T² limit needs more rows (${n}) than components + 1 (${k + 1})`);
  return ((k * (n - 1) * (n + 1)) / (n * (n - k))) * fQuantile(confidence, k, n - k);
}

/** Q_α from the residual eigenvalues (Jackson & Mudholkar; Box's g·χ²_h where h₀ is too small). Never below a tiny floor, so Q / Q_lim stays finite. */
export function qLimit(residual: ArrayLike<number>, confidence: number, totalVariance: number): number {
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  for (let i = 0; i < residual.length; i++) {
    const l = residual[i]!;
    t1 += l;
    t2 += l * l;
    t3 += l * l * l;
  }
  const floor = 1e-6 * Math.max(totalVariance, 1e-12);
  if (t1 <= floor) return floor;
  const h0 = 1 - (2 * t1 * t3) / (3 * t2 * t2);
  let q: number;
  if (h0 > 0.1) {
    const z = normalQuantile(confidence);
    const inner = (z * Math.sqrt(2 * t2 * h0 * h0)) / t1 + 1 + (t2 * h0 * (h0 - 1)) / (t1 * t1);
    q = t1 * Math.max(0, inner) ** (1 / h0);
  } else {
    q = (t2 / t1) * chiSquareQuantile(confidence, (t1 * t1) / t2);
  }
  return Math.max(q, floor);
}

/** The reference computation: T², SPE and the score of standardised rows (n × F, row-major). */
export function pcaStatistics(model: PcaModel, z: ArrayLike<number>, n: number): PcaStatistics {
  const { features: f, components: k, loadings: p, eigenvalues: l } = model;
  const t2 = new Float64Array(n);
  const spe = new Float64Array(n);
  const score = new Float64Array(n);
  const t = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const o = i * f;
    let sumT2 = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let r = 0; r < f; r++) s += z[o + r]! * p[r * k + c]!;
      t[c] = s;
      sumT2 += (s * s) / l[c]!;
    }
    let sumQ = 0;
    for (let r = 0; r < f; r++) {
      let back = 0;
      for (let c = 0; c < k; c++) back += t[c]! * p[r * k + c]!;
      const e = z[o + r]! - back;
      sumQ += e * e;
    }
    t2[i] = sumT2;
    spe[i] = sumQ;
    score[i] = Math.max(sumT2 / model.t2Limit, sumQ / model.qLimit);
  }
  return { t2, spe, score };
}

/**
 * The ONNX graph: input [N, F] (standardised) → `output` [N] (the score), plus `t2` and `spe` [N].
 *   t = x·P;  t2 = Σ (t / √λ)²;  spe = Σ (x − t·Pᵀ)²;  score = max(t2 / T²_lim, spe / Q_lim)
 */
export function pcaGraph(model: PcaModel, names: { readonly input: string; readonly output: string }, meta: ModelMeta): Uint8Array {
  const { features: f, components: k } = model;
  const g = new GraphBuilder('pca');
  const x = g.input(names.input, f);
  const p = g.constant('P', model.loadings, [f, k]);
  const pt = g.constant('P_T', transpose(model.loadings, f, k), [k, f]);
  const invSqrtL = g.constant('inv_sqrt_lambda', Array.from(model.eigenvalues, (v) => 1 / Math.sqrt(v)), [k]);
  const t = g.node('MatMul', [x, p]);
  const t2 = g.node('ReduceSumSquare', [g.node('Mul', [t, invSqrtL])], { output: 't2', attributes: { axes: [1], keepdims: 0 } });
  const residual = g.node('Sub', [x, g.node('MatMul', [t, pt])]);
  const spe = g.node('ReduceSumSquare', [residual], { output: 'spe', attributes: { axes: [1], keepdims: 0 } });
  const t2Ratio = g.node('Mul', [t2, g.constant('inv_t2_limit', [1 / model.t2Limit], [])]);
  const qRatio = g.node('Mul', [spe, g.constant('inv_q_limit', [1 / model.qLimit], [])]);
  g.node('Max', [t2Ratio, qRatio], { output: names.output });
  g.output(names.output);
  g.output(t2);
  g.output(spe);
  return g.encode(meta);
}

function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}
