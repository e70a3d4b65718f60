// Applies one ingest batch to the roll-ups. A brand-new window merges incrementally into each of
// its buckets. A window that replaces or withdraws a stored one cannot: min, max, first, last and
// sketches do not subtract. So every bucket the old or new version belongs to is recomputed from
// what it contains, and only those:
//
//   device, line at the finest resolution ← the windows stored for that device / site+line
//   site at the finest resolution         ← the site's line buckets at that instant
//   fleet at the finest resolution        ← the site buckets at that instant
//   any series at a coarser resolution    ← its own buckets at the next finer resolution
//
// Buckets are computed finest resolution first and, within one, in SCOPE_ORDER, so every child a
// recomputation reads is already final for this batch. The backend supplies committed state (a
// `RollupSource` that sees the batch's own summary writes); the engine returns the buckets to write.

import type { Partials } from '../../edge/features/summary.js';
import { Turn } from '../../edge/analysis/turn.js';
import { RollupBucket } from './bucket.js';
import type { RollupPlan } from './plan.js';
import { bucketKey, SCOPE_ORDER, type BucketRef, type WindowPlace } from './series.js';

/** A window summary that feeds roll-ups. */
export interface RollupInput extends WindowPlace {
  readonly partials: Partials;
}

/**
 * What the engine reads. Rebuilds come in stages (one resolution and scope at a time), so each
 * read takes every bucket of a stage at once: a backend can answer with one query.
 */
export interface RollupSource {
  /** Committed buckets among `refs` (from a cache where possible); absent buckets are left out. */
  load(refs: readonly BucketRef[]): Promise<Map<string, RollupBucket>>;
  /** For each device or line bucket (finest resolution): the partials of the rolled-up windows it contains. */
  windows(buckets: readonly BucketRef[]): Promise<Partials[][]>;
  /**
   * For each bucket, its committed parts by bucket key: with `finer` undefined (finest resolution)
   * the lines of a site, or the sites of the fleet, at its start; otherwise its own series' buckets
   * at resolution `finer` inside it.
   */
  parts(buckets: readonly BucketRef[], finer: number | undefined): Promise<Array<Map<string, RollupBucket>>>;
}

export interface BucketChange {
  readonly ref: BucketRef;
  /** The new bucket, or null when it no longer holds any window (delete it). */
  readonly bucket: RollupBucket | null;
  /** Whether the bucket existed before this batch; undefined when it was recomputed without looking. */
  readonly existed: boolean | undefined;
}

export interface RollupStats {
  /** rollUp() calls (roll-up passes that had work). */
  passes: number;
  /** Buckets merged into incrementally, and rebuilt. */
  incremental: number;
  recomputed: number;
}

/**
 * Work out the bucket changes of a batch. `adds` are brand-new windows; `recompute` names the
 * windows (old and new versions) whose buckets must be rebuilt. Loaded buckets may be mutated in
 * place: a backend with a cache must drop those entries if the batch then fails to commit.
 */
export async function rollUp(plan: RollupPlan, source: RollupSource, adds: readonly RollupInput[], recompute: readonly WindowPlace[], stats?: RollupStats): Promise<BucketChange[]> {
  if (stats) stats.passes++;
  const work = new Map<string, BucketChange>();
  const childrenOf = new Map<string, Set<string>>();
  const rebuild = new Map<string, BucketRef>();
  for (const place of recompute) for (const ref of plan.bucketsOf(place)) rebuild.set(ref.key, ref);
  // Which changed buckets each rebuilt one is made from (only needed when something is rebuilt).
  const record = (change: BucketChange) => {
    work.set(change.ref.key, change);
    if (rebuild.size === 0) return;
    for (const parent of parentKeys(plan, change.ref)) {
      let set = childrenOf.get(parent);
      if (!set) childrenOf.set(parent, (set = new Set()));
      set.add(change.ref.key);
    }
  };

  // Brand-new windows: merge into each bucket that is not being rebuilt anyway.
  const pending = new Map<string, { ref: BucketRef; windows: Partials[] }>();
  // Windows of one device and metric in one finest bucket share all their buckets: name them once.
  const cells = new Map<string, BucketRef[]>();
  const turn = new Turn();
  for (const input of adds) {
    if (turn.due()) await turn.next();
    const cell = `${input.device}\u0000${input.metric}\u0000${input.site}\u0000${input.line}\u0000${plan.bucketStart(input.windowStart, plan.finest)}`;
    let refs = cells.get(cell);
    if (!refs) cells.set(cell, (refs = plan.bucketsOf(input)));
    for (const ref of refs) {
      if (rebuild.has(ref.key)) continue;
      const entry = pending.get(ref.key);
      if (entry) entry.windows.push(input.partials);
      else pending.set(ref.key, { ref, windows: [input.partials] });
    }
  }
  const loaded = pending.size ? await source.load([...pending.values()].map((e) => e.ref)) : new Map<string, RollupBucket>();
  for (const [key, { ref, windows }] of pending) {
    // A pass can hold a second of a busy fleet's work: let messages (an alert) in between slices.
    if (turn.due()) await turn.next();
    const held = loaded.get(key);
    const bucket = held ?? RollupBucket.empty(ref.start, plan.relativeAccuracy);
    for (const p of windows) bucket.addWindow(p);
    record({ ref, bucket, existed: held !== undefined });
  }
  if (stats) stats.incremental += pending.size;

  // Rebuilt buckets, children before parents: a stage is one resolution and scope.
  const stages = new Map<number, BucketRef[]>();
  for (const ref of rebuild.values()) {
    const stage = plan.resolutions.indexOf(ref.resolutionMs) * SCOPE_ORDER.length + SCOPE_ORDER.indexOf(ref.series.scope.kind);
    const list = stages.get(stage);
    if (list) list.push(ref);
    else stages.set(stage, [ref]);
  }
  for (const stage of [...stages.keys()].sort((a, b) => a - b)) {
    if (turn.due()) await turn.next();
    const refs = stages.get(stage)!;
    const kind = refs[0]!.series.scope.kind;
    const finer = plan.finer(refs[0]!.resolutionMs);
    const built = refs.map((r) => RollupBucket.empty(r.start, plan.relativeAccuracy));
    if (finer === undefined && (kind === 'device' || kind === 'line')) {
      (await source.windows(refs)).forEach((windows, i) => windows.forEach((p) => built[i]!.addWindow(p)));
    } else {
      (await source.parts(refs, finer)).forEach((parts, i) => {
        // This batch's versions of the parts replace the committed ones.
        for (const key of childrenOf.get(refs[i]!.key) ?? []) {
          const change = work.get(key)!;
          if (change.bucket) parts.set(key, change.bucket);
          else parts.delete(key);
        }
        for (const key of [...parts.keys()].sort()) built[i]!.addBucket(parts.get(key)!);
      });
    }
    refs.forEach((ref, i) => record({ ref, bucket: built[i]!.windows > 0 ? built[i]! : null, existed: undefined }));
    if (stats) stats.recomputed += refs.length;
  }
  return [...work.values()];
}

/** The buckets made from this one: the same series one resolution up, and at the finest resolution the site of a line and the fleet of a site. */
function parentKeys(plan: RollupPlan, ref: BucketRef): string[] {
  const out: string[] = [];
  const i = plan.resolutions.indexOf(ref.resolutionMs);
  const coarser = plan.resolutions[i + 1];
  if (coarser !== undefined) out.push(bucketKey(ref.series, coarser, plan.bucketStart(ref.start, coarser)));
  if (i === 0) {
    const sc = ref.series.scope;
    if (sc.kind === 'line') out.push(bucketKey({ metric: ref.series.metric, scope: { kind: 'site', site: sc.site } }, ref.resolutionMs, ref.start));
    if (sc.kind === 'site') out.push(bucketKey({ metric: ref.series.metric, scope: { kind: 'fleet' } }, ref.resolutionMs, ref.start));
  }
  return out;
}

