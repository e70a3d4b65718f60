// PostgreSQL ingest and roll-up passes.
//
// An ingest batch is one transaction under the summaries advisory lock (so workers de-duplicate
// against each other): look the batch's ids and devices up, upsert the summaries, and insert its
// pending roll-up work as one row. A roll-up pass, under the roll-ups lock held for the session,
// reads all pending rows in one REPEATABLE READ snapshot, runs the engine (whose reads see exactly
// the summaries those rows belong to), upserts or deletes the buckets and deletes the rows it
// applied, in one transaction. The cache of hot buckets is trusted only while no other worker has
// run a pass in between (the roll-up epoch).

import type pg from 'pg';
import { codedError } from '../../../edge/errors/catalogue.js';
import type { Summary } from '../../../edge/features/summary.js';
import { rollUp, type BucketChange, type RollupStats } from '../../rollup/engine.js';
import { concatPending, decodePending, encodePending, pendingSize, type PendingRollup } from '../../rollup/pending.js';
import type { RollupPlan } from '../../rollup/plan.js';
import type { BucketCache } from '../bucket-cache.js';
import type { CloudStoreConfig } from '../config.js';
import type { IngestResult } from '../contract.js';
import { planIngest, type HeldSummary } from '../ingest-plan.js';
import { DEFAULT_LINE } from '../registry-merge.js';
import { LOCKS } from './migrations.js';
import { PgRollupSource, refArrays, UNNEST_REFS } from './pg-rollup-source.js';
import { inTransaction, packBlobs, pgArray, q } from './pg-sql.js';
import { UPSERT_SUMMARIES, upsertParams } from './summary-rows.js';

/** Store a batch; returns its results and the roll-up work it queued (with its row's seq), if any. */
export async function ingestPg(
  pool: pg.Pool,
  plan: RollupPlan,
  config: CloudStoreConfig,
  batch: readonly Summary[],
  now: number,
): Promise<{ results: IngestResult[]; pending?: { seq: number; work: PendingRollup; windows: number } }> {
  return inTransaction(pool, 'ingesting summaries', LOCKS.summaries, async (client) => {
    const held = await heldSummaries(client, batch);
    const devices = await q<{ id: string; site: string; line: string }>(client, 'looking devices up', 'SELECT id, site, line FROM devices WHERE id = ANY($1::text[])', [[...new Set(batch.map((s) => s.device))]], 'cloud-devices-place');
    const places = new Map(devices.rows.map((d) => [d.id, d]));
    const p = planIngest(batch, held, {
      plan,
      now,
      summariesRetentionMs: config.retention.summariesMs,
      placeOf: (s) => places.get(s.device) ?? { site: s.gateway, line: DEFAULT_LINE },
    });
    if (p.writes.size === 0) return { results: p.results };
    await q(
      client,
      'storing summaries',
      UPSERT_SUMMARIES,
      upsertParams([...p.writes.values()].map((w) => w.record)),
      'cloud-summaries-upsert',
    );
    const windows = pendingSize(p);
    if (windows === 0) return { results: p.results };
    const { rows } = await q<{ seq: number }>(client, 'queueing roll-up work', 'INSERT INTO rollup_pending (windows, work) VALUES ($1, $2) RETURNING seq', [windows, encodePending(p)], 'cloud-pending-insert');
    return { results: p.results, pending: { seq: rows[0]!.seq, work: { adds: p.adds, recompute: p.recompute }, windows } };
  });
}

async function heldSummaries(client: pg.ClientBase, batch: readonly Summary[]): Promise<Map<string, HeldSummary>> {
  const keys = new Map(batch.map((s) => [s.id, s.window.start]));
  const { rows } = await q<{ window_start: number; id: string; revision: number; retracted: boolean; rolled_up: boolean; device: string; metric: string; site: string; line: string }>(
    client,
    'looking summary ids up',
    'SELECT window_start, id, revision, retracted, rolled_up, device, metric, site, line FROM summaries WHERE (window_start, id) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))',
    [pgArray([...keys.values()]), pgArray([...keys.keys()])],
    'cloud-summaries-held',
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, revision: r.revision, retracted: r.retracted, rolledUp: r.rolled_up, device: r.device, metric: r.metric, site: r.site, line: r.line, windowStart: r.window_start },
    ]),
  );
}

/** Own pending entries remembered at most (older ones are read back from their rows). */
export const OWN_MAX = 1000;

export interface PgPassContext {
  readonly pool: pg.Pool;
  readonly cache: BucketCache;
  readonly plan: RollupPlan;
  readonly stats: RollupStats;
  /** The roll-up epoch this worker committed last; undefined when unknown. */
  readonly epoch: { value: number | undefined };
  /** This worker's committed pending rows by seq, already decoded: a pass reads only the others' bytes (bounded; see OWN_MAX). */
  readonly own: Map<number, PendingRollup>;
}

/**
 * Hold the roll-ups lock for a session (waiting for it, or giving up at once when another worker
 * holds it and `wait` is false) and run `fn` on that connection. Returns false if it gave up.
 */
export async function withRollupLock(pool: pg.Pool, wait: boolean, fn: (client: pg.PoolClient) => Promise<void>): Promise<boolean> {
  const client = await pool.connect().catch((err: unknown) => {
    throw codedError('ERR_CLOUD_DB_QUERY', ['connecting for a roll-up pass', (err as Error).message], { cause: err });
  });
  let broken = false;
  try {
    if (wait) await q(client, 'waiting for the roll-up lock', `SELECT pg_advisory_lock(${LOCKS.rollups})`);
    else if (!(await q<{ ok: boolean }>(client, 'taking the roll-up lock', `SELECT pg_try_advisory_lock(${LOCKS.rollups}) AS ok`)).rows[0]!.ok) return false;
    try {
      await fn(client);
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCKS.rollups})`).catch(() => {
        broken = true;
      });
    }
    return true;
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    client.release(broken);
  }
}

/** Bump the roll-up epoch; drop the cache if another worker has written buckets since this one did. */
export async function bumpEpoch(client: pg.ClientBase, ctx: Pick<PgPassContext, 'cache' | 'epoch'>): Promise<number> {
  const { rows } = await q<{ value: number }>(client, 'bumping the roll-up epoch', "UPDATE store_meta SET value = value + 1 WHERE key = 'rollup_epoch' RETURNING value", [], 'cloud-epoch');
  const epoch = rows[0]!.value;
  if (ctx.epoch.value === undefined || epoch !== ctx.epoch.value + 1) ctx.cache.clear();
  return epoch;
}

/** One roll-up pass over every pending row, on a connection holding the roll-ups lock. */
export async function passPg(client: pg.ClientBase, ctx: PgPassContext): Promise<void> {
  let changes: BucketChange[] = [];
  try {
    await q(client, 'starting a roll-up pass', 'BEGIN ISOLATION LEVEL REPEATABLE READ');
    const epoch = await bumpEpoch(client, ctx);
    const { rows } = await q<{ seq: number; work: Buffer | null }>(
      client,
      'reading pending roll-up work',
      'SELECT seq, CASE WHEN seq = ANY($1::bigint[]) THEN NULL ELSE work END AS work FROM rollup_pending ORDER BY seq',
      [pgArray([...ctx.own.keys()])],
      'cloud-pending-read',
    );
    if (rows.length) {
      const work = concatPending(rows.map((r) => (r.work === null ? ctx.own.get(r.seq)! : decodePending(r.work))));
      changes = await rollUp(ctx.plan, new PgRollupSource(client, ctx.cache, ctx.plan.relativeAccuracy), work.adds, work.recompute, ctx.stats);
      await writeBuckets(client, changes);
      await q(client, 'deleting applied roll-up work', 'DELETE FROM rollup_pending WHERE seq = ANY($1::bigint[])', [pgArray(rows.map((r) => r.seq))], 'cloud-pending-delete');
    }
    await q(client, 'committing a roll-up pass', 'COMMIT');
    ctx.epoch.value = epoch;
    // Rows up to the newest seen are applied or not this worker's to remember (another worker's
    // pass may have taken them): a row whose entry is dropped is simply decoded from its bytes.
    const newest = rows.length ? rows[rows.length - 1]!.seq : -1;
    for (const seq of ctx.own.keys()) if (seq <= newest) ctx.own.delete(seq);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    // Buckets may have been changed in place, and whether the commit landed may be unknown.
    ctx.cache.clear();
    ctx.epoch.value = undefined;
    throw err;
  }
  for (const { ref, bucket } of changes) {
    if (bucket) ctx.cache.set(ref.key, bucket);
    else ctx.cache.forget(ref.key);
  }
}

function bucketParams(puts: readonly BucketChange[]): unknown[] {
  const { blob, offsets, lengths } = packBlobs(puts.map((c) => c.bucket!.encode()));
  return [...refArrays(puts.map((c) => c.ref)), blob, pgArray(offsets), pgArray(lengths)];
}

async function writeBuckets(client: pg.ClientBase, changes: readonly BucketChange[]): Promise<void> {
  const puts = changes.filter((c) => c.bucket !== null);
  const dels = changes.filter((c) => c.bucket === null);
  if (puts.length) {
    await q(
      client,
      'storing roll-up buckets',
      `INSERT INTO rollups (scope, metric, name1, name2, resolution_ms, bucket_start, bucket)
       SELECT s, m, n1, n2, r, b, substring($7::bytea from o for l)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $8::int[], $9::int[]) AS u(s, m, n1, n2, r, b, o, l)
       ON CONFLICT (scope, metric, name1, name2, resolution_ms, bucket_start) DO UPDATE SET bucket = EXCLUDED.bucket`,
      bucketParams(puts),
      'cloud-rollups-upsert',
    );
  }
  if (dels.length) {
    await q(
      client,
      'deleting roll-up buckets',
      `DELETE FROM rollups WHERE (scope, metric, name1, name2, resolution_ms, bucket_start) IN (SELECT * FROM ${UNNEST_REFS})`,
      refArrays(dels.map((c) => c.ref)),
      'cloud-rollups-delete',
    );
  }
}
