// Detection lead time: for each labelled anomaly, the first alert inside it, how long after the
// anomaly began it came (delay) and how long before the anomaly's reference instant (lead).
//
// An anomaly spans [start, end] (ms, inclusive). Its reference instant is the labelled instant where
// the labels give one (NAB's combined_labels.json, the moment the anomaly is said to happen; the
// window around it is wider), else its end (a SKAB anomaly segment's last row; a simulated failure's
// end, when the machine has failed). So:
//   delay = alert − start            (≥ 0: how long the anomaly went unnoticed)
//   lead  = (instant ?? end) − alert (> 0: warning ahead of the failure; < 0 for a NAB alert that came
//                                     after the labelled instant but still inside the window)
// Only alerts inside [start, end] count; an anomaly with none is missed. Alerts outside every
// anomaly are the scorers' business (NAB false positives, SKAB FAR), not this one's.

import type { NabWindow } from './nab-score.js';

export interface LabelledAnomaly {
  readonly start: number;
  readonly end: number;
  /** The labelled instant, where the labels give one; lead is measured to it instead of `end`. */
  readonly instant?: number;
  /** What it is, for reports: e.g. `valve1/3.csv#1`, `motor-007 bearing-wear`. */
  readonly name?: string;
}

export interface AnomalyDetection {
  readonly anomaly: LabelledAnomaly;
  /** The first alert inside the anomaly (ms); absent when it was missed. */
  readonly alert?: number;
  /** (instant ?? end) − alert, ms. */
  readonly lead?: number;
  /** alert − start, ms. */
  readonly delay?: number;
}

export interface LeadTimeReport {
  readonly anomalies: readonly AnomalyDetection[];
  readonly detected: number;
  readonly missed: number;
  /** Over the detected anomalies, ms; NaN when none was detected. */
  readonly meanLead: number;
  readonly medianLead: number;
  readonly meanDelay: number;
  readonly medianDelay: number;
}

/** Lead and delay of each anomaly against alert instants (ms, any order). */
export function leadTimes(anomalies: readonly LabelledAnomaly[], alertTimes: ArrayLike<number>): LeadTimeReport {
  const sorted = Float64Array.from(alertTimes).sort();
  const results = anomalies.map((anomaly): AnomalyDetection => {
    if (anomaly.end < anomaly.start) throw new TypeError(`anomaly ${anomaly.name ?? ''} ends before it starts`);
    const i = firstAtOrAfter(sorted, anomaly.start);
    const alert = sorted[i];
    if (alert === undefined || alert > anomaly.end) return { anomaly };
    return { anomaly, alert, lead: (anomaly.instant ?? anomaly.end) - alert, delay: alert - anomaly.start };
  });
  return summariseDetections(results);
}

/** The report over detections already made (e.g. those of several files pooled). */
export function summariseDetections(results: readonly AnomalyDetection[]): LeadTimeReport {
  const leads = results.flatMap((r) => (r.lead === undefined ? [] : [r.lead]));
  const delays = results.flatMap((r) => (r.delay === undefined ? [] : [r.delay]));
  return {
    anomalies: results,
    detected: leads.length,
    missed: results.length - leads.length,
    meanLead: mean(leads),
    medianLead: median(leads),
    meanDelay: mean(delays),
    medianDelay: median(delays),
  };
}

/** The instants of the rows that alerted (`alerts[i]` non-zero). */
export function alertTimes(ts: ArrayLike<number>, alerts: ArrayLike<number>): number[] {
  if (ts.length !== alerts.length) throw new TypeError(`ts has ${ts.length} rows but alerts has ${alerts.length}`);
  const out: number[] = [];
  for (let i = 0; i < ts.length; i++) if (alerts[i] !== 0) out.push(ts[i]!);
  return out;
}

/**
 * Point labels as anomalies: each run of consecutive labelled rows (SKAB's `anomaly` column) is one,
 * from its first row's instant to its last's. `name` prefixes their names (`<name>#1`, `#2`, ...).
 */
export function anomalySegments(ts: ArrayLike<number>, labels: ArrayLike<number>, name = 'anomaly'): LabelledAnomaly[] {
  if (ts.length !== labels.length) throw new TypeError(`ts has ${ts.length} rows but labels has ${labels.length}`);
  const out: LabelledAnomaly[] = [];
  let from = -1;
  for (let i = 0; i <= ts.length; i++) {
    const on = i < ts.length && labels[i] !== 0;
    if (on && from < 0) from = i;
    if (!on && from >= 0) {
      out.push({ start: ts[from]!, end: ts[i - 1]!, name: `${name}#${out.length + 1}` });
      from = -1;
    }
  }
  return out;
}

/** NAB windows as anomalies, each with the first labelled instant inside it (combined_labels.json). */
export function nabAnomalies(windows: readonly NabWindow[], instants: readonly number[] = [], name = 'window'): LabelledAnomaly[] {
  return windows.map((w, k) => {
    const instant = instants.find((t) => t >= w.start && t <= w.end);
    const base = { start: w.start, end: w.end, name: `${name}#${k + 1}` };
    return instant === undefined ? base : { ...base, instant };
  });
}

function firstAtOrAfter(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
