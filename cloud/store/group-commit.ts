// Group commit for ingest batches: batches that arrive while the store is busy (a write and its
// fsync in flight) wait together and go into the next write as one, so many gateways sending at
// once cost one durable write per round instead of one each. Every caller still gets its own
// results, only after the write holding its batch is durable. A batch never joins a group that
// has another write queued behind it, so writes still apply in call order.

import type { SerialQueue } from './serial-queue.js';

/** Summaries beyond which a group closes (a bound on one write's size and memory). */
export const MAX_GROUP = 10_000;

interface Waiting<T, R> {
  readonly items: readonly T[];
  readonly resolve: (results: R[]) => void;
  readonly reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  #group: Array<Waiting<T, R>> | undefined;
  #groupItems = 0;
  /** The queue position of the open group's job. */
  #groupJob = -1;

  constructor(
    private readonly queue: SerialQueue,
    /** Write items (several callers' batches, in order) durably; one result per item, in order. */
    private readonly commit: (items: readonly T[]) => Promise<R[]>,
    /** Items beyond which a group closes and the next batch starts another. */
    private readonly maxItems: number,
  ) {}

  submit(items: readonly T[]): Promise<R[]> {
    return new Promise<R[]>((resolve, reject) => {
      const waiting = { items, resolve, reject };
      if (this.#group && this.#groupJob === this.queue.queued && this.#groupItems + items.length <= this.maxItems) {
        this.#group.push(waiting);
        this.#groupItems += items.length;
        return;
      }
      const group = [waiting];
      this.#group = group;
      this.#groupItems = items.length;
      void this.queue.run(() => this.#drain(group));
      this.#groupJob = this.queue.queued;
    });
  }

  async #drain(group: Array<Waiting<T, R>>): Promise<void> {
    if (this.#group === group) this.#group = undefined; // closed: later batches start a new group
    try {
      const results = await this.commit(group.flatMap((g) => g.items));
      let at = 0;
      for (const g of group) {
        g.resolve(results.slice(at, at + g.items.length));
        at += g.items.length;
      }
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }
}
