// NAB scoring (Numenta Anomaly Benchmark, github.com/numenta/NAB): a file's detections against its
// labelled windows, per cost profile, with the per-row `S(t)_<profile>` column NAB writes beside a
// detector's results, and the raw, null, perfect and normalised scores.
//
// The rules, as nab/sweeper.py and nab/scorer.py apply them:
// - Rows before the probationary length, min(floor(0.15·rows), 0.15·5000), are not scored at all
//   (nab/util.py getProbationPeriod). A window with no row after it is not scored either (sweeper).
// - A window's rows are those with start ≤ ts ≤ end. Only its first detection counts: at row d of a
//   window ending at row `last`, with `len` rows, it scores
//   tpWeight · σ̃(−(last − d + 1)/len) / σ̃(−1), where σ̃(x) = 2/(1 + e^{5x}) − 1 (scaled sigmoid);
//   earlier is better, the window's first row scores exactly tpWeight. A window with no detection
//   costs −fnWeight.
// - A detection outside every window is a false positive: −fpWeight, except after a window, where it
//   scores fpWeight · σ̃((d − last)/(len − 1)) for the closest preceding window (by its last row): just
//   after the window that is close to 0, and from 3 window-lengths on it is −fpWeight.
// - S(t): 0 on every row except a scored window's first row, which carries that window's TP or FN
//   value, and each false positive's row, which carries its value. The column sums to the raw score.
// - null = −fnWeight · windows (no detections); perfect = tpWeight · windows (each window detected on
//   its first row); normalised = 100 · (raw − null) / (perfect − null) (nab/runner.py normalize).

import { codedError } from '../errors/catalogue.js';

/** A profile's weights, as in NAB's config/profiles.json `CostMatrix`. */
export interface CostMatrix {
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
}

export const NAB_PROFILE_NAMES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;

/** NAB's three profiles (config/profiles.json), used when no profiles file is given. */
export const NAB_PROFILES: Readonly<Record<string, CostMatrix>> = Object.freeze({
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
});

/** A labelled window, inclusive at both ends, ms since the epoch. */
export interface NabWindow {
  readonly start: number;
  readonly end: number;
}

export interface NabOptions {
  /** Share of the rows not scored at the start (default 0.15, NAB's), capped at 5000 × it rows. */
  readonly probationPercent?: number;
}

/** What happened in one labelled window. Rows are indices into the scored arrays. */
export interface NabWindowOutcome {
  readonly window: NabWindow;
  readonly firstRow: number;
  readonly lastRow: number;
  /** False when every row of it falls in the probationary period: it is neither a TP nor an FN. */
  readonly scored: boolean;
  /** The first detection in it after the probationary period, or -1 (a false negative). */
  readonly detectedRow: number;
  /** Relative position of that detection, −(last − d + 1)/len: −1 at the first row, → 0 at the end. */
  readonly position?: number;
}

export interface NabFalsePositive {
  readonly row: number;
  /** The closest window that ended before it (index into `windows`), or -1 when none did. */
  readonly after: number;
  /** Its distance past that window, in window lengths ((row − last)/(len − 1)); Infinity when none. */
  readonly position: number;
}

export interface NabScore {
  readonly raw: number;
  readonly null: number;
  readonly perfect: number;
  /** 100 · (raw − null) / (perfect − null); NaN when the file has no scored window. */
  readonly normalised: number;
  /** NAB's `S(t)_<profile>` column, one value per row; sums to `raw`. */
  readonly perRow: Float64Array;
}

export interface NabFileResult {
  readonly rows: number;
  readonly probationaryRows: number;
  readonly windows: readonly NabWindowOutcome[];
  readonly falsePositives: readonly NabFalsePositive[];
  /** Row counts after the probationary period, as NAB's score tables give them. */
  readonly counts: { readonly tp: number; readonly fp: number; readonly tn: number; readonly fn: number };
  /** By profile name. */
  readonly scores: Readonly<Record<string, NabScore>>;
}

export interface NabTotals {
  readonly raw: number;
  readonly null: number;
  readonly perfect: number;
  readonly normalised: number;
}

/** NAB's scaled sigmoid of a relative position: 2·sigmoid(−5x) − 1, and −1 beyond 3. */
export function scaledSigmoid(x: number): number {
  return x > 3 ? -1 : 2 / (1 + Math.exp(5 * x)) - 1;
}

/** Rows at the start that are not scored: min(floor(p · rows), p · 5000). */
export function probationaryRows(rows: number, probationPercent = 0.15): number {
  return Math.min(Math.floor(probationPercent * rows), probationPercent * 5000);
}

/** NAB's detections from anomaly scores: score ≥ threshold (nab/util.py). NaN is never a detection. */
export function detectionsFromScores(scores: ArrayLike<number>, threshold: number): Uint8Array {
  const out = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i]! >= threshold ? 1 : 0;
  return out;
}

/**
 * Score one file. `ts` (ms, non-decreasing) and `detections` (non-zero = detection) are per row;
 * `windows` are the file's labelled windows. `name` names the file in errors. Throws
 * ERR_EVAL_MISMATCH when the rows go back in time or a window holds no row.
 */
export function scoreNabFile(
  name: string,
  ts: ArrayLike<number>,
  detections: ArrayLike<number>,
  windows: readonly NabWindow[],
  profiles: Readonly<Record<string, CostMatrix>> = NAB_PROFILES,
  options: NabOptions = {},
): NabFileResult {
  if (ts.length !== detections.length) throw new TypeError(`ts has ${ts.length} rows but detections has ${detections.length}`);
  for (let i = 1; i < ts.length; i++) {
    if (!(ts[i]! >= ts[i - 1]!)) throw codedError('ERR_EVAL_MISMATCH', [name, `row ${i} goes back in time; NAB scores rows in time order`]);
  }
  const probation = probationaryRows(ts.length, options.probationPercent);
  const inWindow = new Uint8Array(ts.length);
  const outcomes = windows.map((window) => locateWindow(name, ts, detections, window, probation, inWindow));
  const falsePositives: NabFalsePositive[] = [];
  const counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < ts.length; i++) {
    if (i < probation) continue;
    const detected = detections[i] !== 0;
    if (inWindow[i]) detected ? counts.tp++ : counts.fn++;
    else if (detected) {
      counts.fp++;
      falsePositives.push(falsePositive(i, outcomes));
    } else counts.tn++;
  }
  const scores: Record<string, NabScore> = {};
  for (const [profile, costs] of Object.entries(profiles)) scores[profile] = weigh(ts.length, outcomes, falsePositives, costs);
  return { rows: ts.length, probationaryRows: probation, windows: outcomes, falsePositives, counts, scores };
}

/** Totals over files, per profile: raw, null and perfect add up; normalised is of the sums. */
export function sumNabScores(files: readonly NabFileResult[]): Record<string, NabTotals> {
  const sums: Record<string, { raw: number; null: number; perfect: number }> = {};
  for (const file of files) {
    for (const [profile, s] of Object.entries(file.scores)) {
      const t = (sums[profile] ??= { raw: 0, null: 0, perfect: 0 });
      t.raw += s.raw;
      t.null += s.null;
      t.perfect += s.perfect;
    }
  }
  const totals: Record<string, NabTotals> = {};
  for (const [profile, t] of Object.entries(sums)) totals[profile] = { ...t, normalised: normalise(t.raw, t.null, t.perfect) };
  return totals;
}

function locateWindow(
  name: string,
  ts: ArrayLike<number>,
  detections: ArrayLike<number>,
  window: NabWindow,
  probation: number,
  inWindow: Uint8Array,
): NabWindowOutcome {
  let firstRow = -1;
  let lastRow = -1;
  for (let i = 0; i < ts.length && ts[i]! <= window.end; i++) {
    if (ts[i]! < window.start) continue;
    if (firstRow < 0) firstRow = i;
    lastRow = i;
  }
  if (firstRow < 0) throw codedError('ERR_EVAL_MISMATCH', [name, `no row falls in the window ${iso(window.start)} – ${iso(window.end)}`]);
  let detectedRow = -1;
  for (let i = firstRow; i <= lastRow; i++) {
    inWindow[i] = 1;
    if (detectedRow < 0 && i >= probation && detections[i] !== 0) detectedRow = i;
  }
  const len = lastRow - firstRow + 1;
  const scored = lastRow >= probation;
  return detectedRow < 0
    ? { window, firstRow, lastRow, scored, detectedRow }
    : { window, firstRow, lastRow, scored, detectedRow, position: -(lastRow - detectedRow + 1) / len };
}

function falsePositive(row: number, windows: readonly NabWindowOutcome[]): NabFalsePositive {
  let after = -1;
  windows.forEach((w, k) => {
    if (w.lastRow < row && (after < 0 || w.lastRow > windows[after]!.lastRow)) after = k;
  });
  if (after < 0) return { row, after, position: Infinity };
  const w = windows[after]!;
  const len = w.lastRow - w.firstRow + 1;
  // A one-row window has no length to measure by; NAB's earlier scorer put such a FP at 2 lengths.
  return { row, after, position: len > 1 ? (row - w.lastRow) / (len - 1) : 2 };
}

function weigh(rows: number, windows: readonly NabWindowOutcome[], falsePositives: readonly NabFalsePositive[], costs: CostMatrix): NabScore {
  const perRow = new Float64Array(rows);
  const maxTp = scaledSigmoid(-1);
  let raw = 0;
  let scored = 0;
  for (const w of windows) {
    if (!w.scored) continue;
    scored++;
    const value = w.position === undefined ? -costs.fnWeight : (scaledSigmoid(w.position) * costs.tpWeight) / maxTp;
    perRow[w.firstRow] = perRow[w.firstRow]! + value;
    raw += value;
  }
  for (const fp of falsePositives) {
    const value = fp.after < 0 ? -costs.fpWeight : scaledSigmoid(fp.position) * costs.fpWeight;
    perRow[fp.row] = value; // a row is at most one false positive
    raw += value;
  }
  const nullScore = -costs.fnWeight * scored;
  const perfect = costs.tpWeight * scored;
  return { raw, null: nullScore, perfect, normalised: normalise(raw, nullScore, perfect), perRow };
}

function normalise(raw: number, nullScore: number, perfect: number): number {
  return perfect === nullScore ? NaN : (100 * (raw - nullScore)) / (perfect - nullScore);
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
