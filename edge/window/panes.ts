// One key's panes, sorted by start, as the numbers of their partials in one Float64Array: 13 a pane,
// in the order of Partials' fields (count, sum, sumSq, min, max, first, firstTs, last, lastTs, tRef,
// sumT, sumTT, sumTV; tRef is the pane's start).
//
// As objects, panes were the largest thing in the gateway's heap: V8 gives each number field of an
// object a heap number of its own, so a pane cost ~320 B and 13 objects, and 1,000 devices' ~21,000
// panes held 7.6 MB and 280,000 objects that every full GC marked (heap snapshots, 5 minutes at
// 10,000 readings/s). Here a pane is 104 B, in a buffer the GC does not walk.
//
// The arithmetic is partials.ts's addValue and mergeInto on these slots; panes.test.ts checks that
// both give the same numbers.

import { emptyPartials } from '../features/partials.js';
import type { Partials } from '../features/summary.js';

/** Numbers a pane. */
export const STRIDE = 13;
const COUNT = 0;
const SUM = 1;
const SUM_SQ = 2;
const MIN = 3;
const MAX = 4;
const FIRST = 5;
const FIRST_TS = 6;
const LAST = 7;
const LAST_TS = 8;
const T_REF = 9;
const SUM_T = 10;
const SUM_TT = 11;
const SUM_TV = 12;

const NONE = new Float64Array(0);

export class Panes {
  readonly #capacity: number;
  #a = NONE;
  #n = 0;
  /** The pane of the previous value (consecutive values nearly always share it), −1 for none. */
  cur = -1;

  /** @param capacity panes made room for when the first is made; more double the room. */
  constructor(capacity = 4) {
    this.#capacity = Math.max(1, capacity);
  }

  get length(): number {
    return this.#n;
  }

  /** The start of pane `i` (ms since the epoch). */
  start(i: number): number {
    return this.#a[i * STRIDE + T_REF]!;
  }

  /** The index of the pane starting at `start`, made empty in its sorted place when there is none. */
  at(start: number): number {
    let i = this.#n - 1;
    while (i >= 0 && this.start(i) > start) i--;
    if (i >= 0 && this.start(i) === start) return i;
    this.#insert(i + 1, emptyPartials(start));
    return i + 1;
  }

  /** Add one value observed at `ts` to pane `i` (partials.ts addValue). */
  add(i: number, ts: number, v: number): void {
    const a = this.#a;
    const o = i * STRIDE;
    const t = (ts - a[o + T_REF]!) / 1000;
    a[o + COUNT]!++;
    a[o + SUM]! += v;
    a[o + SUM_SQ]! += v * v;
    if (v < a[o + MIN]!) a[o + MIN] = v;
    if (v > a[o + MAX]!) a[o + MAX] = v;
    if (ts < a[o + FIRST_TS]!) {
      a[o + FIRST_TS] = ts;
      a[o + FIRST] = v;
    }
    if (ts >= a[o + LAST_TS]!) {
      a[o + LAST_TS] = ts;
      a[o + LAST] = v;
    }
    a[o + SUM_T]! += t;
    a[o + SUM_TT]! += t * t;
    a[o + SUM_TV]! += t * v;
  }

  /** Add pane `i` into `target` in place, as arriving after what it holds (partials.ts mergeInto). */
  mergeInto(target: Partials, i: number): void {
    const a = this.#a;
    const o = i * STRIDE;
    const n = a[o + COUNT]!;
    if (n === 0) return;
    const d = (a[o + T_REF]! - target.tRef) / 1000;
    const sum = a[o + SUM]!;
    const sumT = a[o + SUM_T]!;
    target.count += n;
    target.sum += sum;
    target.sumSq += a[o + SUM_SQ]!;
    if (a[o + MIN]! < target.min) target.min = a[o + MIN]!;
    if (a[o + MAX]! > target.max) target.max = a[o + MAX]!;
    if (a[o + FIRST_TS]! < target.firstTs) {
      target.firstTs = a[o + FIRST_TS]!;
      target.first = a[o + FIRST]!;
    }
    if (a[o + LAST_TS]! >= target.lastTs) {
      target.lastTs = a[o + LAST_TS]!;
      target.last = a[o + LAST]!;
    }
    target.sumTT += a[o + SUM_TT]! + 2 * d * sumT + n * d * d;
    target.sumTV += a[o + SUM_TV]! + d * sum;
    target.sumT += sumT + n * d;
  }

  /** A copy of pane `i` as partials. */
  partials(i: number): Partials {
    const a = this.#a;
    const o = i * STRIDE;
    return {
      count: a[o + COUNT]!, sum: a[o + SUM]!, sumSq: a[o + SUM_SQ]!, min: a[o + MIN]!, max: a[o + MAX]!, first: a[o + FIRST]!, firstTs: a[o + FIRST_TS]!,
      last: a[o + LAST]!, lastTs: a[o + LAST_TS]!, tRef: a[o + T_REF]!, sumT: a[o + SUM_T]!, sumTT: a[o + SUM_TT]!, sumTV: a[o + SUM_TV]!,
    };
  }

  /** A copy of every pane's numbers, 13 a pane in the order above (a checkpoint's, see snapshot.ts PanesCopy). */
  copy(): Float64Array {
    return this.#a.slice(0, this.#n * STRIDE);
  }

  /** Append a pane starting after every pane held (a checkpoint's panes, restored in order). */
  push(p: Partials): void {
    if (this.#n > 0 && !(p.tRef > this.start(this.#n - 1))) throw new RangeError(`pane at ${p.tRef} does not start after the last one (${this.start(this.#n - 1)})`);
    this.#insert(this.#n, p);
  }

  /** Drop the first `n` panes. */
  dropFirst(n: number): void {
    if (n <= 0) return;
    n = Math.min(n, this.#n);
    this.#a.copyWithin(0, n * STRIDE, this.#n * STRIDE);
    this.#n -= n;
    this.cur = this.cur >= n ? this.cur - n : -1;
  }

  /** `p` as pane `i`, the panes from `i` on moved up one. */
  #insert(i: number, p: Partials): void {
    if ((this.#n + 1) * STRIDE > this.#a.length) {
      const grown = new Float64Array(Math.max(this.#capacity, this.#n * 2) * STRIDE);
      grown.set(this.#a.subarray(0, this.#n * STRIDE));
      this.#a = grown;
    }
    if (i < this.#n) this.#a.copyWithin((i + 1) * STRIDE, i * STRIDE, this.#n * STRIDE);
    // In the order of the slots above (a pane is made ~once per key per pane length: the array is nothing).
    this.#a.set([p.count, p.sum, p.sumSq, p.min, p.max, p.first, p.firstTs, p.last, p.lastTs, p.tRef, p.sumT, p.sumTT, p.sumTV], i * STRIDE);
    this.#n++;
    if (this.cur >= i) this.cur++;
  }
}
