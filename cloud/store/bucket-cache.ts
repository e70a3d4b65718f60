// Decoded roll-up buckets kept in memory between batches, so a hot bucket (this hour of a busy
// device) is neither read nor decoded again for every batch. Holds committed state only: a batch
// that fails to commit must `forget` every bucket it touched. Bounded; the least recently written
// or loaded bucket goes first.

import type { RollupBucket } from '../rollup/bucket.js';
import type { BucketRef } from '../rollup/series.js';

export class BucketCache {
  readonly #map = new Map<string, RollupBucket>();
  hits = 0;
  misses = 0;

  constructor(readonly maxBuckets: number) {}

  get size(): number {
    return this.#map.size;
  }

  get(key: string): RollupBucket | undefined {
    const b = this.#map.get(key);
    if (b) this.hits++;
    else this.misses++;
    return b;
  }

  set(key: string, bucket: RollupBucket): void {
    if (this.maxBuckets === 0) return;
    // Re-inserting moves the key to the young end of the Map's insertion order.
    this.#map.delete(key);
    this.#map.set(key, bucket);
    if (this.#map.size > this.maxBuckets) {
      for (const old of this.#map.keys()) {
        this.#map.delete(old);
        if (this.#map.size <= this.maxBuckets) break;
      }
    }
  }

  /** Put the cached buckets among `refs` into `found`, note every key in `touched`, and return the refs still to read. */
  split(refs: readonly BucketRef[], found: Map<string, RollupBucket>, touched: Set<string>): BucketRef[] {
    const missing: BucketRef[] = [];
    for (const ref of refs) {
      touched.add(ref.key);
      const hit = this.get(ref.key);
      if (hit) found.set(ref.key, hit);
      else missing.push(ref);
    }
    return missing;
  }

  forget(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
