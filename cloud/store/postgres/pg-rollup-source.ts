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

  /** One query for every bucket of the stage: the index range of each, joined from an unnest of bounds. */
  async windows(buckets: readonly BucketRef[]): Promise<Partials[][]> {
    const kind = buckets[0]?.series.scope.kind;
    if (kind !== 'device' && kind !== 'line') throw new TypeError(`windows() serves device and line series, not ${kind}`);
    const cols = seriesColumnArrays(buckets);
    const bounds = [pgArray(buckets.map((b) => b.start)), pgArray(buckets.map((b) => b.start + b.resolutionMs))];
    const { rows } =
      kind === 'device'
        ? await q<{ i: number; partials: Buffer }>(
            this.client,
            "rebuilding devices' buckets",
            `SELECT k.i, ${PARTIALS_SQL} AS partials
             FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS k(device, metric, lo, hi, i)
             JOIN summaries s ON s.device = k.device AND s.metric = k.metric AND s.window_start >= k.lo AND s.window_start < k.hi
             WHERE NOT s.retracted AND s.rolled_up ORDER BY k.i, s.window_start, s.id`,
            [cols.name1, cols.metric, ...bounds],
          )
        : await q<{ i: number; partials: Buffer }>(
            this.client,
            "rebuilding lines' buckets",
            `SELECT k.i, ${PARTIALS_SQL} AS partials
             FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) WITH ORDINALITY AS k(metric, site, line, lo, hi, i)
             JOIN summaries s ON s.metric = k.metric AND s.site = k.site AND s.line = k.line AND s.window_start >= k.lo AND s.window_start < k.hi
             WHERE s.rolled_up ORDER BY k.i, s.window_start, s.id`,
            [cols.metric, cols.name1, cols.name2, ...bounds],
          );
    const out = buckets.map((): Partials[] => []);
    for (const r of rows) out[Number(r.i) - 1]!.push(decodePartials(r.partials));
    return out;
  }

  /** One query for every bucket of the stage (see RollupSource.parts). */
  async parts(buckets: readonly BucketRef[], finer: number | undefined): Promise<Array<Map<string, RollupBucket>>> {
    const cols = seriesColumnArrays(buckets);
    const { rows } =
      finer === undefined
        ? // A site's parts are its lines at the same instant; the fleet's are the sites.
          await q<RollupRow & { i: number }>(
            this.client,
            'reading the parts of site and fleet buckets',
            `SELECT k.i, r.scope, r.metric, r.name1, r.name2, r.resolution_ms, r.bucket_start, r.bucket
             FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) WITH ORDINALITY AS k(part, metric, site, res, start, i)
             JOIN rollups r ON r.resolution_ms = k.res AND r.bucket_start = k.start AND r.scope = k.part AND r.metric = k.metric AND (k.site IS NULL OR r.name1 = k.site)`,
            [
              pgArray(buckets.map((b) => (b.series.scope.kind === 'site' ? 'l' : 's'))),
              cols.metric,
              pgArray(buckets.map((b) => (b.series.scope.kind === 'site' ? b.series.scope.site : null))),
              pgArray(buckets.map((b) => b.resolutionMs)),
              pgArray(buckets.map((b) => b.start)),
            ],
          )
        : await q<RollupRow & { i: number }>(
            this.client,
            'reading finer roll-up buckets',
            `SELECT k.i, r.scope, r.metric, r.name1, r.name2, r.resolution_ms, r.bucket_start, r.bucket
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) WITH ORDINALITY AS k(scope, metric, name1, name2, lo, hi, i)
             JOIN rollups r ON r.scope = k.scope AND r.metric = k.metric AND r.name1 = k.name1 AND r.name2 = k.name2
               AND r.resolution_ms = ${finer} AND r.bucket_start >= k.lo AND r.bucket_start < k.hi`,
            [cols.scope, cols.metric, cols.name1, cols.name2, pgArray(buckets.map((b) => b.start)), pgArray(buckets.map((b) => b.start + b.resolutionMs))],
          );
    const out = buckets.map(() => new Map<string, RollupBucket>());
    for (const r of rows) {
      const ref = bucketRef(seriesOfRow(r), r.resolution_ms, r.bucket_start);
      out[Number(r.i) - 1]!.set(ref.key, this.cache.get(ref.key) ?? RollupBucket.decode(r.bucket_start, this.accuracy, r.bucket));
    }
    return out;
  }
}

/** The series columns of buckets as array literals. */
function seriesColumnArrays(buckets: readonly BucketRef[]): { scope: string; metric: string; name1: string; name2: string } {
  const [scope, metric, name1, name2] = [0, 1, 2, 3].map((c) => pgArray(buckets.map((b) => seriesColumns(b.series)[c]!)));
  return { scope: scope!, metric: metric!, name1: name1!, name2: name2! };
}
