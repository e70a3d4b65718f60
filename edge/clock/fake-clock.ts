// A manually advanced clock for tests: timers fire in time order as `advance` moves time on.

import type { Clock, TimerHandle } from './clock.js';

interface FakeTimer extends TimerHandle {
  due: number;
  readonly every: number; // 0 for a one-shot timer
  readonly fn: () => void;
  readonly seq: number;
  cleared: boolean;
}

export class FakeClock implements Clock {
  #now: number;
  #timers: FakeTimer[] = [];
  #seq = 0;

  /** @param start wall-clock ms since the epoch the clock starts at (default 2024-11-24T00:00:00Z). */
  constructor(start = Date.UTC(2024, 10, 24)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, 0);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    if (!(ms > 0)) throw new TypeError(`setInterval needs a positive period, got ${ms}`);
    return this.#add(fn, ms, ms);
  }

  clear(handle: TimerHandle): void {
    (handle as FakeTimer).cleared = true;
    this.#timers = this.#timers.filter((t) => t !== handle);
  }

  /** Pending timers (for tests that check nothing was left running). */
  get pending(): number {
    return this.#timers.length;
  }

  /** Move time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new TypeError(`advance needs a non-negative duration, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      const next = this.#nextDue();
      if (next === undefined || next.due > target) break;
      this.#now = next.due;
      if (next.every > 0) next.due += next.every;
      else this.#timers = this.#timers.filter((t) => t !== next);
      next.fn();
    }
    this.#now = target;
  }

  /** Set the time to an absolute instant (must not go backwards), firing timers on the way. */
  set(now: number): void {
    this.advance(now - this.#now);
  }

  #add(fn: () => void, ms: number, every: number): FakeTimer {
    const timer: FakeTimer = { due: this.#now + Math.max(0, ms), every, fn, seq: this.#seq++, cleared: false, unref() {} };
    this.#timers.push(timer);
    return timer;
  }

  #nextDue(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.#timers) {
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
