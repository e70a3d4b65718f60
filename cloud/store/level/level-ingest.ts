// One LevelDB ingest batch: read what is held under the batch's ids, de-duplicate, queue the
// summary and index writes, run the roll-up engine over them, and commit everything — summaries,
// indexes and buckets — in one synchronous LevelDB batch, so a crash leaves all of it or none.

import type { Summary } from '../../../edge/features/summary.js';
import { encodePartials } from '../../rollup/bucket.js';
import { rollUp, type BucketChange, type RollupStats } from '../../rollup/engine.js';
import type { RollupPlan } from '../../rollup/plan.js';
import type { BucketCache } from '../bucket-cache.js';
import type { CloudStoreConfig } from '../config.js';
import type { DeviceRecord, IngestResult, StoredSummary } from '../contract.js';
import { heldOf, planIngest, type HeldSummary } from '../ingest-plan.js';
import { DEFAULT_LINE } from '../registry-merge.js';
import { devKey, lineKey, rtimeKey, sumKey, type Db, type Layout } from './layout.js';
import { writeBatch, type LevelOp } from './level-write.js';
import { LevelRollupSource, read, type PendingIndex } from './rollup-source.js';

export interface LevelIngestContext {
  readonly db: Db;
  readonly layout: Layout;
  readonly cache: BucketCache;
  readonly plan: RollupPlan;
  readonly config: CloudStoreConfig;
  readonly devices: ReadonlyMap<string, DeviceRecord>;
  readonly stats: RollupStats;
}

const EMPTY = Buffer.alloc(0);

export async function ingestLevel(ctx: LevelIngestContext, batch: readonly Summary[], now: number): Promise<IngestResult[]> {
  const { layout } = ctx;
  const keys = [...new Set(batch.map((s) => sumKey(s.window.start, s.id)))];
  const values = await read(() => layout.sum.getMany(keys));
  const held = new Map<string, HeldSummary>();
  values.forEach((v) => {
    if (v === undefined) return;
    const h = heldOf(JSON.parse(v) as StoredSummary);
    held.set(h.id, h);
  });

  const plan = planIngest(batch, held, {
    plan: ctx.plan,
    now,
    summariesRetentionMs: ctx.config.retention.summariesMs,
    placeOf: (s) => ctx.devices.get(s.device) ?? { site: s.gateway, line: DEFAULT_LINE },
  });
  if (plan.writes.size === 0) return plan.results;

  const ops: LevelOp[] = [];
  const pendingDev: PendingIndex = new Map();
  const pendingLine: PendingIndex = new Map();
  for (const { record: r, previous } of plan.writes.values()) {
    ops.push({ type: 'put', sublevel: layout.sum, key: sumKey(r.window.start, r.id), value: JSON.stringify(r) });
    const partials = r.rolledUp ? encodePartials(r.partials) : EMPTY;
    pendingDev.set(devKey(r.device, r.metric, r.window.start, r.id), r.retracted ? null : partials);
    if (previous?.rolledUp) pendingLine.set(lineKey(r.metric, previous.site, previous.line, r.window.start, r.id), null);
    if (r.rolledUp) pendingLine.set(lineKey(r.metric, r.site, r.line, r.window.start, r.id), partials);
  }
  for (const [key, value] of pendingDev) ops.push(value ? { type: 'put', sublevel: layout.dev, key, value } : { type: 'del', sublevel: layout.dev, key });
  for (const [key, value] of pendingLine) ops.push(value ? { type: 'put', sublevel: layout.line, key, value } : { type: 'del', sublevel: layout.line, key });

  const source = new LevelRollupSource(layout, ctx.cache, ctx.plan.relativeAccuracy, pendingDev, pendingLine);
  let changes: BucketChange[] = [];
  try {
    changes = await rollUp(ctx.plan, source, plan.adds, plan.recompute, ctx.stats);
    for (const { ref, bucket, existed } of changes) {
      const tkey = rtimeKey(ref.resolutionMs, ref.start, ref.series);
      if (bucket) {
        ops.push({ type: 'put', sublevel: layout.roll, key: ref.key, value: bucket.encode() });
        if (existed !== true) ops.push({ type: 'put', sublevel: layout.rtime, key: tkey, value: '' });
      } else {
        ops.push({ type: 'del', sublevel: layout.roll, key: ref.key }, { type: 'del', sublevel: layout.rtime, key: tkey });
      }
    }
    await writeBatch(ctx.db, ops);
  } catch (err) {
    // Buckets the engine loaded may have been changed in place: the cache must not keep them.
    for (const key of source.touched) ctx.cache.forget(key);
    for (const { ref } of changes) ctx.cache.forget(ref.key);
    throw err;
  }
  for (const { ref, bucket } of changes) {
    if (bucket) ctx.cache.set(ref.key, bucket);
    else ctx.cache.forget(ref.key);
  }
  return plan.results;
}
