// The uplink's bandwidth budget: a token bucket over payload bytes on the clock. Tokens refill at
// `bytesPerSec` up to `burstBytes`. A message goes when the bucket holds any tokens and its size is
// then taken out, even below zero (a debt the refill pays back before the next one), so no message
// is too big to ever go and over any window of T seconds at most bytesPerSec·T + burstBytes + one
// message leave.
//
// Live data is never starved by backlog: bulk sends (backfill, raw snippets) go only while more
// than `reserve` of the bucket is left, so the share below that is always there for alerts and
// live summaries; when nothing live waits, the refill above the reserve is all backlog's.

import type { Clock } from '../clock/clock.js';

export interface TokenBucketOptions {
  readonly clock: Clock;
  /** Refill rate (bytes per second); 0 means no limit. */
  readonly bytesPerSec: number;
  /** Bucket size (bytes): the largest burst. */
  readonly burstBytes: number;
  /** Share of the bucket (0–1) bulk sends leave for live items. */
  readonly reserve: number;
}

export class TokenBucket {
  readonly #o: TokenBucketOptions;
  #level: number;
  #at: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.bytesPerSec >= 0 && options.burstBytes > 0 && options.reserve >= 0 && options.reserve < 1)) {
      throw new TypeError('token bucket: bytesPerSec must be >= 0, burstBytes > 0 and reserve in [0, 1)');
    }
    this.#o = options;
    this.#level = options.burstBytes;
    this.#at = options.clock.now();
  }

  get unlimited(): boolean {
    return this.#o.bytesPerSec === 0;
  }

  /** Tokens now (bytes; negative while a debt is paid back). */
  get level(): number {
    this.#refill();
    return this.#level;
  }

  /** Whether a live (`bulk` false) or bulk send may go now. */
  canSend(bulk: boolean): boolean {
    return this.unlimited || this.level > this.#floor(bulk);
  }

  /** Take a sent message's bytes out of the bucket. */
  spend(bytes: number): void {
    if (this.unlimited) return;
    this.#refill();
    this.#level -= bytes;
  }

  /** Milliseconds until `canSend(bulk)` turns true (0 if it is). */
  waitMs(bulk: boolean): number {
    if (this.canSend(bulk)) return 0;
    // Strictly above the floor: one byte more than the gap.
    return Math.ceil(((this.#floor(bulk) - this.#level + 1) * 1000) / this.#o.bytesPerSec);
  }

  #floor(bulk: boolean): number {
    return bulk ? this.#o.reserve * this.#o.burstBytes : 0;
  }

  #refill(): void {
    const now = this.#o.clock.now();
    if (now > this.#at) this.#level = Math.min(this.#o.burstBytes, this.#level + ((now - this.#at) * this.#o.bytesPerSec) / 1000);
    this.#at = now;
  }
}
