// SKAB's outlier metrics (Skoltech Anomaly Benchmark, github.com/waico/SKAB): point labels from
// each file's `anomaly` column against per-row alerts, as F1, FAR and MAR.
//
// As SKAB's leaderboard computes them (core/metrics.py, chp_score(metric='binary')): the confusion
// counts of every file are added up first, then F1 = TP / (TP + (FN + FP)/2), FAR = FP / (FP + TN),
// MAR = FN / (FN + TP) over the sums; so a long file weighs more than a short one. The leaderboard
// prints FAR and MAR in percent and everything rounded to two places; these functions return the
// unrounded fractions.
//
// The first 400 rows of each file are for fitting or calibrating a detector. SKAB's notebooks fit
// on them but still count them in the score (the prediction series spans the whole file); by default
// these functions leave them out (`skipRows`), which is stricter: a detector gets no credit for
// being quiet on the rows it was fitted to. Pass skipRows: 0 for the notebooks' counting.

export const SKAB_FIT_ROWS = 400;

export interface ConfusionCounts {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export interface SkabMetrics extends ConfusionCounts {
  /** Rows scored. */
  readonly rows: number;
  /** TP / (TP + (FN + FP)/2); NaN when there is neither a labelled row nor an alert. */
  readonly f1: number;
  /** False alarm rate FP / (FP + TN), a fraction; NaN without normal rows. */
  readonly far: number;
  /** Missed alarm rate FN / (FN + TP), a fraction; NaN without labelled rows. */
  readonly mar: number;
}

export interface SkabFile {
  readonly name: string;
  /** Per row, non-zero = labelled anomalous (SKAB's `anomaly` column). */
  readonly labels: ArrayLike<number>;
  /** Per row, non-zero = the detector alerted on this row. */
  readonly alerts: ArrayLike<number>;
}

export interface SkabOptions {
  /** Rows at the start of each file left out of the score (default 400, SKAB's fitting rows). */
  readonly skipRows?: number;
}

export interface SkabReport {
  readonly overall: SkabMetrics;
  readonly files: ReadonlyArray<{ readonly name: string; readonly metrics: SkabMetrics }>;
}

/** Confusion counts of one file's rows from `skipRows` on. */
export function confusionCounts(labels: ArrayLike<number>, alerts: ArrayLike<number>, skipRows = SKAB_FIT_ROWS): ConfusionCounts {
  if (labels.length !== alerts.length) throw new TypeError(`labels has ${labels.length} rows but alerts has ${alerts.length}`);
  if (!(skipRows >= 0)) throw new TypeError(`skipRows must be ≥ 0, not ${skipRows}`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = skipRows; i < labels.length; i++) {
    const truth = labels[i] !== 0;
    const alert = alerts[i] !== 0;
    if (truth) alert ? tp++ : fn++;
    else alert ? fp++ : tn++;
  }
  return { tp, fp, tn, fn };
}

/** F1, FAR and MAR from counts. */
export function skabMetrics(c: ConfusionCounts): SkabMetrics {
  return {
    ...c,
    rows: c.tp + c.fp + c.tn + c.fn,
    f1: ratio(c.tp, c.tp + (c.fn + c.fp) / 2),
    far: ratio(c.fp, c.fp + c.tn),
    mar: ratio(c.fn, c.fn + c.tp),
  };
}

/** Per file, and over all files by adding their counts (SKAB's leaderboard figure). */
export function evaluateSkab(files: readonly SkabFile[], options: SkabOptions = {}): SkabReport {
  const skip = options.skipRows ?? SKAB_FIT_ROWS;
  const perFile = files.map((f) => ({ name: f.name, counts: confusionCounts(f.labels, f.alerts, skip) }));
  const sum = perFile.reduce((s, { counts: c }) => ({ tp: s.tp + c.tp, fp: s.fp + c.fp, tn: s.tn + c.tn, fn: s.fn + c.fn }), { tp: 0, fp: 0, tn: 0, fn: 0 });
  return { overall: skabMetrics(sum), files: perFile.map(({ name, counts }) => ({ name, metrics: skabMetrics(counts) })) };
}

function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}
