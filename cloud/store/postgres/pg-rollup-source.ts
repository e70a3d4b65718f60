// What the roll-up engine reads during one PostgreSQL ingest transaction: committed buckets
// (through the cache) and the windows of a device or line. The batch's summaries are written
// before the engine runs, so the transaction's own reads already include them.

import type pg from 'pg';
import type { Partials } from '../../../edge/features/summary.js';
import { decodePartials, RollupBucket } from '../../rollup/bucket.js';
import type { RollupSource } from '../../rollup/engine.js';
import { bucketKey, bucketRef, type BucketRef, type SeriesRef, type SeriesScope } from '../../rollup/series.js';
import type { BucketCache } from '../bucket-cache.js';
import { pgArray, q } from './pg-sql.js';
import { PARTIALS_SQL } from './summary-rows.js';

/** A series as rollups-table columns: scope letter, metric, name1, name2. */
export function seriesColumns(s: SeriesRef): [string, string, string, string] {
  const sc = s.scope;
  switch (sc.kind) {
    case 'device':
      return ['d', s.metric, sc.device, ''];
    case 'line':
      return ['l', s.metric, sc.site, sc.line];
    case 'site':
      return ['s', s.metric, sc.site, ''];
    case 'fleet':
      return ['f', s.metric, '', ''];
  }
}

export interface RollupRow {
  scope: string;
  metric: string;
  name1: string;
  name2: string;
  resolution_ms: number;
  bucket_start: number;
  bucket: Buffer;
}

export function seriesOfRow(r: Pick<RollupRow, 'scope' | 'metric' | 'name1' | 'name2'>): SeriesRef {
  const scopes: Record<string, SeriesScope> = {
    d: { kind: 'device', device: r.name1 },
    l: { kind: 'line', site: r.name1, line: r.name2 },
    s: { kind: 'site', site: r.name1 },
    f: { kind: 'fleet' },
  };
  const scope = scopes[r.scope];
  if (!scope) throw new TypeError(`rollups row with unknown scope ${JSON.stringify(r.scope)}`);
  return { scope, metric: r.metric };
}

const COLUMNS = 'scope, metric, name1, name2, resolution_ms, bucket_start';

/** unnest() array parameters for a list of bucket refs, in COLUMNS order. */
export function refArrays(refs: readonly BucketRef[]): string[] {
  const cols: Array<Array<string | number>> = [[], [], [], [], [], []];
  for (const r of refs) {
    const c = seriesColumns(r.series);
    for (let i = 0; i < 4; i++) cols[i]!.push(c[i]!);
    cols[4]!.push(r.resolutionMs);
    cols[5]!.push(r.start);
  }
  return cols.map(pgArray);
}

export const UNNEST_REFS = 'unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])';

export class PgRollupSource implements RollupSource {
  /** Keys handed to the engine from LevelDB or the cache (it may mutate them). */
  readonly touched = new Set<string>();

  constructor(
    private readonly client: pg.ClientBase,
    private readonly cache: BucketCache,
    private readonly accuracy: number,
  ) {}

  async load(refs: readonly BucketRef[]): Promise<Map<string, RollupBucket>> {
    const out = new Map<string, RollupBucket>();
    const missing = this.cache.split(refs, out, this.touched);
    if (missing.length) {
      const { rows } = await q<RollupRow>(
        this.client,
        'loading roll-up buckets',
        `SELECT ${COLUMNS}, bucket FROM rollups WHERE (${COLUMNS}) IN (SELECT * FROM ${UNNEST_REFS})`,
        refArrays(missing),
        'cloud-rollups-load',
      );
      for (const r of rows) {
        const key = bucketKey(seriesOfRow(r), r.resolution_ms, r.bucket_start);
        const b = RollupBucket.decode(r.bucket_start, this.accuracy, r.bucket);
        out.set(key, b);
        this.cache.set(key, b);
      }
    }
    return out;
  }

  async windows(series: SeriesRef, from: number, to: number): Promise<Partials[]> {
    const sc = series.scope;
    if (sc.kind !== 'device' && sc.kind !== 'line') throw new TypeError(`windows() serves device and line series, not ${sc.kind}`);
    const { rows } =
      sc.kind === 'device'
        ? await q<{ partials: Buffer }>(
            this.client,
            "reading a device's windows",
            `SELECT ${PARTIALS_SQL} AS partials FROM summaries WHERE device = $1 AND metric = $2 AND window_start >= $3 AND window_start < $4 AND NOT retracted AND rolled_up ORDER BY window_start, id`,
            [sc.device, series.metric, from, to],
            'cloud-windows-device',
          )
        : await q<{ partials: Buffer }>(
            this.client,
            "reading a line's windows",
            `SELECT ${PARTIALS_SQL} AS partials FROM summaries WHERE metric = $1 AND site = $2 AND line = $3 AND window_start >= $4 AND window_start < $5 AND rolled_up ORDER BY window_start, id`,
            [series.metric, sc.site, sc.line, from, to],
            'cloud-windows-line',
          );
    return rows.map((r) => decodePartials(r.partials));
  }

  async children(parent: BucketRef): Promise<Map<string, RollupBucket>> {
    const sc = parent.series.scope;
    if (sc.kind !== 'site' && sc.kind !== 'fleet') throw new TypeError(`children() serves site and fleet buckets, not ${sc.kind}`);
    const { rows } = await q<RollupRow>(
      this.client,
      'reading child roll-up buckets',
      sc.kind === 'site'
        ? `SELECT ${COLUMNS}, bucket FROM rollups WHERE resolution_ms = $1 AND bucket_start = $2 AND scope = 'l' AND metric = $3 AND name1 = $4`
        : `SELECT ${COLUMNS}, bucket FROM rollups WHERE resolution_ms = $1 AND bucket_start = $2 AND scope = 's' AND metric = $3`,
      sc.kind === 'site' ? [parent.resolutionMs, parent.start, parent.series.metric, sc.site] : [parent.resolutionMs, parent.start, parent.series.metric],
    );
    return this.#decode(rows);
  }

  async range(series: SeriesRef, res: number, from: number, to: number): Promise<Map<string, RollupBucket>> {
    const { rows } = await q<RollupRow>(
      this.client,
      'reading finer roll-up buckets',
      `SELECT ${COLUMNS}, bucket FROM rollups WHERE scope = $1 AND metric = $2 AND name1 = $3 AND name2 = $4 AND resolution_ms = $5 AND bucket_start >= $6 AND bucket_start < $7`,
      [...seriesColumns(series), res, from, to],
      'cloud-rollups-range',
    );
    return this.#decode(rows);
  }

  #decode(rows: readonly RollupRow[]): Map<string, RollupBucket> {
    const out = new Map<string, RollupBucket>();
    for (const r of rows) {
      const ref = bucketRef(seriesOfRow(r), r.resolution_ms, r.bucket_start);
      out.set(ref.key, this.cache.get(ref.key) ?? RollupBucket.decode(r.bucket_start, this.accuracy, r.bucket));
    }
    return out;
  }
}
