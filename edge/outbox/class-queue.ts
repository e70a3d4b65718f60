// One outbox class's items in memory, in queue order: what eviction, expiry and the uplink's
// choice of what to send next walk over, without touching LevelDB. Removal marks an item gone and
// the array is compacted now and then, so removing from anywhere is O(1) amortised.

import type { UplinkClass } from '../uplink/topics.js';

/** What the outbox remembers of a queued item (about 170 bytes of memory each; the item itself is on disk). */
export interface QueuedItem {
  readonly cls: UplinkClass;
  /** Queue position, unique over all classes; never reused. */
  readonly seq: number;
  readonly id: string;
  readonly rev: number;
  /** Bytes the item holds of the budget: its key (with the sublevel prefix) and value. */
  readonly bytes: number;
  /** Gateway clock when queued (ms since the epoch). */
  readonly queuedAt: number;
  /** Taken for sending and neither acknowledged nor released since. */
  readonly taken: boolean;
  /** Times taken for sending (more than 1: retransmitted). */
  readonly sends: number;
  /** No longer queued: acknowledged, rejected, evicted, expired or superseded. */
  readonly gone: boolean;
}

export type Entry = { -readonly [K in keyof QueuedItem]: QueuedItem[K] };

export interface TakeOptions {
  /** Walk the class oldest first or newest first. */
  readonly from: 'oldest' | 'newest';
  /** Items at most. */
  readonly max: number;
  /** Only items queued at or after this instant (ms). */
  readonly queuedSince?: number;
  /** Only items queued before this instant (ms). */
  readonly queuedBefore?: number;
}

/** Dead slots tolerated before the array is compacted (and never more than the live ones). */
const COMPACT_AT = 1024;

export class ClassQueue {
  #entries: Entry[] = [];
  #head = 0;
  #dead = 0;
  /** Items queued, and the budget bytes they hold. */
  count = 0;
  bytes = 0;
  /** Items taken for sending. */
  taken = 0;

  constructor(readonly cls: UplinkClass) {}

  push(e: Entry): void {
    this.#entries.push(e);
    this.count++;
    this.bytes += e.bytes;
    if (e.taken) this.taken++;
  }

  /** Mark `e` gone and stop counting it. */
  remove(e: Entry): void {
    if (e.gone) return;
    e.gone = true;
    if (e.taken) {
      e.taken = false;
      this.taken--;
    }
    this.count--;
    this.bytes -= e.bytes;
    this.#dead++;
    // Live items are sent newest first and acknowledged soon: drop gone ones off the end at once,
    // so the newest-first walk does not step over them again and again.
    const entries = this.#entries;
    while (entries.length > this.#head && entries[entries.length - 1]!.gone) {
      entries.pop();
      this.#dead--;
    }
    if (this.#dead > COMPACT_AT && this.#dead > this.count) this.#compact();
  }

  setTaken(e: Entry, taken: boolean): void {
    if (e.gone || e.taken === taken) return;
    e.taken = taken;
    this.taken += taken ? 1 : -1;
    if (taken) e.sends++;
  }

  /** The oldest item still queued. */
  oldest(): Entry | undefined {
    const entries = this.#entries;
    while (this.#head < entries.length && entries[this.#head]!.gone) this.#head++;
    return entries[this.#head];
  }

  /** Items still queued, oldest first. Safe to remove items while iterating. */
  *oldestFirst(): Generator<Entry, void, undefined> {
    this.oldest(); // skip the gone prefix once
    const entries = this.#entries;
    for (let i = this.#head; i < entries.length; i++) if (!entries[i]!.gone) yield entries[i]!;
  }

  /** Items still queued, newest first. Safe to remove items while iterating. */
  *newestFirst(): Generator<Entry, void, undefined> {
    // A compaction meanwhile swaps in a new array: keep walking the one we started on.
    const entries = this.#entries;
    const head = this.#head;
    for (let i = entries.length - 1; i >= head; i--) {
      const e = entries[i]; // undefined once dropped off the end meanwhile
      if (e !== undefined && !e.gone) yield e;
    }
  }

  /** Items waiting to be sent (not taken), in the order and time range asked for, at most `max`. */
  *waiting(options: TakeOptions): Generator<Entry, void, undefined> {
    if (this.count === this.taken) return;
    const { from, max, queuedSince, queuedBefore } = options;
    let n = 0;
    for (const e of from === 'oldest' ? this.oldestFirst() : this.newestFirst()) {
      if (n >= max) return;
      if (queuedSince !== undefined && e.queuedAt < queuedSince) {
        if (from === 'newest') return;
        continue;
      }
      if (queuedBefore !== undefined && e.queuedAt >= queuedBefore) {
        if (from === 'oldest') return;
        continue;
      }
      if (e.taken) continue;
      n++;
      yield e;
    }
  }

  #compact(): void {
    this.#entries = this.#entries.filter((e) => !e.gone);
    this.#head = 0;
    this.#dead = 0;
  }
}
