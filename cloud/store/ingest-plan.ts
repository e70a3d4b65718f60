// De-duplication of a summary batch, the same for every backend: given what is held under the
// batch's ids, decide each item's outcome, the one write per id, and which windows merge into the
// roll-ups incrementally and which buckets must be rebuilt.

import type { Summary } from '../../edge/features/summary.js';
import type { RollupInput } from '../rollup/engine.js';
import type { RollupPlan } from '../rollup/plan.js';
import type { WindowPlace } from '../rollup/series.js';
import type { IngestResult, StoredSummary } from './contract.js';
import { copyExtraFields } from './summary-codec.js';

/** What a backend holds under an id, enough to decide and to undo its roll-up contribution. */
export interface HeldSummary extends WindowPlace {
  readonly id: string;
  readonly revision: number;
  readonly retracted: boolean;
  readonly rolledUp: boolean;
}

export interface SummaryWrite {
  /** The id's final version after the batch (a tombstone when retracted). */
  readonly record: StoredSummary;
  /** What was committed under the id before the batch. */
  readonly previous: HeldSummary | undefined;
}

export interface IngestPlan {
  readonly results: IngestResult[];
  readonly writes: Map<string, SummaryWrite>;
  readonly adds: RollupInput[];
  readonly recompute: WindowPlace[];
}

export interface IngestContext {
  readonly plan: RollupPlan;
  /** Cloud clock now. */
  readonly now: number;
  readonly summariesRetentionMs: number;
  /** Site and line of a device, from the registry or the defaults. */
  placeOf(summary: Summary): { readonly site: string; readonly line: string };
}

export const heldOf = (r: StoredSummary): HeldSummary => ({
  id: r.id,
  revision: r.revision,
  retracted: r.retracted === true,
  rolledUp: r.rolledUp,
  device: r.device,
  metric: r.metric,
  site: r.site,
  line: r.line,
  windowStart: r.window.start,
});

/**
 * A summary is expired when the coarsest bucket it would feed started before now − summariesMs:
 * the windows that bucket is rebuilt from may already be deleted. (Measured on every summary, so
 * the rule is one rule; windows that feed no roll-ups are simply kept as long.)
 */
export function isExpired(ctx: IngestContext, s: Summary): boolean {
  return ctx.plan.bucketStart(s.window.start, ctx.plan.coarsest) < ctx.now - ctx.summariesRetentionMs;
}

/**
 * Throws TypeError for a summary no store can key: names are parts of NUL-separated keys (the
 * uplink validation keeps NUL out of them). Checked per caller before a batch joins a group, so
 * one gateway's bad batch never fails another's.
 */
export function checkSummaries(batch: readonly Summary[]): void {
  for (const s of batch) {
    if (s.device.includes('\u0000') || s.metric.includes('\u0000') || s.gateway.includes('\u0000') || s.id.includes('\u0000')) {
      throw new TypeError(`summary ${s.id} has a NUL in its id, gateway, device or metric`);
    }
  }
}

export function planIngest(batch: readonly Summary[], held: ReadonlyMap<string, HeldSummary>, ctx: IngestContext): IngestPlan {
  const results: IngestResult[] = [];
  const writes = new Map<string, SummaryWrite>();
  const adds: RollupInput[] = [];
  const recompute: WindowPlace[] = [];
  const current = new Map<string, HeldSummary>();

  for (const s of batch) {
    const state = current.get(s.id) ?? held.get(s.id);
    const result = (outcome: IngestResult['outcome'], rolledUp: boolean) => {
      results.push({ id: s.id, revision: s.revision, outcome, rolledUp });
    };
    if (isExpired(ctx, s)) {
      result('expired', false);
      continue;
    }
    if (state && s.revision < state.revision) {
      result('stale', state.rolledUp);
      continue;
    }
    if (state && s.revision === state.revision) {
      result('unchanged', state.rolledUp);
      continue;
    }
    const { site, line } = ctx.placeOf(s);
    const feeds = ctx.plan.feeds(s);
    // An object literal, not a spread (about 40 times faster, and this runs for every summary);
    // fields beyond the known ones (a model score, say) are copied after.
    const record: StoredSummary = {
      id: s.id,
      revision: s.revision,
      gateway: s.gateway,
      device: s.device,
      metric: s.metric,
      window: s.window,
      features: s.features,
      partials: s.partials,
      emittedAt: s.emittedAt,
      ...(s.retracted ? { retracted: true } : {}),
      site,
      line,
      rolledUp: feeds,
      receivedAt: ctx.now,
    };
    copyExtraFields(s, record);
    const next: HeldSummary & RollupInput = {
      id: s.id,
      revision: s.revision,
      retracted: s.retracted === true,
      rolledUp: feeds,
      device: s.device,
      metric: s.metric,
      site,
      line,
      windowStart: s.window.start,
      partials: s.partials,
    };
    if (state?.rolledUp) recompute.push(state);
    if (s.retracted) {
      result('retracted', false);
    } else if (state) {
      if (feeds) recompute.push(next);
      result('replaced', feeds);
    } else {
      if (feeds) adds.push(next);
      result('inserted', feeds);
    }
    current.set(s.id, next);
    writes.set(s.id, { record, previous: held.get(s.id) });
  }
  return { results, writes, adds, recompute };
}
