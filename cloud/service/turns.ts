// Sharing the cloud's one event loop. A window boundary brings a fleet's summaries at once: decoding
// their messages, planning and writing them, and the roll-up pass a second later each held the loop
// for 50–175 ms (a CPU profile of `npm run bench -- e2e`), and an alert message read meanwhile
// waited for all of it before the live stream heard of it. Bulk work therefore gives the loop up:
//
// - `Turn`: a long synchronous loop asks `due()` as it goes and, once it has run for TURN_BUDGET_MS,
//   awaits `next()` — one turn of the event loop (setImmediate), so sockets and LevelDB callbacks
//   are served before it goes on.
// - Bulk messages wait before decoding in a SliceLane of one (edge/analysis/slice-lane.ts), which
//   lets them go ONE per turn of the loop (cloud/ingest/ingest.ts). Each yielding once on its own
//   is not enough: every immediate queued before a turn's check phase runs in that phase, so a
//   read of ten summary messages decoded all ten back to back.
//
// setImmediate, not a timer: a callback scheduled from an immediate runs in the next turn, after
// the loop has polled for I/O, however busy the machine is.

import { setImmediate as nextTurn } from 'node:timers/promises';

/** How long bulk work holds the loop before it lets I/O in (ms). */
export const TURN_BUDGET_MS = 4;

/** Slices one job: `if (turn.due()) await turn.next();` between items. */
export class Turn {
  #since = performance.now();

  constructor(private readonly budgetMs = TURN_BUDGET_MS) {}

  /** Whether this job has held the loop for its budget since it started or last gave it up. */
  due(): boolean {
    return performance.now() - this.#since >= this.budgetMs;
  }

  /** Give the loop up for one turn; the budget starts again after. */
  async next(): Promise<void> {
    await nextTurn();
    this.#since = performance.now();
  }
}
