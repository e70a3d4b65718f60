// What the roll-up engine reads during one LevelDB ingest batch: committed buckets (through the
// cache) and the windows of a device or line — the latter overlaid with the batch's own index
// writes, which are not in LevelDB until the batch commits.

import type { Partials } from '../../../edge/features/summary.js';
import { codedError } from '../../../edge/errors/catalogue.js';
import { decodePartials, RollupBucket } from '../../rollup/bucket.js';
import type { RollupSource } from '../../rollup/engine.js';
import { bucketKey, bucketRef, padTime, parseSeriesKey, seriesKey, type BucketRef, type SeriesRef } from '../../rollup/series.js';
import type { BucketCache } from '../bucket-cache.js';
import { devPrefix, END, linePrefix, rtimePrefix, type BinaryLevel, type Layout } from './layout.js';

/** Index writes a batch has queued: key → value, or null for a delete. */
export type PendingIndex = Map<string, Buffer | null>;

export class LevelRollupSource implements RollupSource {
  /** Keys read from LevelDB or the cache and handed to the engine (which may mutate them). */
  readonly touched = new Set<string>();

  constructor(
    private readonly layout: Layout,
    private readonly cache: BucketCache,
    private readonly accuracy: number,
    private readonly pendingDev: PendingIndex,
    private readonly pendingLine: PendingIndex,
  ) {}

  async load(refs: readonly BucketRef[]): Promise<Map<string, RollupBucket>> {
    const out = new Map<string, RollupBucket>();
    const missing = this.cache.split(refs, out, this.touched);
    if (missing.length) {
      const values = await read(() => this.layout.roll.getMany(missing.map((r) => r.key)));
      missing.forEach((ref, i) => {
        const v = values[i];
        if (v === undefined) return;
        const b = RollupBucket.decode(ref.start, this.accuracy, v);
        out.set(ref.key, b);
        this.cache.set(ref.key, b);
      });
    }
    return out;
  }

  async windows(series: SeriesRef, from: number, to: number): Promise<Partials[]> {
    const sc = series.scope;
    let level: BinaryLevel;
    let prefix: string;
    let pending: PendingIndex;
    if (sc.kind === 'device') [level, prefix, pending] = [this.layout.dev, devPrefix(sc.device, series.metric), this.pendingDev];
    else if (sc.kind === 'line') [level, prefix, pending] = [this.layout.line, linePrefix(series.metric, sc.site, sc.line), this.pendingLine];
    else throw new TypeError(`windows() serves device and line series, not ${sc.kind}`);
    const gte = prefix + padTime(from);
    const lt = prefix + padTime(to);
    const found = new Map<string, Buffer | null>(await read(() => level.iterator({ gte, lt }).all()));
    for (const [k, v] of pending) if (k >= gte && k < lt) found.set(k, v);
    const out: Partials[] = [];
    for (const k of [...found.keys()].sort()) {
      const v = found.get(k);
      if (v && v.length > 0) out.push(decodePartials(v));
    }
    return out;
  }

  async children(parent: BucketRef): Promise<Map<string, RollupBucket>> {
    const sc = parent.series.scope;
    const metric = parent.series.metric;
    const childPrefix =
      sc.kind === 'site' ? seriesKey({ metric, scope: { kind: 'line', site: sc.site, line: '' } }) : sc.kind === 'fleet' ? seriesKey({ metric, scope: { kind: 'site', site: '' } }) : undefined;
    if (childPrefix === undefined) throw new TypeError(`children() serves site and fleet buckets, not ${sc.kind}`);
    const prefix = rtimePrefix(parent.resolutionMs, parent.start) + childPrefix;
    const keys = await read(() => this.layout.rtime.keys({ gte: prefix, lt: prefix + END }).all());
    const at = rtimePrefix(parent.resolutionMs, parent.start).length;
    return this.load(keys.map((k) => bucketRef(parseSeriesKey(k.slice(at)), parent.resolutionMs, parent.start)));
  }

  async range(series: SeriesRef, res: number, from: number, to: number): Promise<Map<string, RollupBucket>> {
    const entries = await read(() => this.layout.roll.iterator({ gte: bucketKey(series, res, from), lt: bucketKey(series, res, to) }).all());
    const out = new Map<string, RollupBucket>();
    for (const [key, value] of entries) {
      const start = Number(key.slice(key.lastIndexOf('\u0000') + 1));
      out.set(key, this.cache.get(key) ?? RollupBucket.decode(start, this.accuracy, value));
    }
    return out;
  }
}

/** Run a LevelDB read, turning its failure into ERR_STORE_READ. */
export async function read<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw codedError('ERR_STORE_READ', [(err as Error).message], { cause: err });
  }
}
