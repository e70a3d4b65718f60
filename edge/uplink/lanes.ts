// What the uplink sends next. Two tiers: live — alert events (all of them: an alert is never
// backlog) and items queued within liveWindowMs — then backlog, everything older. Within a tier,
// classes go by their configured priority. Live summaries and status reports go newest first (the
// present matters most), backlog oldest first (fill the cloud's gap in order), alert events and
// raw snippets oldest first (an alert's events, a snippet's parts, in order).
//
// Bulk lanes (the backlog, and raw snippets, which are large) may only spend the bandwidth budget
// above the live reserve (token-bucket.ts).

import type { TakeOptions } from '../outbox/outbox.js';
import { UPLINK_CLASSES, type UplinkClass } from './topics.js';

export interface Lane {
  readonly cls: UplinkClass;
  readonly tier: 'live' | 'backlog';
  readonly bulk: boolean;
}

/** The default sending order: alerts, status, summaries, raw snippets. */
export const DEFAULT_PRIORITY: Readonly<Record<UplinkClass, number>> = { alert: 0, status: 1, summary: 2, raw: 3 };

export function laneOrder(priority: Readonly<Record<UplinkClass, number>> = DEFAULT_PRIORITY): Lane[] {
  const classes = [...UPLINK_CLASSES].sort((a, b) => priority[a] - priority[b] || UPLINK_CLASSES.indexOf(a) - UPLINK_CLASSES.indexOf(b));
  const live = classes.map((cls): Lane => ({ cls, tier: 'live', bulk: cls === 'raw' }));
  const backlog = classes.filter((c) => c !== 'alert').map((cls): Lane => ({ cls, tier: 'backlog', bulk: true }));
  return [...live, ...backlog];
}

export function takeOptions(lane: Lane, now: number, liveWindowMs: number, max: number): TakeOptions {
  if (lane.cls === 'alert') return { from: 'oldest', max };
  const since = now - liveWindowMs;
  if (lane.tier === 'backlog') return { from: 'oldest', max, queuedBefore: since };
  return { from: lane.cls === 'raw' ? 'oldest' : 'newest', max, queuedSince: since };
}
