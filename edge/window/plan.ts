// Pane math: every tumbling and hopping window is a run of equal panes, so a value updates one
// pane per key and a closing window merges its panes instead of every value touching every window.
//
// The pane size is the gcd of all tumbling sizes and hopping sizes and slides; window k of a spec
// covers [k·slide, k·slide + size), aligned to the epoch, which is always a whole number of panes.

import type { WindowSpec } from './contract.js';

/** A construction-time bound: a window needing more panes than this would make closing it too slow. */
export const MAX_PANES_PER_WINDOW = 10_000;

/** A tumbling or hopping window spec in pane terms. Tumbling is hopping with slide = size. */
export interface PaneSpec {
  readonly kind: 'tumbling' | 'hopping';
  /** Window length (ms). */
  readonly size: number;
  /** Distance between window starts (ms). */
  readonly slide: number;
  /** Position among the pane specs (indexes per-key revision maps). */
  readonly index: number;
}

export interface SessionSpec {
  /** Silence that ends a session (ms). */
  readonly gap: number;
  /** Position among the session specs (indexes per-key session lists). */
  readonly index: number;
}

export interface WindowPlan {
  readonly paneSpecs: readonly PaneSpec[];
  readonly sessionSpecs: readonly SessionSpec[];
  /** Pane length (ms); 0 when there are only session specs. */
  readonly paneMs: number;
  /** Largest tumbling/hopping size (ms); 0 without pane specs. A pane is needed until W >= start + this + lateness. */
  readonly maxSize: number;
  /** Largest size or gap (ms): the furthest a window can end beyond its newest reading. */
  readonly maxExtent: number;
}

/** Validate the specs and derive the pane size. Throws TypeError: a bad spec is a programmer/config mistake. */
export function planWindows(specs: readonly WindowSpec[]): WindowPlan {
  if (!Array.isArray(specs) || specs.length === 0) throw new TypeError('windows needs at least one window spec');
  const paneSpecs: PaneSpec[] = [];
  const sessionSpecs: SessionSpec[] = [];
  const seen = new Set<string>();
  let paneMs = 0;
  let maxExtent = 0;
  for (const spec of specs) {
    const name = JSON.stringify(spec);
    // Two equal specs would emit the same summary ids twice.
    if (seen.has(name)) throw new TypeError(`window spec ${name} is listed twice`);
    seen.add(name);
    if (spec.kind === 'session') {
      positiveInteger(spec.gapMs, `session gapMs in ${name}`);
      sessionSpecs.push({ gap: spec.gapMs, index: sessionSpecs.length });
      maxExtent = Math.max(maxExtent, spec.gapMs);
    } else if (spec.kind === 'tumbling' || spec.kind === 'hopping') {
      const size = spec.sizeMs;
      const slide = spec.kind === 'hopping' ? spec.slideMs : size;
      positiveInteger(size, `sizeMs in ${name}`);
      positiveInteger(slide, `slideMs in ${name}`);
      // Readings between windows would silently belong to none.
      if (slide > size) throw new TypeError(`hopping window ${name}: slideMs must not exceed sizeMs`);
      paneSpecs.push({ kind: spec.kind, size, slide, index: paneSpecs.length });
      paneMs = gcd(gcd(paneMs, size), slide);
      maxExtent = Math.max(maxExtent, size);
    } else {
      throw new TypeError(`unknown window kind in ${name}`);
    }
  }
  let maxSize = 0;
  for (const p of paneSpecs) {
    maxSize = Math.max(maxSize, p.size);
    const panes = p.size / paneMs;
    if (panes > MAX_PANES_PER_WINDOW) {
      throw new TypeError(
        `window ${p.kind} ${p.size} ms would need ${panes} panes of ${paneMs} ms (the gcd of all sizes and slides); ` +
          `at most ${MAX_PANES_PER_WINDOW}: choose sizes and slides with a larger common divisor`,
      );
    }
  }
  return { paneSpecs, sessionSpecs, paneMs, maxSize, maxExtent };
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Start of the pane (or any epoch-aligned interval of `len` ms) containing `ts`. */
export function alignDown(ts: number, len: number): number {
  return Math.floor(ts / len) * len;
}

/** Index of the first window of `spec` whose end is after `t`: the least k with k·slide + size > t. */
export function firstEndingAfter(t: number, spec: PaneSpec): number {
  return Math.floor((t - spec.size) / spec.slide) + 1;
}

/** Index of the last window of `spec` starting at or before `t`. */
export function lastStartingBy(t: number, spec: PaneSpec): number {
  return Math.floor(t / spec.slide);
}

function positiveInteger(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new TypeError(`${what} must be a positive integer (ms), got ${String(value)}`);
}
