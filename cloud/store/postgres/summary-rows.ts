// Summaries in the PostgreSQL `summaries` table: the columns its keys, indexes and filters need,
// and the whole StoredSummary as summary-codec bytes (the same bytes LevelDB keeps).
//
// A batch's bytes travel as ONE bytea parameter, each row cut out with substring(): node-pg sends
// a Buffer parameter in binary, whereas a bytea[] goes as hex text that the server parses
// character by character — about 13 µs a row against 5.

import type { StoredSummary } from '../contract.js';
import { decodeSummary, encodeSummary, PARTIALS_OFFSET } from '../summary-codec.js';
import { packBlobs, pgArray } from './pg-sql.js';
import { PARTIAL_FIELDS } from '../../rollup/bucket.js';

const SUMMARY_COLUMNS = 'window_start, id, revision, retracted, rolled_up, gateway, device, metric, site, line, summary';

/** Upsert a batch's final versions (one per id). */
export const UPSERT_SUMMARIES = `INSERT INTO summaries (${SUMMARY_COLUMNS})
  SELECT ws, id, rev, ret, ru, gw, dev, met, site, line, substring($11::bytea from o for l)
  FROM unnest($1::bigint[], $2::text[], $3::int[], $4::bool[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $12::int[], $13::int[])
    AS u(ws, id, rev, ret, ru, gw, dev, met, site, line, o, l)
  ON CONFLICT (window_start, id) DO UPDATE SET revision = EXCLUDED.revision, retracted = EXCLUDED.retracted, rolled_up = EXCLUDED.rolled_up,
    gateway = EXCLUDED.gateway, device = EXCLUDED.device, metric = EXCLUDED.metric, site = EXCLUDED.site, line = EXCLUDED.line, summary = EXCLUDED.summary`;

export function upsertParams(records: readonly StoredSummary[]): unknown[] {
  const { blob, offsets, lengths } = packBlobs(records.map(encodeSummary));
  return [
    pgArray(records.map((r) => r.window.start)),
    pgArray(records.map((r) => r.id)),
    pgArray(records.map((r) => r.revision)),
    pgArray(records.map((r) => r.retracted === true)),
    pgArray(records.map((r) => r.rolledUp)),
    pgArray(records.map((r) => r.gateway)),
    pgArray(records.map((r) => r.device)),
    pgArray(records.map((r) => r.metric)),
    pgArray(records.map((r) => r.site)),
    pgArray(records.map((r) => r.line)),
    blob,
    pgArray(offsets),
    pgArray(lengths),
  ];
}

/** SQL for a row's partials, cut from its bytes (substring counts from 1). */
export const PARTIALS_SQL = `substring(summary from ${PARTIALS_OFFSET + 1} for ${PARTIAL_FIELDS.length * 8})`;

export const summaryOfRow = (r: { summary: Buffer }): StoredSummary => decodeSummary(r.summary);
