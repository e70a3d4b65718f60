// Summaries (one per device, metric and window) gathered into feature rows (one per device and
// window, in manifest order): what a model is trained on and what it scores.

import type { WindowSpecConfig } from '../config/schema.js';
import type { Summary, WindowRef } from '../features/summary.js';
import { parseFeatureKey } from './feature-vector.js';

export interface FeatureRow {
  readonly device: string;
  /** The window's start and end (ms since the epoch). */
  readonly start: number;
  readonly end: number;
  /** The features in manifest order. */
  readonly vector: Float32Array;
}

/** Whether a summary's window is the one a model was made for. */
export function windowMatches(spec: WindowSpecConfig, w: WindowRef): boolean {
  switch (spec.kind) {
    case 'tumbling':
      return w.kind === 'tumbling' && w.size === spec.sizeMs;
    case 'hopping':
      return w.kind === 'hopping' && w.size === spec.sizeMs && w.slide === spec.slideMs;
    case 'session':
      return w.kind === 'session' && w.size === spec.gapMs;
  }
}

interface Pending {
  readonly device: string;
  readonly start: number;
  end: number;
  readonly values: Float64Array;
}

/**
 * Collects summaries, in the order they were emitted, into rows. A revision replaces what the
 * earlier one said; a retracted session window takes its metric's values out of the row. Only the
 * features the manifest lists are kept, so memory is one row of floats per device and window.
 */
export class FeatureRowAssembler {
  readonly #byMetric = new Map<string, Array<{ readonly feature: keyof Summary['features']; readonly index: number }>>();
  readonly #rows = new Map<string, Pending>();
  readonly #width: number;

  constructor(
    readonly features: readonly string[],
    readonly window: WindowSpecConfig,
  ) {
    this.#width = features.length;
    features.forEach((key, index) => {
      const ref = parseFeatureKey(key);
      if (!ref) throw new TypeError(`feature "${key}" is not <metric>.<feature>`);
      const list = this.#byMetric.get(ref.metric) ?? [];
      list.push({ feature: ref.feature, index });
      this.#byMetric.set(ref.metric, list);
    });
  }

  /** Take one summary; summaries of other windows or metrics are ignored. */
  add(summary: Summary): void {
    const wanted = this.#byMetric.get(summary.metric);
    if (wanted === undefined || !windowMatches(this.window, summary.window)) return;
    const key = `${summary.device}\u0000${summary.window.start}`;
    let row = this.#rows.get(key);
    if (row === undefined) {
      row = { device: summary.device, start: summary.window.start, end: summary.window.end, values: new Float64Array(this.#width).fill(NaN) };
      this.#rows.set(key, row);
    }
    row.end = Math.max(row.end, summary.window.end);
    for (const { feature, index } of wanted) row.values[index] = summary.retracted ? NaN : summary.features[feature];
  }

  /** Rows with every feature, by device then start; `incomplete` counts the windows missing some. */
  rows(): { rows: FeatureRow[]; incomplete: number } {
    const rows: FeatureRow[] = [];
    let incomplete = 0;
    for (const r of this.#rows.values()) {
      if (r.values.some((v) => !Number.isFinite(v))) incomplete++;
      else rows.push({ device: r.device, start: r.start, end: r.end, vector: Float32Array.from(r.values) });
    }
    rows.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : a.start - b.start));
    return { rows, incomplete };
  }
}

/** Feature rows from summaries in emission order (see FeatureRowAssembler). */
export function featureRows(summaries: Iterable<Summary>, features: readonly string[], window: WindowSpecConfig): { rows: FeatureRow[]; incomplete: number } {
  const assembler = new FeatureRowAssembler(features, window);
  for (const s of summaries) assembler.add(s);
  return assembler.rows();
}
