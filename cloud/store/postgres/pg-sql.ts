// Running SQL for the PostgreSQL store: every failure becomes ERR_CLOUD_DB_QUERY naming what was
// being done, and transactions take an advisory lock when the write must not interleave with
// another worker's (roll-ups, alerts, registry).

import pg from 'pg';
import { codedError, TributaryError } from '../../../edge/errors/catalogue.js';

export type Queryable = pg.ClientBase | pg.Pool;

/** Run one statement; `name` makes it a prepared statement (parsed once per connection). */
export async function q<R extends pg.QueryResultRow = pg.QueryResultRow>(db: Queryable, label: string, text: string, values: unknown[] = [], name?: string): Promise<pg.QueryResult<R>> {
  try {
    return await db.query<R>(name === undefined ? { text, values } : { name, text, values });
  } catch (err) {
    throw codedError('ERR_CLOUD_DB_QUERY', [label, (err as Error).message], { cause: err });
  }
}

/**
 * Run `fn` in a transaction on one pooled connection, holding advisory lock `lock` (if given)
 * until it ends. Commits when `fn` resolves; rolls back and rethrows when it rejects.
 */
export async function inTransaction<T>(pool: pg.Pool, label: string, lock: number | undefined, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw codedError('ERR_CLOUD_DB_QUERY', [`${label} (connecting)`, (err as Error).message], { cause: err });
  }
  let broken = false;
  try {
    await q(client, label, lock === undefined ? 'BEGIN' : `BEGIN; SELECT pg_advisory_xact_lock(${lock})`);
    const result = await fn(client);
    await q(client, `${label} (commit)`, 'COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err instanceof TributaryError ? err : codedError('ERR_CLOUD_DB_QUERY', [label, (err as Error).message], { cause: err });
  } finally {
    client.release(broken);
  }
}

/** int8 columns as numbers (times in ms fit in 2^53), everything else as pg parses it. */
export const pgTypes = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/**
 * Many byte strings as one bytea parameter (sent in binary) plus where each starts (1-based, for
 * substring) and its length: far cheaper for the server than a bytea[] of hex text.
 */
export function packBlobs(parts: readonly Buffer[]): { blob: Buffer; offsets: number[]; lengths: number[] } {
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 1;
  for (const p of parts) {
    offsets.push(at);
    lengths.push(p.length);
    at += p.length;
  }
  return { blob: Buffer.concat(parts), offsets, lengths };
}

const PLAIN = /^[A-Za-z0-9_.:-]+$/;

/**
 * An array parameter as a PostgreSQL array literal, built here in one pass: node-pg quotes and
 * regex-escapes every element of an array it is given, numbers included, which showed in profiles
 * of multi-row statements. Numbers must be finite integers or plain decimals.
 */
export function pgArray(values: ReadonlyArray<string | number | boolean | null>): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'number') out += String(v);
    else if (typeof v === 'boolean') out += v ? 't' : 'f';
    else out += PLAIN.test(v) && v.toUpperCase() !== 'NULL' ? v : `"${v.replace(/[\\"]/g, '\\$&')}"`;
  }
  return `${out}}`;
}
