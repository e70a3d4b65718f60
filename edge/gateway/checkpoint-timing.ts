// When checkpoints are taken: away from the instants windows close. A checkpoint holds the feed of
// logged readings while the analysis stage drains and the state is snapshotted (tens of ms with
// 1,000 devices); falling on the instant a whole fleet's windows close, it would hold every
// summary and alert of that instant. Windows are aligned to the epoch, so they close (as the
// gateway sees it: once a device's watermark passes the end) from maxOutOfOrdernessMs to
// maxOutOfOrdernessMs + staggerMs after a multiple of the window period; checkpoints go to the middle
// of the rest of the period.

import type { WindowSpec } from '../window/contract.js';

/** Instants `offsetMs` past every multiple of `periodMs` (ms since the epoch). */
export interface Phase {
  readonly periodMs: number;
  readonly offsetMs: number;
}

/**
 * The middle of the quiet part of the period, between the last closing of one window boundary and
 * the first of the next: the period is the greatest common divisor of the tumbling sizes and hopping
 * slides (every window ends on a multiple of it), and a boundary's closings take from
 * maxOutOfOrdernessMs to maxOutOfOrdernessMs + staggerMs after it. Undefined with session windows
 * only, which close at no fixed instant, and when the stagger spreads closings over the whole period.
 */
export function quietPhase(windows: readonly WindowSpec[], maxOutOfOrdernessMs: number, staggerMs = 0): Phase | undefined {
  const steps = windows.flatMap((w) => (w.kind === 'tumbling' ? [w.sizeMs] : w.kind === 'hopping' ? [w.slideMs] : []));
  if (steps.length === 0) return undefined;
  const periodMs = steps.reduce(gcd);
  if (staggerMs >= periodMs) return undefined;
  return { periodMs, offsetMs: (maxOutOfOrdernessMs + staggerMs + (periodMs - staggerMs) / 2) % periodMs };
}

/**
 * The next checkpoint after one at `from`: `intervalMs` later, moved to the nearest instant of the
 * phase (so at most half a period sooner or later). Without a phase, or when checkpoints come more
 * often than the period, exactly `intervalMs` later.
 */
export function nextCheckpointAt(from: number, intervalMs: number, phase: Phase | undefined): number {
  if (phase === undefined || intervalMs < phase.periodMs) return from + intervalMs;
  const { periodMs, offsetMs } = phase;
  const earliest = from + intervalMs - periodMs / 2;
  return Math.ceil((earliest - offsetMs) / periodMs) * periodMs + offsetMs;
}

function gcd(a: number, b: number): number {
  while (b > 0) [a, b] = [b, a % b];
  return a;
}
