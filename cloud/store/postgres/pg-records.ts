// The PostgreSQL store's registry, dead letters, queries and retention.

import type pg from 'pg';
import { RollupBucket } from '../../rollup/bucket.js';
import type { CloudStoreConfig } from '../config.js';
import type {
  DeadLetterInput, DeadLetterQuery, DeviceFilter, DeviceRecord, DeviceUpdate, GatewayRecord, GatewayStatus, GatewayUpdate, RetentionReport, RollupRecord, SeriesPoint, SeriesQuery,
  StoredDeadLetter, StoredSummary, SummaryQuery,
} from '../contract.js';
import { pointOf } from '../points.js';
import { mergeAll, mergeDevice, mergeGateway } from '../registry-merge.js';
import { LOCKS } from './migrations.js';
import { bumpEpoch, passPg, withRollupLock, type PgPassContext } from './pg-ingest.js';
import { seriesColumns, seriesOfRow, type RollupRow } from './pg-rollup-source.js';
import { inTransaction, q } from './pg-sql.js';
import { summaryOfRow } from './summary-rows.js';

/** A registry table: its columns (id first) as type and value, and how rows become records and merge. */
interface RegistryTable<U extends { readonly id: string }, R, Row extends pg.QueryResultRow> {
  readonly table: string;
  readonly columns: ReadonlyArray<readonly [name: string, type: string, value: (r: R) => unknown]>;
  recordOf(row: Row): R;
  merge(held: R | undefined, update: U): R;
}

/** Merge updates into the stored records (under the registry lock) and write the results back. */
async function upsertRegistry<U extends { readonly id: string }, R, Row extends pg.QueryResultRow>(pool: pg.Pool, t: RegistryTable<U, R, Row>, updates: readonly U[]): Promise<void> {
  if (updates.length === 0) return;
  await inTransaction(pool, `storing ${t.table}`, LOCKS.registry, async (client) => {
    const { rows } = await q<Row>(client, `reading ${t.table}`, `SELECT * FROM ${t.table} WHERE id = ANY($1::text[])`, [[...new Set(updates.map((u) => u.id))]]);
    const held = new Map(rows.map((r) => [r.id as string, t.recordOf(r)]));
    const next = [...mergeAll(updates, held, t.merge).values()];
    const names = t.columns.map(([name]) => name);
    await q(
      client,
      `storing ${t.table}`,
      `INSERT INTO ${t.table} (${names.join(', ')}) SELECT * FROM unnest(${t.columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
       ON CONFLICT (id) DO UPDATE SET ${names.slice(1).map((n) => `${n} = EXCLUDED.${n}`).join(', ')}`,
      t.columns.map(([, , value]) => next.map(value)),
    );
  });
}

interface GatewayRow {
  id: string;
  first_seen: number;
  last_seen: number;
  backlog: number | null;
  loss_ledger: unknown;
  status: GatewayStatus | null;
}

const GATEWAYS: RegistryTable<GatewayUpdate, GatewayRecord, GatewayRow> = {
  table: 'gateways',
  columns: [
    ['id', 'text', (g) => g.id],
    ['first_seen', 'bigint', (g) => g.firstSeen],
    ['last_seen', 'bigint', (g) => g.lastSeen],
    ['backlog', 'bigint', (g) => g.backlog],
    ['loss_ledger', 'jsonb', (g) => (g.lossLedger === null ? null : JSON.stringify(g.lossLedger))],
    ['status', 'jsonb', (g) => (g.status === undefined ? null : JSON.stringify(g.status))],
  ],
  recordOf: (r) => ({ id: r.id, firstSeen: r.first_seen, lastSeen: r.last_seen, backlog: r.backlog, lossLedger: r.loss_ledger, ...(r.status === null ? {} : { status: r.status }) }),
  merge: mergeGateway,
};

export const upsertGatewaysPg = (pool: pg.Pool, updates: readonly GatewayUpdate[]): Promise<void> => upsertRegistry(pool, GATEWAYS, updates);

export async function gatewaysPg(pool: pg.Pool): Promise<GatewayRecord[]> {
  return (await q<GatewayRow>(pool, 'listing gateways', 'SELECT * FROM gateways ORDER BY id')).rows.map(GATEWAYS.recordOf);
}

interface DeviceRow {
  id: string;
  gateway: string;
  site: string;
  line: string;
  first_seen: number;
  last_seen: number;
}

const DEVICES: RegistryTable<DeviceUpdate, DeviceRecord, DeviceRow> = {
  table: 'devices',
  columns: [
    ['id', 'text', (d) => d.id],
    ['gateway', 'text', (d) => d.gateway],
    ['site', 'text', (d) => d.site],
    ['line', 'text', (d) => d.line],
    ['first_seen', 'bigint', (d) => d.firstSeen],
    ['last_seen', 'bigint', (d) => d.lastSeen],
  ],
  recordOf: (r) => ({ id: r.id, gateway: r.gateway, site: r.site, line: r.line, firstSeen: r.first_seen, lastSeen: r.last_seen }),
  merge: mergeDevice,
};

export const upsertDevicesPg = (pool: pg.Pool, updates: readonly DeviceUpdate[]): Promise<void> => upsertRegistry(pool, DEVICES, updates);

export async function devicesPg(pool: pg.Pool, f: DeviceFilter): Promise<DeviceRecord[]> {
  const { rows } = await q<DeviceRow>(
    pool,
    'listing devices',
    'SELECT * FROM devices WHERE ($1::text IS NULL OR gateway = $1) AND ($2::text IS NULL OR site = $2) AND ($3::text IS NULL OR line = $3) ORDER BY id',
    [f.gateway ?? null, f.site ?? null, f.line ?? null],
  );
  return rows.map(DEVICES.recordOf);
}

export async function addDeadLettersPg(pool: pg.Pool, entries: readonly DeadLetterInput[]): Promise<void> {
  if (entries.length === 0) return;
  // One statement, so the sequence numbers follow the order given.
  await q(
    pool,
    'storing dead letters',
    `INSERT INTO dead_letters (reason, message, gateway, topic, bytes, received_at)
     SELECT reason, message, gateway, topic, bytes, received_at FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bigint[]) WITH ORDINALITY
       AS u(reason, message, gateway, topic, bytes, received_at, n) ORDER BY n`,
    [
      entries.map((e) => e.reason),
      entries.map((e) => e.message ?? null),
      entries.map((e) => e.gateway ?? null),
      entries.map((e) => e.topic ?? null),
      entries.map((e) => Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength)),
      entries.map((e) => e.receivedAt),
    ],
  );
}

export async function deadLettersPg(pool: pg.Pool, query: DeadLetterQuery): Promise<StoredDeadLetter[]> {
  const { rows } = await q<{ seq: number; reason: string; message: string | null; gateway: string | null; topic: string | null; bytes: Buffer; received_at: number }>(
    pool,
    'listing dead letters',
    `SELECT * FROM dead_letters WHERE ($1::text IS NULL OR reason = $1) AND ($2::text IS NULL OR gateway = $2) ORDER BY seq ${query.order === 'oldest' ? 'ASC' : 'DESC'} LIMIT $3`,
    [query.reason ?? null, query.gateway ?? null, query.limit ?? 100],
  );
  return rows.map((r) => ({
    seq: r.seq,
    reason: r.reason,
    ...(r.message === null ? {} : { message: r.message }),
    ...(r.gateway === null ? {} : { gateway: r.gateway }),
    ...(r.topic === null ? {} : { topic: r.topic }),
    bytes: r.bytes,
    receivedAt: r.received_at,
  }));
}

export async function summariesPg(pool: pg.Pool, query: SummaryQuery): Promise<StoredSummary[]> {
  const { rows } = await q<{ summary: Buffer }>(
    pool,
    'listing summaries',
    `SELECT summary FROM summaries
     WHERE NOT retracted AND window_start >= $1 AND window_start < $2 AND ($3::text IS NULL OR device = $3) AND ($4::text IS NULL OR metric = $4) AND ($5::text IS NULL OR gateway = $5)
     ORDER BY window_start, id LIMIT $6`,
    [query.from, query.to, query.device ?? null, query.metric ?? null, query.gateway ?? null, query.limit ?? 1000],
  );
  return rows.map(summaryOfRow);
}

export async function seriesPg(pool: pg.Pool, accuracy: number, query: SeriesQuery): Promise<SeriesPoint[]> {
  const { rows } = await q<{ bucket_start: number; bucket: Buffer }>(
    pool,
    'reading a series',
    `SELECT bucket_start, bucket FROM rollups WHERE scope = $1 AND metric = $2 AND name1 = $3 AND name2 = $4 AND resolution_ms = $5 AND bucket_start >= $6 AND bucket_start < $7 ORDER BY bucket_start`,
    [...seriesColumns({ scope: query.scope, metric: query.metric }), query.resolutionMs, query.from, query.to],
  );
  return rows.map((r) => pointOf(RollupBucket.decode(r.bucket_start, accuracy, r.bucket)));
}

/** Every bucket, 1000 at a time by primary key. */
export async function* rollupsPg(pool: pg.Pool, accuracy: number): AsyncGenerator<RollupRecord> {
  let after: unknown[] = ['', '', '', '', -1, -1];
  for (;;) {
    const { rows } = await q<RollupRow>(
      pool,
      'listing roll-ups',
      `SELECT * FROM rollups WHERE (scope, metric, name1, name2, resolution_ms, bucket_start) > ($1, $2, $3, $4, $5, $6)
       ORDER BY scope, metric, name1, name2, resolution_ms, bucket_start LIMIT 1000`,
      after,
    );
    for (const r of rows) {
      const series = seriesOfRow(r);
      yield { scope: series.scope, metric: series.metric, resolutionMs: r.resolution_ms, point: pointOf(RollupBucket.decode(r.bucket_start, accuracy, r.bucket)) };
    }
    const last = rows[rows.length - 1];
    if (!last) return;
    after = [last.scope, last.metric, last.name1, last.name2, last.resolution_ms, last.bucket_start];
  }
}

/** Retention, after a roll-up pass (so no pending work recreates a bucket it deletes), holding the roll-ups lock. */
export async function retentionPg(ctx: PgPassContext, config: CloudStoreConfig, now: number): Promise<RetentionReport> {
  let report: RetentionReport | undefined;
  await withRollupLock(ctx.pool, true, async (client) => {
    await passPg(client, ctx);
    try {
      await q(client, 'starting retention', 'BEGIN');
      const epoch = await bumpEpoch(client, ctx);
      const deleted = async (label: string, sql: string, values: unknown[]) => (await q(client, label, sql, values)).rowCount ?? 0;
      const summaries = await deleted('deleting old summaries', 'DELETE FROM summaries WHERE window_start < $1', [now - config.retention.summariesMs]);
      const buckets: Record<number, number> = {};
      for (const { resolutionMs: res, retentionMs } of config.rollups.resolutions) {
        buckets[res] = retentionMs === 0 ? 0 : await deleted('deleting old buckets', 'DELETE FROM rollups WHERE resolution_ms = $1 AND bucket_start <= $2', [res, now - retentionMs - res]);
      }
      const { deadLettersMs, resolvedAlertsMs } = config.retention;
      const deadLetters = deadLettersMs === 0 ? 0 : await deleted('deleting old dead letters', 'DELETE FROM dead_letters WHERE received_at < $1', [now - deadLettersMs]);
      const alerts = resolvedAlertsMs === 0 ? 0 : await deleted('deleting old alerts', "DELETE FROM alerts WHERE state = 'resolved' AND resolved_at < $1", [now - resolvedAlertsMs]);
      const { rawSnippetsMs } = config.retention;
      const rawSnippets = rawSnippetsMs === 0 ? 0 : await deleted('deleting old raw snippets', 'DELETE FROM raw_snippets WHERE to_ts < $1', [now - rawSnippetsMs]);
      await q(client, 'committing retention', 'COMMIT');
      // Deleted buckets may sit in the cache: start it afresh.
      ctx.cache.clear();
      ctx.epoch.value = epoch;
      report = { now, summaries, buckets, deadLetters, alerts, rawSnippets };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      ctx.cache.clear();
      ctx.epoch.value = undefined;
      throw err;
    }
  });
  return report!;
}
