// What the roll-up engine reads during a LevelDB roll-up pass: committed buckets through the
// cache, and the windows of a device or line from the summary indexes. Passes run in the store's
// write queue, after every batch they apply has committed, so committed state is all there is.

import type { Partials } from '../../../edge/features/summary.js';
import { decodePartials, RollupBucket } from '../../rollup/bucket.js';
import type { RollupSource } from '../../rollup/engine.js';
import { bucketKey, bucketRef, bucketStartOf, padTime, parseSeriesKey, seriesKey, type BucketRef, type SeriesRef } from '../../rollup/series.js';
import type { BucketCache } from '../bucket-cache.js';
import { devPrefix, END, linePrefix, rtimePrefix, type Layout } from './layout.js';

export class LevelRollupSource implements RollupSource {
  /** Keys handed to the engine from LevelDB or the cache (it may mutate them). */
  readonly touched = new Set<string>();

  constructor(
    private readonly layout: Layout,
    private readonly cache: BucketCache,
    private readonly accuracy: number,
  ) {}

  async load(refs: readonly BucketRef[]): Promise<Map<string, RollupBucket>> {
    const out = new Map<string, RollupBucket>();
    const missing = this.cache.split(refs, out, this.touched);
    const values = await this.layout.roll.getMany(missing.map((r) => r.key));
    missing.forEach((ref, i) => {
      const v = values[i];
      if (v === undefined) return;
      const b = RollupBucket.decode(ref.start, this.accuracy, v);
      out.set(ref.key, b);
      this.cache.set(ref.key, b);
    });
    return out;
  }

  async windows(series: SeriesRef, from: number, to: number): Promise<Partials[]> {
    const sc = series.scope;
    if (sc.kind !== 'device' && sc.kind !== 'line') throw new TypeError(`windows() serves device and line series, not ${sc.kind}`);
    const [space, prefix] = sc.kind === 'device' ? [this.layout.dev, devPrefix(sc.device, series.metric)] : [this.layout.line, linePrefix(series.metric, sc.site, sc.line)];
    const entries = await space.all({ gte: prefix + padTime(from), lt: prefix + padTime(to) });
    return entries.filter(([, v]) => v.length > 0).map(([, v]) => decodePartials(v));
  }

  async children(parent: BucketRef): Promise<Map<string, RollupBucket>> {
    const sc = parent.series.scope;
    const metric = parent.series.metric;
    if (sc.kind !== 'site' && sc.kind !== 'fleet') throw new TypeError(`children() serves site and fleet buckets, not ${sc.kind}`);
    // The lines of a site, or all sites, are one prefix of the time index at this instant.
    const child = sc.kind === 'site' ? seriesKey({ metric, scope: { kind: 'line', site: sc.site, line: '' } }) : seriesKey({ metric, scope: { kind: 'site', site: '' } });
    const at = rtimePrefix(parent.resolutionMs, parent.start);
    const keys = await this.layout.rtime.all({ gte: at + child, lt: at + child + END });
    return this.load(keys.map(([k]) => bucketRef(parseSeriesKey(k.slice(at.length)), parent.resolutionMs, parent.start)));
  }

  async range(series: SeriesRef, res: number, from: number, to: number): Promise<Map<string, RollupBucket>> {
    const out = new Map<string, RollupBucket>();
    for (const [key, value] of await this.layout.roll.all({ gte: bucketKey(series, res, from), lt: bucketKey(series, res, to) })) {
      out.set(key, this.cache.get(key) ?? RollupBucket.decode(bucketStartOf(key), this.accuracy, value));
    }
    return out;
  }
}
