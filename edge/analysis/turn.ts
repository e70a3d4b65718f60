// Giving the event loop up from inside a long synchronous job, by time: `Turn` is the time-budget
// sibling of SliceLane (slice-lane.ts, which hands a lane's items on a fixed number per turn).
// A job asks `due()` as it goes and, once it has held the loop for its budget, awaits `next()`:
// one turn of the event loop (setImmediate), so sockets, timers and LevelDB callbacks are served
// before it goes on. Used where one item's cost varies too much for a count (the uplink's message
// encoding and outbox reads, the cloud's roll-up passes and store writes).
//
// setImmediate, not a timer: a callback scheduled from an immediate runs in the next turn, after
// the loop has polled for I/O, however busy the machine is.
//
// Background work — nobody waits for it, and the loop has other work to do meanwhile — rests a
// while (a timer) instead, so it takes at most budget / (budget + rest) of the loop: the flight
// recorder's snippets, which under an alert storm read and write several times the readings the
// gateway ingests.

import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

/** How long bulk work holds the loop before it lets I/O in (ms). */
export const TURN_BUDGET_MS = 4;

/** How long background work rests each time it gives the loop up (ms): at most half the loop for it. */
export const BACKGROUND_REST_MS = TURN_BUDGET_MS;

/** Slices one job: `if (turn.due()) await turn.next();` between items. */
export class Turn {
  #since = performance.now();

  /** With `restMs` > 0, next() waits that long (background work) instead of one turn. */
  constructor(
    private readonly budgetMs = TURN_BUDGET_MS,
    private readonly restMs = 0,
  ) {}

  /** Whether this job has held the loop for its budget since it started or last gave it up. */
  due(): boolean {
    return performance.now() - this.#since >= this.budgetMs;
  }

  /** Give the loop up for one turn (or restMs); the budget starts again after. */
  async next(): Promise<void> {
    await (this.restMs > 0 ? sleep(this.restMs) : nextTurn());
    this.#since = performance.now();
  }
}
