// When a store runs its roll-up pass: at most `intervalMs` after a batch left work pending, at
// once when `maxPending` windows are waiting (the ingest that crossed it waits for the pass: that
// is the backpressure), on `flush()`, and never after close.

import type { Clock, TimerHandle } from '../../edge/clock/clock.js';
import type { Logger } from '../../edge/observe/log.js';

export interface RollupSchedulerOptions {
  readonly clock: Clock;
  readonly intervalMs: number;
  readonly maxPending: number;
  /**
   * One pass over everything pending (the store queues it behind its other writes). Resolves false
   * when it did not run (another worker holds the pass): the work is then tried again later.
   */
  readonly pass: () => Promise<boolean>;
  readonly log?: Logger;
}

export class RollupScheduler {
  #pending = 0;
  #timer: TimerHandle | undefined;
  #closed = false;
  #relieving: Promise<void> | undefined;

  constructor(private readonly o: RollupSchedulerOptions) {}

  /** Windows waiting for a pass, as far as this process knows. */
  get pending(): number {
    return this.#pending;
  }

  /** A write left `n` more windows pending (or found them pending at open): counted, and a pass armed. */
  added(n: number): void {
    if (n === 0 || this.#closed) return;
    this.#pending += n;
    this.#arm();
  }

  /**
   * After an ingest: resolves at once, or after a pass when maxPending windows are waiting. Never
   * rejects — the batch is already durable; a failed pass is logged and its work stays pending.
   */
  relieve(): Promise<void> {
    if (this.#pending < this.o.maxPending || this.#closed) return Promise.resolve();
    this.#relieving ??= this.flush()
      .catch((err: unknown) => this.o.log?.error({ err }, 'roll-up pass failed; its work stays pending and is retried'))
      .finally(() => {
        this.#relieving = undefined;
      });
    return this.#relieving;
  }

  /** Run a pass now over everything pending. */
  flush(): Promise<void> {
    if (this.#timer) {
      this.o.clock.clear(this.#timer);
      this.#timer = undefined;
    }
    const had = this.#pending;
    this.#pending = 0;
    const later = () => {
      // Nothing was applied: the work stays pending (durably) for the next pass.
      this.#pending += had;
      this.#arm();
    };
    return this.o.pass().then(
      (ran) => {
        if (!ran) later();
      },
      (err: unknown) => {
        later();
        throw err;
      },
    );
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) this.o.clock.clear(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = this.o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch((err: unknown) => this.o.log?.error({ err }, 'roll-up pass failed; its work stays pending and is retried'));
    }, this.o.intervalMs);
    this.#timer.unref();
  }
}
