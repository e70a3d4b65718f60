// LevelDB ingest and roll-up passes. An ingest batch reads what is held under its ids,
// de-duplicates, and writes the summaries, their indexes and its pending roll-up work in one
// synchronous atomic batch. A pass applies pending work through the roll-up engine and writes the
// buckets while deleting the work, again in one atomic batch: a crash between the two leaves the
// work pending, and the next pass (after reopening) does it.

import type { AbstractSnapshot } from 'abstract-level';
import type { Summary } from '../../../edge/features/summary.js';
import { encodePartials } from '../../rollup/bucket.js';
import { rollUp, type RollupStats } from '../../rollup/engine.js';
import { concatPending, decodePending, encodePending, pendingSize, type PendingRollup } from '../../rollup/pending.js';
import type { RollupPlan } from '../../rollup/plan.js';
import { Turn } from '../../../edge/analysis/turn.js';
import type { BucketCache } from '../bucket-cache.js';
import type { CloudStoreConfig } from '../config.js';
import type { DeviceRecord, IngestResult } from '../contract.js';
import { heldOf, planIngest, type HeldSummary } from '../ingest-plan.js';
import { DEFAULT_LINE } from '../registry-merge.js';
import { writeBatch, type Db, type LevelOp } from './keyspace.js';
import { devKey, lineKey, rtimeKey, seqKey, sumKey, type Layout } from './layout.js';
import { decodeSummary, encodeSummary } from '../summary-codec.js';
import { LevelRollupSource } from './rollup-source.js';

/** One batch's pending work as written (and kept in memory until its pass, to spare decoding it). */
export interface PendingEntry {
  readonly seq: number;
  readonly work: PendingRollup;
  /** Windows it adds or rebuilds. */
  readonly windows: number;
}

export interface LevelIngestContext {
  readonly db: Db;
  readonly layout: Layout;
  readonly plan: RollupPlan;
  readonly config: CloudStoreConfig;
  readonly devices: ReadonlyMap<string, DeviceRecord>;
}

const EMPTY = Buffer.alloc(0);

/** Store a batch; returns its results and, when it left roll-up work, that work under sequence `seq`. */
export async function ingestLevel(ctx: LevelIngestContext, batch: readonly Summary[], now: number, seq: number): Promise<{ results: IngestResult[]; pending?: PendingEntry }> {
  const { layout } = ctx;
  const keys = [...new Set(batch.map((s) => sumKey(s.window.start, s.id)))];
  const held = new Map<string, HeldSummary>();
  for (const v of await layout.sum.getMany(keys)) {
    if (v === undefined) continue;
    const h = heldOf(decodeSummary(v));
    held.set(h.id, h);
  }
  const plan = planIngest(batch, held, {
    plan: ctx.plan,
    now,
    summariesRetentionMs: ctx.config.retention.summariesMs,
    placeOf: (s) => ctx.devices.get(s.device) ?? { site: s.gateway, line: DEFAULT_LINE },
  });
  if (plan.writes.size === 0) return { results: plan.results };

  const ops: LevelOp[] = [];
  const turn = new Turn();
  for (const { record: r, previous } of plan.writes.values()) {
    if (turn.due()) await turn.next();
    const start = r.window.start;
    ops.push(layout.sum.put(sumKey(start, r.id), encodeSummary(r)));
    const partials = r.rolledUp ? encodePartials(r.partials) : EMPTY;
    const dev = devKey(r.device, r.metric, start, r.id);
    ops.push(r.retracted ? layout.dev.del(dev) : layout.dev.put(dev, partials));
    const line = r.rolledUp ? lineKey(r.metric, r.site, r.line, start, r.id) : undefined;
    if (previous?.rolledUp) {
      const old = lineKey(r.metric, previous.site, previous.line, start, r.id);
      if (old !== line) ops.push(layout.line.del(old));
    }
    if (line) ops.push(layout.line.put(line, partials));
  }
  let pending: PendingEntry | undefined;
  if (plan.adds.length || plan.recompute.length) {
    pending = { seq, work: { adds: plan.adds, recompute: plan.recompute }, windows: pendingSize(plan) };
    ops.push(layout.pend.put(seqKey(seq), encodePending(plan)));
  }
  await writeBatch(ctx.db, ops);
  return pending ? { results: plan.results, pending } : { results: plan.results };
}

export interface LevelPassContext {
  readonly db: Db;
  readonly layout: Layout;
  readonly cache: BucketCache;
  readonly plan: RollupPlan;
  readonly stats: RollupStats;
}

/**
 * Apply pending entries (oldest first) to the roll-ups and delete them, in one atomic write,
 * reading from `snapshot`: taken when exactly these entries were committed and no ingest write was in flight.
 */
export async function passLevel(ctx: LevelPassContext, entries: readonly PendingEntry[], snapshot: AbstractSnapshot): Promise<void> {
  if (entries.length === 0) return;
  const { layout } = ctx;
  const work = concatPending(entries.map((e) => e.work));
  const source = new LevelRollupSource(layout, ctx.cache, ctx.plan.relativeAccuracy, snapshot);
  try {
    const changes = await rollUp(ctx.plan, source, work.adds, work.recompute, ctx.stats);
    const ops: LevelOp[] = entries.map((e) => layout.pend.del(seqKey(e.seq)));
    const turn = new Turn();
    for (const { ref, bucket, existed } of changes) {
      if (turn.due()) await turn.next();
      const tkey = rtimeKey(ref.resolutionMs, ref.start, ref.series);
      if (bucket) {
        ops.push(layout.roll.put(ref.key, bucket.encode()));
        if (existed !== true) ops.push(layout.rtime.put(tkey, EMPTY));
      } else {
        ops.push(layout.roll.del(ref.key), layout.rtime.del(tkey));
      }
    }
    await writeBatch(ctx.db, ops);
    for (const { ref, bucket } of changes) {
      if (bucket) ctx.cache.set(ref.key, bucket);
      else ctx.cache.forget(ref.key);
    }
  } catch (err) {
    // Buckets the engine loaded may have been changed in place: the cache must not keep them.
    for (const key of source.touched) ctx.cache.forget(key);
    throw err;
  }
}

/** Pending entries left by a previous run (a crash before their pass), oldest first. */
export async function loadPending(layout: Layout): Promise<PendingEntry[]> {
  return (await layout.pend.all()).map(([k, v]) => {
    const work = decodePending(v);
    return { seq: Number(k), work, windows: pendingSize(work) };
  });
}
