// One PostgreSQL ingest batch, one transaction: under the roll-up advisory lock (so workers take
// turns and de-duplicate against each other), look up the batch's ids and devices, upsert the
// summaries, run the roll-up engine, and upsert or delete the buckets it returns. The cache of
// hot buckets is trusted only while no other worker has committed roll-ups in between.

import type pg from 'pg';
import type { Summary } from '../../../edge/features/summary.js';
import { rollUp, type BucketChange, type RollupStats } from '../../rollup/engine.js';
import type { RollupPlan } from '../../rollup/plan.js';
import type { BucketCache } from '../bucket-cache.js';
import type { CloudStoreConfig } from '../config.js';
import type { IngestResult } from '../contract.js';
import { planIngest, type HeldSummary } from '../ingest-plan.js';
import { DEFAULT_LINE } from '../registry-merge.js';
import { LOCKS } from './migrations.js';
import { PgRollupSource, refArrays, UNNEST_REFS } from './pg-rollup-source.js';
import { inTransaction, q } from './pg-sql.js';
import { SUMMARY_COLUMNS, summaryArrays, UNNEST_SUMMARIES } from './summary-rows.js';

export interface PgIngestContext {
  readonly pool: pg.Pool;
  readonly cache: BucketCache;
  readonly plan: RollupPlan;
  readonly config: CloudStoreConfig;
  readonly stats: RollupStats;
  /** The roll-up epoch this worker committed last; undefined when unknown. */
  readonly epoch: { value: number | undefined };
}

const SET_ALL = SUMMARY_COLUMNS.split(', ')
  .filter((c) => c !== 'window_start' && c !== 'id')
  .map((c) => `${c} = EXCLUDED.${c}`)
  .join(', ');

/** Bump the roll-up epoch (under the roll-up lock); drop the cache if another worker committed since this one did. */
export async function bumpEpoch(client: pg.ClientBase, ctx: Pick<PgIngestContext, 'cache' | 'epoch'>): Promise<number> {
  const { rows } = await q<{ value: number }>(client, 'bumping the roll-up epoch', "UPDATE store_meta SET value = value + 1 WHERE key = 'rollup_epoch' RETURNING value", [], 'cloud-epoch');
  const epoch = rows[0]!.value;
  if (ctx.epoch.value === undefined || epoch !== ctx.epoch.value + 1) ctx.cache.clear();
  return epoch;
}

export async function ingestPg(ctx: PgIngestContext, batch: readonly Summary[], now: number): Promise<IngestResult[]> {
  let epoch: number | undefined;
  let changes: BucketChange[] = [];
  try {
    const results = await inTransaction(ctx.pool, 'ingesting summaries', LOCKS.rollups, async (client) => {
      epoch = await bumpEpoch(client, ctx);
      const held = await heldSummaries(client, batch);
      const devices = await q<{ id: string; site: string; line: string }>(client, 'looking devices up', 'SELECT id, site, line FROM devices WHERE id = ANY($1::text[])', [[...new Set(batch.map((s) => s.device))]], 'cloud-devices-place');
      const places = new Map(devices.rows.map((d) => [d.id, d]));
      const plan = planIngest(batch, held, {
        plan: ctx.plan,
        now,
        summariesRetentionMs: ctx.config.retention.summariesMs,
        placeOf: (s) => places.get(s.device) ?? { site: s.gateway, line: DEFAULT_LINE },
      });
      if (plan.writes.size === 0) return plan.results;
      await q(
        client,
        'storing summaries',
        `INSERT INTO summaries (${SUMMARY_COLUMNS}) SELECT * FROM ${UNNEST_SUMMARIES} ON CONFLICT (window_start, id) DO UPDATE SET ${SET_ALL}`,
        summaryArrays([...plan.writes.values()].map((w) => w.record)),
        'cloud-summaries-upsert',
      );
      const source = new PgRollupSource(client, ctx.cache, ctx.plan.relativeAccuracy);
      changes = await rollUp(ctx.plan, source, plan.adds, plan.recompute, ctx.stats);
      await writeBuckets(client, changes);
      return plan.results;
    });
    ctx.epoch.value = epoch;
    for (const { ref, bucket } of changes) {
      if (bucket) ctx.cache.set(ref.key, bucket);
      else ctx.cache.forget(ref.key);
    }
    return results;
  } catch (err) {
    // Buckets may have been changed in place, and whether the commit landed may be unknown.
    ctx.cache.clear();
    ctx.epoch.value = undefined;
    throw err;
  }
}

async function heldSummaries(client: pg.ClientBase, batch: readonly Summary[]): Promise<Map<string, HeldSummary>> {
  const keys = new Map(batch.map((s) => [s.id, s.window.start]));
  const { rows } = await q<{ window_start: number; id: string; revision: number; retracted: boolean; rolled_up: boolean; device: string; metric: string; site: string; line: string }>(
    client,
    'looking summary ids up',
    'SELECT window_start, id, revision, retracted, rolled_up, device, metric, site, line FROM summaries WHERE (window_start, id) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))',
    [[...keys.values()], [...keys.keys()]],
    'cloud-summaries-held',
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { id: r.id, revision: r.revision, retracted: r.retracted, rolledUp: r.rolled_up, device: r.device, metric: r.metric, site: r.site, line: r.line, windowStart: r.window_start },
    ]),
  );
}

async function writeBuckets(client: pg.ClientBase, changes: readonly BucketChange[]): Promise<void> {
  const puts = changes.filter((c) => c.bucket !== null);
  const dels = changes.filter((c) => c.bucket === null);
  if (puts.length) {
    await q(
      client,
      'storing roll-up buckets',
      `INSERT INTO rollups (scope, metric, name1, name2, resolution_ms, bucket_start, bucket)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bytea[])
       ON CONFLICT (scope, metric, name1, name2, resolution_ms, bucket_start) DO UPDATE SET bucket = EXCLUDED.bucket`,
      [...refArrays(puts.map((c) => c.ref)), puts.map((c) => c.bucket!.encode())],
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
