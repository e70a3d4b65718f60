// Messages sent to the cloud and not yet fully acknowledged: which outbox items each carries, so an
// ack timeout or a lost connection can put the unacknowledged ones back in line.

import type { TimerHandle } from '../clock/clock.js';
import type { QueuedItem } from '../outbox/outbox.js';
import type { UplinkClass } from './topics.js';

export interface SentBatch {
  readonly batch: string;
  readonly cls: UplinkClass;
  readonly entries: readonly QueuedItem[];
  /** Gateway clock when published (ms). */
  readonly sentAt: number;
  readonly timer: TimerHandle;
}

export class InFlight {
  readonly #batches = new Map<string, SentBatch>();

  get size(): number {
    return this.#batches.size;
  }

  add(batch: SentBatch): void {
    this.#batches.set(batch.batch, batch);
  }

  /** Messages in flight of one class. */
  batches(cls: UplinkClass): number {
    let n = 0;
    for (const b of this.#batches.values()) if (b.cls === cls) n++;
    return n;
  }

  /** Items in flight of one class (not yet acknowledged or dropped). */
  items(cls: UplinkClass): number {
    let n = 0;
    for (const b of this.#batches.values()) if (b.cls === cls) for (const e of b.entries) if (!e.gone) n++;
    return n;
  }

  /** Remove and return the batches whose every item has left the outbox (acknowledged, mostly). */
  settle(): SentBatch[] {
    const done: SentBatch[] = [];
    for (const b of this.#batches.values()) {
      if (b.entries.every((e) => e.gone)) {
        this.#batches.delete(b.batch);
        done.push(b);
      }
    }
    return done;
  }

  /** Remove one batch (its ack timed out). */
  remove(batch: string): SentBatch | undefined {
    const b = this.#batches.get(batch);
    this.#batches.delete(batch);
    return b;
  }

  /** Remove every batch (the connection is gone). */
  clear(): SentBatch[] {
    const all = [...this.#batches.values()];
    this.#batches.clear();
    return all;
  }
}
