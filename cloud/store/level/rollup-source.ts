// What the roll-up engine reads during a LevelDB roll-up pass: committed buckets through the
// cache, and the windows of a device or line from the summary indexes — all from the snapshot
// taken with the pass's pending work, so ingest batches committed since are not seen (their
// work is for the next pass). Only passes write buckets, one at a time, so the cache is theirs.

import type { AbstractSnapshot } from 'abstract-level';
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
    private readonly snapshot: AbstractSnapshot,
  ) {}

  async load(refs: readonly BucketRef[]): Promise<Map<string, RollupBucket>> {
    const out = new Map<string, RollupBucket>();
    const missing = this.cache.split(refs, out, this.touched);
    const values = await this.layout.roll.getMany(
      missing.map((r) => r.key),
      { snapshot: this.snapshot },
    );
    missing.forEach((ref, i) => {
      const v = values[i];
      if (v === undefined) return;
      const b = RollupBucket.decode(ref.start, this.accuracy, v);
      out.set(ref.key, b);
      this.cache.set(ref.key, b);
    });
    return out;
  }

  /** One range scan of the device or line index per bucket (LevelDB range scans are cheap). */
  async windows(buckets: readonly BucketRef[]): Promise<Partials[][]> {
    const out: Partials[][] = [];
    for (const ref of buckets) {
      const sc = ref.series.scope;
      if (sc.kind !== 'device' && sc.kind !== 'line') throw new TypeError(`windows() serves device and line series, not ${sc.kind}`);
      const [space, prefix] = sc.kind === 'device' ? [this.layout.dev, devPrefix(sc.device, ref.series.metric)] : [this.layout.line, linePrefix(ref.series.metric, sc.site, sc.line)];
      const entries = await space.all({ gte: prefix + padTime(ref.start), lt: prefix + padTime(ref.start + ref.resolutionMs), snapshot: this.snapshot });
      out.push(entries.filter(([, v]) => v.length > 0).map(([, v]) => decodePartials(v)));
    }
    return out;
  }

  async parts(buckets: readonly BucketRef[], finer: number | undefined): Promise<Array<Map<string, RollupBucket>>> {
    const out: Array<Map<string, RollupBucket>> = [];
    for (const ref of buckets) out.push(finer === undefined ? await this.#children(ref) : await this.#range(ref.series, finer, ref.start, ref.start + ref.resolutionMs));
    return out;
  }

  async #children(parent: BucketRef): Promise<Map<string, RollupBucket>> {
    const sc = parent.series.scope;
    const metric = parent.series.metric;
    if (sc.kind !== 'site' && sc.kind !== 'fleet') throw new TypeError(`children() serves site and fleet buckets, not ${sc.kind}`);
    // The lines of a site, or all sites, are one prefix of the time index at this instant.
    const child = sc.kind === 'site' ? seriesKey({ metric, scope: { kind: 'line', site: sc.site, line: '' } }) : seriesKey({ metric, scope: { kind: 'site', site: '' } });
    const at = rtimePrefix(parent.resolutionMs, parent.start);
    const keys = await this.layout.rtime.all({ gte: at + child, lt: at + child + END, snapshot: this.snapshot });
    return this.load(keys.map(([k]) => bucketRef(parseSeriesKey(k.slice(at.length)), parent.resolutionMs, parent.start)));
  }

  async #range(series: SeriesRef, res: number, from: number, to: number): Promise<Map<string, RollupBucket>> {
    const out = new Map<string, RollupBucket>();
    for (const [key, value] of await this.layout.roll.all({ gte: bucketKey(series, res, from), lt: bucketKey(series, res, to), snapshot: this.snapshot })) {
      out.set(key, this.cache.get(key) ?? RollupBucket.decode(bucketStartOf(key), this.accuracy, value));
    }
    return out;
  }
}
