// The PostgreSQL schema as an ordered list of migrations, applied at open inside one transaction
// under an advisory lock (so workers opening together apply each exactly once) and recorded in
// schema_migrations. A migration is never edited once released: add the next one.
//
// Times are bigint milliseconds since the epoch, as everywhere else. Summaries and roll-up buckets
// are bytea in the same encodings the LevelDB store keeps.

import type pg from 'pg';
import { codedError, TributaryError } from '../../../edge/errors/catalogue.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'summaries, roll-ups, alerts, registry, dead letters',
    sql: `
      CREATE TABLE store_meta (key text PRIMARY KEY, value bigint NOT NULL);
      -- Bumped by every roll-up pass: a worker whose last pass is not the previous value knows
      -- another worker wrote buckets, and drops its bucket cache.
      INSERT INTO store_meta VALUES ('rollup_epoch', 0);

      -- The window start leads the key: the id determines it, and retention is a range delete.
      CREATE TABLE summaries (
        window_start bigint NOT NULL,
        id text NOT NULL,
        revision integer NOT NULL,
        retracted boolean NOT NULL,
        rolled_up boolean NOT NULL,
        gateway text NOT NULL,
        device text NOT NULL,
        metric text NOT NULL,
        site text NOT NULL,
        line text NOT NULL,
        -- The whole StoredSummary (cloud/store/summary-codec.ts); partials at a fixed offset.
        summary bytea NOT NULL,
        PRIMARY KEY (window_start, id)
      );
      -- A device's windows (queries, and rebuilding its finest buckets) and a line's rolled-up windows.
      CREATE INDEX summaries_device ON summaries (device, metric, window_start) WHERE NOT retracted;
      CREATE INDEX summaries_line ON summaries (metric, site, line, window_start) WHERE rolled_up;

      -- Roll-up work each ingest batch left, applied and deleted by the next roll-up pass.
      CREATE TABLE rollup_pending (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        windows integer NOT NULL,
        work bytea NOT NULL
      );

      -- scope: d(evice: name1), l(ine: name1 = site, name2 = line), s(ite: name1), f(leet).
      -- Only the bucket column changes on update, so updates stay HOT in the free space left.
      CREATE TABLE rollups (
        scope text NOT NULL,
        metric text NOT NULL,
        name1 text NOT NULL,
        name2 text NOT NULL,
        resolution_ms bigint NOT NULL,
        bucket_start bigint NOT NULL,
        bucket bytea NOT NULL,
        PRIMARY KEY (scope, metric, name1, name2, resolution_ms, bucket_start)
      ) WITH (fillfactor = 70);
      -- Buckets by time: retention, and the lines of a site or the sites at one instant.
      CREATE INDEX rollups_time ON rollups (resolution_ms, bucket_start, scope, metric, name1);

      CREATE TABLE alerts (
        id text PRIMARY KEY,
        raised_at bigint NOT NULL,
        state text NOT NULL,
        gateway text NOT NULL,
        device text NOT NULL,
        severity text NOT NULL,
        resolved_at bigint,
        alert jsonb NOT NULL
      );
      CREATE INDEX alerts_raised ON alerts (raised_at DESC, id);

      CREATE TABLE gateways (
        id text PRIMARY KEY,
        first_seen bigint NOT NULL,
        last_seen bigint NOT NULL,
        backlog bigint,
        loss_ledger jsonb
      );

      CREATE TABLE devices (
        id text PRIMARY KEY,
        gateway text NOT NULL,
        site text NOT NULL,
        line text NOT NULL,
        first_seen bigint NOT NULL,
        last_seen bigint NOT NULL
      );

      CREATE TABLE dead_letters (
        seq bigint GENERATED ALWAYS AS IDENTITY (MINVALUE 0 START WITH 0) PRIMARY KEY,
        reason text NOT NULL,
        message text,
        gateway text,
        topic text,
        bytes bytea NOT NULL,
        received_at bigint NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'gateway status reports, flight-recorder snippets',
    sql: `
      ALTER TABLE gateways ADD COLUMN status jsonb;

      -- The id determines alert and part; the readings around one alert are one index range.
      CREATE TABLE raw_snippets (
        alert text NOT NULL,
        part integer NOT NULL,
        id text NOT NULL,
        revision integer NOT NULL,
        gateway text NOT NULL,
        device text NOT NULL,
        to_ts bigint NOT NULL,
        snippet jsonb NOT NULL,
        PRIMARY KEY (alert, part, id)
      );
      CREATE INDEX raw_snippets_to ON raw_snippets (to_ts);
    `,
  },
  {
    version: 3,
    name: 'config and model push',
    sql: `
      -- What an admin wants where: slot is 'config' or 'model:<name>'; the entry as JSON.
      CREATE TABLE push_desired (
        target text NOT NULL,
        slot text NOT NULL,
        entry jsonb NOT NULL,
        PRIMARY KEY (target, slot)
      );
      -- ONNX bytes of desired models by SHA-256, kept while a desired entry names them.
      CREATE TABLE push_models (
        sha256 text PRIMARY KEY,
        bytes bytea NOT NULL
      );
      -- Per gateway: what it last reported it runs, and what was last published to it per slot.
      CREATE TABLE push_gateways (
        gateway text PRIMARY KEY,
        record jsonb NOT NULL
      );
    `,
  },
];

/** Advisory lock keys (arbitrary constants, one per kind of serialised write). */
export const LOCKS = { migrate: 7_305_001, rollups: 7_305_002, alerts: 7_305_003, registry: 7_305_004, summaries: 7_305_005, raw: 7_305_006, push: 7_305_007 } as const;

/** Apply the migrations the database lacks. Throws ERR_CLOUD_DB_MIGRATE or ERR_CLOUD_DB_TOO_NEW. */
export async function migrate(client: pg.ClientBase, where: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  let current: Migration | undefined;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCKS.migrate]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const have = new Set(rows.map((r) => r.version));
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...have);
    if (newest > known) throw codedError('ERR_CLOUD_DB_TOO_NEW', [where, newest, known]);
    for (const m of migrations) {
      if (have.has(m.version)) continue;
      current = m;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    if (err instanceof TributaryError) throw err;
    if (current === undefined) throw codedError('ERR_CLOUD_DB_QUERY', ['reading schema_migrations', (err as Error).message], { cause: err });
    throw codedError('ERR_CLOUD_DB_MIGRATE', [`${current.version} (${current.name})`, where, (err as Error).message], { cause: err });
  }
}
