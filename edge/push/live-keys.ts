// Which config keys a push may change while the gateway runs, and the check that a pushed config
// changes nothing else. What the analysis stage reads is swapped between two batches (models,
// device kinds, detectors, alert rules) and the decoder's limits between two readings; everything
// else is held by something built once at start-up — sockets, the LevelDB stores, the window engine
// (a new window definition would need state the windows never kept) — and takes a restart.

import type { EdgeConfig } from '../config/schema.js';
import { changedPaths } from './merge-patch.js';

/** Top-level keys a push may change without a restart. */
export const LIVE_KEYS = ['devices', 'models', 'detectors', 'alerts', 'decode'] as const satisfies ReadonlyArray<keyof EdgeConfig>;

const live = new Set<string>(LIVE_KEYS);

/** The paths at which `next` differs from `running` outside the live keys (empty: it can be applied live). */
export function restartPaths(running: Readonly<EdgeConfig>, next: Readonly<EdgeConfig>): string[] {
  return changedPaths(running, next).filter((p) => !live.has(p.split('.')[0]!));
}
