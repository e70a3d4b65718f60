// Roll-up series and their buckets: which series a window summary feeds (its device, its site and
// line, its site, the fleet — each per metric), and the one key a bucket has in memory and in LevelDB.

/** Whose data a series merges. Site and line come from the device registry. */
export type SeriesScope =
  | { readonly kind: 'device'; readonly device: string }
  | { readonly kind: 'line'; readonly site: string; readonly line: string }
  | { readonly kind: 'site'; readonly site: string }
  | { readonly kind: 'fleet' };

export type ScopeKind = SeriesScope['kind'];

/** Scopes in the order a batch's roll-ups are computed: each is made from the ones before it. */
export const SCOPE_ORDER: readonly ScopeKind[] = ['device', 'line', 'site', 'fleet'];

export interface SeriesRef {
  readonly scope: SeriesScope;
  readonly metric: string;
}

export interface BucketRef {
  readonly series: SeriesRef;
  readonly resolutionMs: number;
  /** Bucket start, ms since the epoch, a multiple of resolutionMs. */
  readonly start: number;
  /** `bucketKey(series, resolutionMs, start)`. */
  readonly key: string;
}

/** Where a window summary lands: enough to name every bucket it feeds. */
export interface WindowPlace {
  readonly device: string;
  readonly metric: string;
  readonly site: string;
  readonly line: string;
  readonly windowStart: number;
}

const SEP = '\u0000';

/**
 * The series key: scope letter, metric, then the scope's names, NUL-separated (device ids, metric
 * names, sites and lines never contain NUL). Metric comes before the names so that the lines of a
 * site, or all sites, at one bucket are a prefix.
 */
export function seriesKey(s: SeriesRef): string {
  const sc = s.scope;
  switch (sc.kind) {
    case 'device':
      return `d${SEP}${s.metric}${SEP}${sc.device}`;
    case 'line':
      return `l${SEP}${s.metric}${SEP}${sc.site}${SEP}${sc.line}`;
    case 'site':
      return `s${SEP}${s.metric}${SEP}${sc.site}`;
    case 'fleet':
      return `f${SEP}${s.metric}`;
  }
}

/** Inverse of seriesKey. */
export function parseSeriesKey(key: string): SeriesRef {
  const [c, metric, a, b] = key.split(SEP);
  if (metric === undefined) throw new TypeError(`not a series key: ${JSON.stringify(key)}`);
  switch (c) {
    case 'd':
      return { metric, scope: { kind: 'device', device: a! } };
    case 'l':
      return { metric, scope: { kind: 'line', site: a!, line: b! } };
    case 's':
      return { metric, scope: { kind: 'site', site: a! } };
    case 'f':
      return { metric, scope: { kind: 'fleet' } };
    default:
      throw new TypeError(`not a series key: ${JSON.stringify(key)}`);
  }
}


const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Sorts by series, then resolution, then start: a series' buckets at one resolution are a range. */
export function bucketKey(series: SeriesRef | string, resolutionMs: number, start: number): string {
  const s = typeof series === 'string' ? series : seriesKey(series);
  return `${s}${SEP}${pad(resolutionMs, 12)}${SEP}${pad(start, 16)}`;
}

export function bucketRef(series: SeriesRef, resolutionMs: number, start: number): BucketRef {
  return { series, resolutionMs, start, key: bucketKey(series, resolutionMs, start) };
}

export function parseBucketKey(key: string): BucketRef {
  const parts = key.split(SEP);
  const start = Number(parts.pop());
  const resolutionMs = Number(parts.pop());
  const series = parseSeriesKey(parts.join(SEP));
  return { series, resolutionMs, start, key };
}

/** The four series a window feeds, in SCOPE_ORDER. */
export function seriesOf(p: WindowPlace): SeriesRef[] {
  const metric = p.metric;
  return [
    { metric, scope: { kind: 'device', device: p.device } },
    { metric, scope: { kind: 'line', site: p.site, line: p.line } },
    { metric, scope: { kind: 'site', site: p.site } },
    { metric, scope: { kind: 'fleet' } },
  ];
}

/** Site and line names: 1-128 characters, no control characters (they are parts of keys). */
export function isScopeName(s: string): boolean {
  return s.length >= 1 && s.length <= 128 && !/[\u0000-\u001f]/.test(s);
}

/** A time (ms since the epoch) as 16 zero-padded digits, so keys sort by time. */
export const padTime = (t: number): string => pad(t, 16);

/** The bucket start at the end of a bucket key. */
export const bucketStartOf = (key: string): number => Number(key.slice(key.lastIndexOf(SEP) + 1));
