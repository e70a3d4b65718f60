// Flight-recorder snippets in PostgreSQL: one jsonb row per snippet, keyed by alert, part and id;
// a batch is one transaction under its own advisory lock, so workers de-duplicate against each other.

import type pg from 'pg';
import type { RawSnippet } from '../../../edge/uplink/schemas.js';
import type { RawSnippetQuery, RawSnippetResult, StoredRawSnippet } from '../contract.js';
import { DEFAULT_RAW_LIMIT, planRaw } from '../raw-snippets.js';
import { LOCKS } from './migrations.js';
import { inTransaction, q } from './pg-sql.js';

export async function putRawPg(pool: pg.Pool, snippets: readonly RawSnippet[], now: number): Promise<RawSnippetResult[]> {
  if (snippets.length === 0) return [];
  return inTransaction(pool, 'storing raw snippets', LOCKS.raw, async (client) => {
    const { rows } = await q<{ id: string; revision: number }>(client, 'reading raw snippets', 'SELECT id, revision FROM raw_snippets WHERE id = ANY($1::text[])', [
      [...new Set(snippets.map((s) => s.id))],
    ]);
    const { results, writes } = planRaw(snippets, new Map(rows.map((r) => [r.id, r.revision])), now);
    const w = [...writes.values()];
    if (w.length > 0) {
      await q(
        client,
        'storing raw snippets',
        `INSERT INTO raw_snippets (alert, part, id, revision, gateway, device, to_ts, snippet)
         SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::integer[], $5::text[], $6::text[], $7::bigint[], $8::jsonb[])
         ON CONFLICT (alert, part, id) DO UPDATE SET revision = EXCLUDED.revision, gateway = EXCLUDED.gateway, device = EXCLUDED.device, to_ts = EXCLUDED.to_ts, snippet = EXCLUDED.snippet`,
        [
          w.map((s) => s.alert),
          w.map((s) => s.part),
          w.map((s) => s.id),
          w.map((s) => s.revision),
          w.map((s) => s.gateway),
          w.map((s) => s.device),
          w.map((s) => s.to),
          w.map((s) => JSON.stringify(s)),
        ],
      );
    }
    return results;
  });
}

export async function rawSnippetsPg(pool: pg.Pool, query: RawSnippetQuery): Promise<StoredRawSnippet[]> {
  const { rows } = await q<{ snippet: StoredRawSnippet }>(
    pool,
    'listing raw snippets',
    `SELECT snippet FROM raw_snippets WHERE ($1::text IS NULL OR alert = $1) AND ($2::text IS NULL OR device = $2) AND ($3::text IS NULL OR gateway = $3)
     ORDER BY alert, part, id LIMIT $4`,
    [query.alert ?? null, query.device ?? null, query.gateway ?? null, query.limit ?? DEFAULT_RAW_LIMIT],
  );
  return rows.map((r) => r.snippet);
}
