// What the ingest log remembers of each segment on disk, oldest first, without reading it: the
// segment metas trimming and the flight recorder decide by. Held as columns of one Float64Array,
// not as objects: at 200 group commits a second and 5 minutes of flight recorder there are 60,000
// of them, ~140 bytes each as objects (their times are boxed numbers), 48 bytes each here.

import type { SegmentMeta } from './log-segment.js';

/** Numbers per segment: firstSeq, count, minTs, maxTs, minReceivedAt, maxReceivedAt. */
const STRIDE = 6;

export class SegmentIndex {
  #cols = new Float64Array(STRIDE * 256);
  /** Index of the oldest segment's slot (segments before it were dropped). */
  #head = 0;
  #length = 0;

  /** Segments held. */
  get length(): number {
    return this.#length;
  }

  /** The `i`th oldest segment (0: the oldest), or undefined past the end; negative counts from the newest. */
  at(i: number): SegmentMeta | undefined {
    const k = i < 0 ? this.#length + i : i;
    if (!(k >= 0 && k < this.#length)) return undefined;
    const c = this.#cols;
    const o = (this.#head + k) * STRIDE;
    return { firstSeq: c[o]!, count: c[o + 1]!, minTs: c[o + 2]!, maxTs: c[o + 3]!, minReceivedAt: c[o + 4]!, maxReceivedAt: c[o + 5]! };
  }

  /** Add the newest segment. */
  push(m: SegmentMeta): void {
    if ((this.#head + this.#length + 1) * STRIDE > this.#cols.length) this.#makeRoom();
    const o = (this.#head + this.#length) * STRIDE;
    const c = this.#cols;
    c[o] = m.firstSeq;
    c[o + 1] = m.count;
    c[o + 2] = m.minTs;
    c[o + 3] = m.maxTs;
    c[o + 4] = m.minReceivedAt;
    c[o + 5] = m.maxReceivedAt;
    this.#length++;
  }

  /** Forget the `n` oldest segments. */
  dropOldest(n: number): void {
    const k = Math.min(Math.max(0, n), this.#length);
    this.#head += k;
    this.#length -= k;
    if (this.#length === 0) this.#head = 0;
  }

  /** The segments whose event-time range meets [from, to], oldest first. */
  overlapping(from: number, to: number): SegmentMeta[] {
    const out: SegmentMeta[] = [];
    const c = this.#cols;
    for (let i = 0; i < this.#length; i++) {
      const o = (this.#head + i) * STRIDE;
      if (c[o + 3]! >= from && c[o + 2]! <= to) out.push(this.at(i)!);
    }
    return out;
  }

  /** Move the held segments to the front, growing (or shrinking) the columns to twice what they hold. */
  #makeRoom(): void {
    const used = this.#length * STRIDE;
    const size = Math.max(STRIDE * 256, 2 * (used + STRIDE));
    const cols = size === this.#cols.length ? this.#cols : new Float64Array(size);
    cols.set(this.#cols.subarray(this.#head * STRIDE, this.#head * STRIDE + used));
    this.#cols = cols;
    this.#head = 0;
  }
}
