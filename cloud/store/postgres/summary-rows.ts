// Summaries as rows of the PostgreSQL `summaries` table and back: partials and features as
// float64 bytea, the window as columns.

import { decodePartials, encodePartials } from '../../rollup/bucket.js';
import type { StoredSummary } from '../contract.js';
import { decodeFeatures, encodeFeatures } from '../summary-codec.js';

export const SUMMARY_COLUMNS =
  'window_start, id, revision, retracted, rolled_up, gateway, device, metric, kind, window_end, size, slide, site, line, emitted_at, received_at, partials, features';

export interface SummaryRow {
  window_start: number;
  id: string;
  revision: number;
  retracted: boolean;
  rolled_up: boolean;
  gateway: string;
  device: string;
  metric: string;
  kind: StoredSummary['window']['kind'];
  window_end: number;
  size: number;
  slide: number | null;
  site: string;
  line: string;
  emitted_at: number;
  received_at: number;
  partials: Buffer;
  features: Buffer;
}

/** Parameters for `INSERT ... SELECT * FROM unnest(...)`, one array per column. */
export function summaryArrays(records: readonly StoredSummary[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 18 }, () => []);
  for (const r of records) {
    const w = r.window;
    const row = [w.start, r.id, r.revision, r.retracted === true, r.rolledUp, r.gateway, r.device, r.metric, w.kind, w.end, w.size, w.slide ?? null, r.site, r.line, r.emittedAt, r.receivedAt, encodePartials(r.partials), encodeFeatures(r.features)];
    row.forEach((v, i) => cols[i]!.push(v));
  }
  return cols;
}

export const UNNEST_SUMMARIES =
  'unnest($1::bigint[], $2::text[], $3::int[], $4::bool[], $5::bool[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::text[], $15::bigint[], $16::bigint[], $17::bytea[], $18::bytea[])';

export function summaryOfRow(r: SummaryRow): StoredSummary {
  const window = r.slide === null ? { kind: r.kind, start: r.window_start, end: r.window_end, size: r.size } : { kind: r.kind, start: r.window_start, end: r.window_end, size: r.size, slide: r.slide };
  return {
    id: r.id,
    revision: r.revision,
    gateway: r.gateway,
    device: r.device,
    metric: r.metric,
    window,
    features: decodeFeatures(r.features),
    partials: decodePartials(r.partials),
    emittedAt: r.emitted_at,
    ...(r.retracted ? { retracted: true } : {}),
    site: r.site,
    line: r.line,
    rolledUp: r.rolled_up,
    receivedAt: r.received_at,
  };
}
