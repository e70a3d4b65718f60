// The quantile sketch a roll-up bucket keeps: a DDSketch (@datadog/sketches-js) of the means of
// the windows merged into the bucket, one value per window, so it answers "the p99 of 10-second
// means over this hour" — not quantiles of the raw readings, which a summary does not carry.
//
// Merging and (de)serialising are done here rather than with DDSketch.merge/toProto because
// sketches-js 2.1.1 merges only the positive store (negative values are lost: DataDog/sketches-js
// issue #22) and DenseStore.merge can skip extending its range when the other store's max key is 0
// (`secondKey || key`). Bins are moved one by one with DenseStore.add, which has neither problem.
// Counts are integers, so a merged sketch is exactly the sketch of all its windows, in any order.

import { DDSketch } from '@datadog/sketches-js';

type Store = DDSketch['store'];

export class MeanSketch {
  readonly #sketch: DDSketch;

  constructor(readonly relativeAccuracy: number) {
    this.#sketch = new DDSketch({ relativeAccuracy });
  }

  /** Windows counted. */
  get count(): number {
    return this.#sketch.count;
  }

  add(value: number, weight = 1): void {
    this.#sketch.accept(value, weight);
  }

  /** Add every window of `other` (same accuracy) into this sketch. */
  merge(other: MeanSketch): void {
    if (other.relativeAccuracy !== this.relativeAccuracy) throw new TypeError(`cannot merge sketches of accuracy ${other.relativeAccuracy} and ${this.relativeAccuracy}`);
    const src = other.#sketch;
    const dst = this.#sketch;
    forEachBin(src.store, (key, n) => dst.store.add(key, n));
    forEachBin(src.negativeStore, (key, n) => dst.negativeStore.add(key, n));
    dst.zeroCount += src.zeroCount;
    dst.count += src.count;
  }

  /** The value at quantile q (0..1) within the relative accuracy, or NaN for an empty sketch. */
  quantile(q: number): number {
    return this.#sketch.getValueAtQuantile(q);
  }

  /**
   * Canonical numbers for storage and comparison: [zeroCount, ...positive bins, ...negative bins],
   * each store as [firstKey, n, count × n] over its non-empty key range. Equal sketches encode equal.
   */
  encode(): number[] {
    const out = [this.#sketch.zeroCount];
    encodeStore(this.#sketch.store, out);
    encodeStore(this.#sketch.negativeStore, out);
    return out;
  }

  /** Rebuild a sketch from `encode()` output starting at `at`; returns it and the position after it. */
  static decode(relativeAccuracy: number, data: ArrayLike<number>, at = 0): { sketch: MeanSketch; next: number } {
    const s = new MeanSketch(relativeAccuracy);
    const d = s.#sketch;
    d.zeroCount = data[at++]!;
    at = decodeStore(d.store, data, at);
    at = decodeStore(d.negativeStore, data, at);
    d.count = d.zeroCount + d.store.count + d.negativeStore.count;
    return { sketch: s, next: at };
  }
}

function forEachBin(store: Store, fn: (key: number, count: number) => void): void {
  const bins = store.bins;
  for (let i = 0; i < bins.length; i++) {
    const n = bins[i]!;
    if (n !== 0) fn(i + store.offset, n);
  }
}

function encodeStore(store: Store, out: number[]): void {
  const bins = store.bins;
  let lo = 0;
  let hi = bins.length - 1;
  while (lo <= hi && bins[lo] === 0) lo++;
  while (hi >= lo && bins[hi] === 0) hi--;
  if (lo > hi) {
    out.push(0, 0);
    return;
  }
  out.push(lo + store.offset, hi - lo + 1);
  for (let i = lo; i <= hi; i++) out.push(bins[i]!);
}

function decodeStore(store: Store, data: ArrayLike<number>, at: number): number {
  const first = data[at]!;
  const n = data[at + 1]!;
  at += 2;
  for (let i = 0; i < n; i++) {
    const count = data[at + i]!;
    if (count !== 0) store.add(first + i, count);
  }
  return at + n;
}
