// Mergeable partial aggregates: built value by value, merged across panes, windows and gateways,
// and turned into a window's features.
//
// Time sums are over t = (ts − tRef) in seconds. Keeping tRef at the window (or pane) start keeps
// t small, so Σt² and Σt·v do not lose the slope to rounding the way epoch-sized times would.

import type { Features, Partials } from './summary.js';

/** Partials of no values, with time sums relative to `tRef` (ms since the epoch). */
export function emptyPartials(tRef: number): Partials {
  return { count: 0, sum: 0, sumSq: 0, min: Infinity, max: -Infinity, first: 0, firstTs: Infinity, last: 0, lastTs: -Infinity, tRef, sumT: 0, sumTT: 0, sumTV: 0 };
}

export function copyPartials(p: Partials): Partials {
  return {
    count: p.count, sum: p.sum, sumSq: p.sumSq, min: p.min, max: p.max, first: p.first, firstTs: p.firstTs,
    last: p.last, lastTs: p.lastTs, tRef: p.tRef, sumT: p.sumT, sumTT: p.sumTT, sumTV: p.sumTV,
  };
}

/**
 * Add one value observed at `ts` (ms since the epoch), in place. On equal timestamps the earlier
 * arrival stays `first` and the later one becomes `last`, matching `mergeInto(a, b)` with a before b.
 */
export function addValue(p: Partials, ts: number, v: number): void {
  const t = (ts - p.tRef) / 1000;
  p.count++;
  p.sum += v;
  p.sumSq += v * v;
  if (v < p.min) p.min = v;
  if (v > p.max) p.max = v;
  if (ts < p.firstTs) {
    p.firstTs = ts;
    p.first = v;
  }
  if (ts >= p.lastTs) {
    p.lastTs = ts;
    p.last = v;
  }
  p.sumT += t;
  p.sumTT += t * t;
  p.sumTV += t * v;
}

/**
 * Move the time sums to a new reference instant, in place. With d = (old tRef − new tRef) in s,
 * each t becomes t + d, so Σt += n·d, Σt² += 2d·Σt + n·d², Σt·v += d·Σv.
 */
export function rebase(p: Partials, tRef: number): void {
  const d = (p.tRef - tRef) / 1000;
  const n = p.count;
  p.sumTT += 2 * d * p.sumT + n * d * d;
  p.sumTV += d * p.sum;
  p.sumT += n * d;
  p.tRef = tRef;
}

/** Add `src` into `target` in place (src's values count as arriving after target's); `target` keeps its tRef. */
export function mergeInto(target: Partials, src: Partials): void {
  const n = src.count;
  if (n === 0) return;
  const d = (src.tRef - target.tRef) / 1000;
  target.count += n;
  target.sum += src.sum;
  target.sumSq += src.sumSq;
  if (src.min < target.min) target.min = src.min;
  if (src.max > target.max) target.max = src.max;
  if (src.firstTs < target.firstTs) {
    target.firstTs = src.firstTs;
    target.first = src.first;
  }
  if (src.lastTs >= target.lastTs) {
    target.lastTs = src.lastTs;
    target.last = src.last;
  }
  target.sumTT += src.sumTT + 2 * d * src.sumT + n * d * d;
  target.sumTV += src.sumTV + d * src.sum;
  target.sumT += src.sumT + n * d;
}

/** A new partials of `a` then `b`, with time sums relative to `tRef` (default: a's). */
export function mergePartials(a: Partials, b: Partials, tRef = a.tRef): Partials {
  const out = copyPartials(a);
  rebase(out, tRef);
  mergeInto(out, b);
  return out;
}

/**
 * The features of a window. Windows are only emitted with at least one value; an empty partials
 * gives all-zero features rather than NaN so it can never poison a JSON consumer.
 */
export function deriveFeatures(p: Partials): Features {
  const n = p.count;
  if (n === 0) return { count: 0, sum: 0, min: 0, max: 0, mean: 0, std: 0, rms: 0, first: 0, last: 0, slope: 0, peakToPeak: 0 };
  const mean = p.sum / n;
  const meanSq = p.sumSq / n;
  // E[v²] − E[v]² can come out slightly negative (NaN std) or slightly positive for constant values
  // through rounding; equal min and max means exactly 0.
  const variance = p.max > p.min ? meanSq - mean * mean : 0;
  return {
    count: n,
    sum: p.sum,
    min: p.min,
    max: p.max,
    mean,
    std: variance > 0 ? Math.sqrt(variance) : 0,
    rms: Math.sqrt(meanSq),
    first: p.first,
    last: p.last,
    slope: slopeOf(p),
    peakToPeak: p.max - p.min,
  };
}

/** Least-squares slope of v over t (units per second); 0 unless there are two distinct instants. */
function slopeOf(p: Partials): number {
  if (!(p.lastTs > p.firstTs)) return 0;
  const meanT = p.sumT / p.count;
  const sxx = p.sumTT - meanT * p.sumT; // Σ(t − t̄)²
  const sxy = p.sumTV - meanT * p.sum; // Σ(t − t̄)(v − v̄)
  return sxx > 0 ? sxy / sxx : 0;
}
