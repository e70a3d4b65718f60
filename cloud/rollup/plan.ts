// The roll-up plan: which summaries feed roll-ups, at which resolutions, and every bucket a window
// lands in. Only tumbling windows of the configured source sizes feed: hopping windows overlap and
// would count each reading several times; session windows have no fixed extent (one can straddle
// bucket edges, grow, and be retracted), so they are stored and de-duplicated but never rolled up.

import type { Summary } from '../../edge/features/summary.js';
import type { CloudStoreConfig } from '../store/config.js';
import { bucketRef, seriesOf, type BucketRef, type WindowPlace } from './series.js';

export class RollupPlan {
  /** Resolutions, finest first, each a multiple of the one before. */
  readonly resolutions: readonly number[];
  readonly relativeAccuracy: number;
  readonly #sources: ReadonlySet<number>;

  constructor(rollups: CloudStoreConfig['rollups']) {
    this.resolutions = rollups.resolutions.map((r) => r.resolutionMs);
    this.relativeAccuracy = rollups.sketchRelativeAccuracy;
    this.#sources = new Set(rollups.sourceWindowsMs);
    const finest = this.resolutions[0];
    if (finest === undefined) throw new TypeError('a roll-up plan needs at least one resolution');
    this.resolutions.forEach((r, i) => {
      if (i > 0 && r % this.resolutions[i - 1]! !== 0) throw new TypeError(`resolution ${r} is not a multiple of ${this.resolutions[i - 1]}`);
    });
    for (const w of this.#sources) if (finest % w !== 0) throw new TypeError(`source window ${w} ms does not divide the finest resolution ${finest} ms`);
  }

  get finest(): number {
    return this.resolutions[0]!;
  }

  get coarsest(): number {
    return this.resolutions[this.resolutions.length - 1]!;
  }

  /** The resolution before `res`, or undefined for the finest. */
  finer(res: number): number | undefined {
    const i = this.resolutions.indexOf(res);
    return i > 0 ? this.resolutions[i - 1] : undefined;
  }

  /** Whether a (live, not retracted) summary feeds roll-ups: a tumbling window of a source size, aligned. */
  feeds(s: Pick<Summary, 'window' | 'retracted'>): boolean {
    const w = s.window;
    return !s.retracted && w.kind === 'tumbling' && this.#sources.has(w.size) && w.start % w.size === 0 && w.end - w.start === w.size;
  }

  bucketStart(t: number, res: number): number {
    return t - (((t % res) + res) % res);
  }

  /** Every bucket a window feeds: resolutions finest first, and within each, scopes in SCOPE_ORDER. */
  bucketsOf(p: WindowPlace): BucketRef[] {
    const series = seriesOf(p);
    const out: BucketRef[] = [];
    for (const res of this.resolutions) {
      const start = this.bucketStart(p.windowStart, res);
      for (const s of series) out.push(bucketRef(s, res, start));
    }
    return out;
  }
}
