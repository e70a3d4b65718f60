// A from-scratch model of the roll-ups, for checking a store: every rolled-up summary is put
// straight into its bucket at every resolution and scope (no hierarchy, no increments), and a
// store's buckets are compared with it — counts, extremes, first/last and sketch bins exactly,
// sums to a relative 1e-9 (floating-point sums depend on the order they were added in).

import type { StoredSummary, RollupRecord, SeriesScope } from '../../cloud/store/contract.js';
import { RollupBucket } from '../../cloud/rollup/bucket.js';

export interface ModelConfig {
  readonly resolutions: readonly number[];
  readonly sourceWindowsMs: readonly number[];
  readonly relativeAccuracy: number;
}

export const DEFAULT_MODEL: ModelConfig = { resolutions: [60_000, 3_600_000, 86_400_000], sourceWindowsMs: [10_000], relativeAccuracy: 0.01 };

export function scopeName(s: SeriesScope): string {
  switch (s.kind) {
    case 'device':
      return `device:${s.device}`;
    case 'line':
      return `line:${s.site}/${s.line}`;
    case 'site':
      return `site:${s.site}`;
    case 'fleet':
      return 'fleet';
  }
}

/** `<scope>|<metric>|<resolution>|<start>`, readable in a failing test. */
export const modelKey = (scope: SeriesScope, metric: string, res: number, start: number): string => `${scopeName(scope)}|${metric}|${res}|${start}`;

export function rollupsFromScratch(summaries: readonly StoredSummary[], m: ModelConfig = DEFAULT_MODEL): Map<string, RollupBucket> {
  const groups = new Map<string, { start: number; items: StoredSummary[] }>();
  for (const s of summaries) {
    const w = s.window;
    if (s.retracted || w.kind !== 'tumbling' || !m.sourceWindowsMs.includes(w.size)) continue;
    const scopes: SeriesScope[] = [{ kind: 'device', device: s.device }, { kind: 'line', site: s.site, line: s.line }, { kind: 'site', site: s.site }, { kind: 'fleet' }];
    for (const res of m.resolutions) {
      const start = Math.floor(w.start / res) * res;
      for (const scope of scopes) {
        const key = modelKey(scope, s.metric, res, start);
        const g = groups.get(key) ?? { start, items: [] };
        g.items.push(s);
        groups.set(key, g);
      }
    }
  }
  const out = new Map<string, RollupBucket>();
  for (const [key, g] of groups) {
    const b = RollupBucket.empty(g.start, m.relativeAccuracy);
    for (const s of g.items.sort((a, b) => a.window.start - b.window.start)) b.addWindow(s.partials);
    out.set(key, b);
  }
  return out;
}

/** Every bucket a store holds, by model key. */
export async function storeRollups(records: AsyncIterable<RollupRecord>): Promise<Map<string, RollupRecord>> {
  const out = new Map<string, RollupRecord>();
  for await (const r of records) out.set(modelKey(r.scope, r.metric, r.resolutionMs, r.point.start), r);
  return out;
}

const close = (a: number, b: number) => a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** What two buckets are compared on: a model's RollupBucket, or another store's SeriesPoint. */
type BucketLike = Pick<RollupBucket, 'windows' | 'partials' | 'sketch'>;

/** Another store's buckets as the expected side of diffRollups (two stores fed the same data). */
export const pointsOf = (records: ReadonlyMap<string, RollupRecord>): Map<string, BucketLike> => new Map([...records].map(([k, r]) => [k, r.point]));

/** Differences between a store's buckets and the model's, one line each (empty when they agree). */
export function diffRollups(actual: ReadonlyMap<string, RollupRecord>, expected: ReadonlyMap<string, BucketLike>): string[] {
  const out: string[] = [];
  for (const key of expected.keys()) if (!actual.has(key)) out.push(`${key}: missing`);
  for (const [key, r] of actual) {
    const e = expected.get(key);
    if (!e) {
      out.push(`${key}: not expected (${r.point.windows} windows)`);
      continue;
    }
    const a = r.point;
    if (a.windows !== e.windows) out.push(`${key}: windows ${a.windows} ≠ ${e.windows}`);
    for (const f of ['count', 'min', 'max', 'first', 'firstTs', 'last', 'lastTs', 'tRef'] as const) {
      if (a.partials[f] !== e.partials[f]) out.push(`${key}: ${f} ${a.partials[f]} ≠ ${e.partials[f]}`);
    }
    for (const f of ['sum', 'sumSq', 'sumT', 'sumTT', 'sumTV'] as const) {
      if (!close(a.partials[f], e.partials[f])) out.push(`${key}: ${f} ${a.partials[f]} ≠ ${e.partials[f]}`);
    }
    if (JSON.stringify(a.sketch.encode()) !== JSON.stringify(e.sketch.encode())) out.push(`${key}: sketch bins differ`);
  }
  return out;
}

/** Keys whose bucket differs between two snapshots of a store (added, removed or changed). */
export function changedKeys(before: ReadonlyMap<string, RollupRecord>, after: ReadonlyMap<string, RollupRecord>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  const enc = (r: RollupRecord | undefined) => (r ? JSON.stringify([r.point.windows, r.point.partials, r.point.sketch.encode()]) : '');
  return [...keys].filter((k) => enc(before.get(k)) !== enc(after.get(k))).sort();
}
