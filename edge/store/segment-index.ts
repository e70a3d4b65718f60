// What the ingest log remembers of each segment on disk, oldest first, without reading it: the
// segment metas trimming and the flight recorder decide by. Held as columns of one Float64Array,
// not as objects: at 200 group commits a second and 5 minutes of flight recorder there are 60,000
// of them, ~140 bytes each as objects (their times are boxed numbers), 64 bytes each here.
//
// Each segment also has a device filter: a 256-bit Bloom filter of the device refs in it (8 Uint32
// words in a parallel column), so the flight recorder reads only the segments that may hold one
// of its devices. A commit every ~5 ms carries ~25–50 readings of that many distinct devices out
// of a fleet of ~1,000, so one device is in about one segment of 40; without the filter every
// segment in the time range is read. With k = 2 bits per ref the false-positive rate is
// (1 − e^(−2n/256))² ≈ 3.2 % at n = 25 devices per segment and ≈ 10 % at n = 50: a query reads
// its own segments plus a few percent of the rest. 512 bits would halve those rates at twice the
// memory; more bits per ref (k = 3) helps at 25 but not at 50. The filter adds 32 bytes per
// segment: 60,000 segments (10,000 readings/s, 5 min) take 1.9 MB on top of the 3.8 MB of metas.
// Segments loaded from the LevelDB metas have no filter (the meta holds none): they match every
// device. The recorder's segment files (cold-segments.ts) keep each segment's filter, and where in
// its file the segment lies (two more columns: offset and length).

import type { SegmentMeta } from './log-segment.js';

/** Numbers per segment: firstSeq, count, minTs, maxTs, minReceivedAt, maxReceivedAt, offset, length. */
const STRIDE = 8;
/** Uint32 words of device filter per segment (256 bits). */
export const FILTER_WORDS = 8;
const INITIAL = 256;

/**
 * A device ref's hash (0: the name is inline); its two filter bits are bits 0–7 and 8–15 of it.
 * murmur3's finalizer: neighbouring refs (handed out in order) land on unrelated bits.
 */
function hash(ref: number): number {
  let h = (ref + 0x9e3779b9) | 0; // an offset, so ref 0 (which the finalizer maps to 0) gets two bits too
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** A ref's two filter bits as [word, mask, word, mask]. */
function bits(ref: number): [number, number, number, number] {
  const h = hash(ref);
  return [(h >>> 5) & 7, 1 << (h & 31), (h >>> 13) & 7, 1 << ((h >>> 8) & 31)];
}

/** Set `ref`'s two bits in the filter `f` (FILTER_WORDS words). */
function addRef(f: Uint32Array, ref: number): void {
  const [w1, m1, w2, m2] = bits(ref);
  f[w1]! |= m1;
  f[w2]! |= m2;
}

/** A device filter of `refs`, for `SegmentIndex.push`. */
export function deviceFilter(refs: Iterable<number>): Uint32Array {
  const f = new Uint32Array(FILTER_WORDS);
  for (const ref of refs) addRef(f, ref);
  return f;
}

export class SegmentIndex {
  #cols = new Float64Array(STRIDE * INITIAL);
  #filters = new Uint32Array(FILTER_WORDS * INITIAL);
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

  /** Where the `i`th oldest segment lies in its file (what `push` was given; 0, 0 without). */
  location(i: number): { offset: number; length: number } {
    const k = i < 0 ? this.#length + i : i;
    if (!(k >= 0 && k < this.#length)) throw new RangeError(`no segment at ${i} of ${this.#length}`);
    const o = (this.#head + k) * STRIDE;
    return { offset: this.#cols[o + 6]!, length: this.#cols[o + 7]! };
  }

  /**
   * Add the newest segment, with the filter of its device refs (`deviceFilter`; without one it
   * matches every device) and where it lies in its file.
   */
  push(m: SegmentMeta, filter?: Uint32Array, at?: { readonly offset: number; readonly length: number }): void {
    if (filter !== undefined && filter.length !== FILTER_WORDS) throw new TypeError(`a device filter has ${FILTER_WORDS} words, got ${filter.length}`);
    if ((this.#head + this.#length + 1) * STRIDE > this.#cols.length) this.#makeRoom();
    const slot = this.#head + this.#length;
    const o = slot * STRIDE;
    const c = this.#cols;
    c[o] = m.firstSeq;
    c[o + 1] = m.count;
    c[o + 2] = m.minTs;
    c[o + 3] = m.maxTs;
    c[o + 4] = m.minReceivedAt;
    c[o + 5] = m.maxReceivedAt;
    c[o + 6] = at?.offset ?? 0;
    c[o + 7] = at?.length ?? 0;
    if (filter !== undefined) this.#filters.set(filter, slot * FILTER_WORDS);
    else this.#filters.fill(0xffffffff, slot * FILTER_WORDS, (slot + 1) * FILTER_WORDS);
    this.#length++;
  }

  /** The device filter of the `i`th oldest segment (a copy). */
  filter(i: number): Uint32Array {
    const k = i < 0 ? this.#length + i : i;
    if (!(k >= 0 && k < this.#length)) throw new RangeError(`no segment at ${i} of ${this.#length}`);
    const w = (this.#head + k) * FILTER_WORDS;
    return this.#filters.slice(w, w + FILTER_WORDS);
  }

  /** Forget the `n` oldest segments. */
  dropOldest(n: number): void {
    const k = Math.min(Math.max(0, n), this.#length);
    this.#head += k;
    this.#length -= k;
    if (this.#length === 0) this.#head = 0;
  }

  /**
   * The first seqs of the segments whose event-time range meets [from, to], oldest first; given
   * `devices` (device refs), only those that may hold at least one of them (a filter may say yes
   * wrongly, never no). Numbers, not metas: a flight-recorder search holds tens of thousands of
   * them across its reads.
   */
  overlapping(from: number, to: number, devices?: readonly number[]): number[] {
    const c = this.#cols;
    return this.positions(from, to, devices).map((i) => c[(this.#head + i) * STRIDE]!);
  }

  /** `overlapping`, as positions (0: the oldest segment held) for `at` and `location`. */
  positions(from: number, to: number, devices?: readonly number[]): number[] {
    const out: number[] = [];
    const c = this.#cols;
    const f = this.#filters;
    // Per device: word and mask of each of its two bits; and the union of all of them, which
    // rejects a segment holding none of the devices in 8 ANDs however many devices are asked for.
    const probes: number[] = [];
    const union = new Uint32Array(FILTER_WORDS);
    for (const ref of devices ?? []) {
      probes.push(...bits(ref));
      addRef(union, ref);
    }
    for (let i = 0; i < this.#length; i++) {
      const slot = this.#head + i;
      const o = slot * STRIDE;
      if (!(c[o + 3]! >= from && c[o + 2]! <= to)) continue;
      if (devices !== undefined && !this.#mayHold(f, slot * FILTER_WORDS, union, probes)) continue;
      out.push(i);
    }
    return out;
  }

  #mayHold(f: Uint32Array, w: number, union: Uint32Array, probes: readonly number[]): boolean {
    let any = 0;
    for (let j = 0; j < FILTER_WORDS; j++) any |= f[w + j]! & union[j]!;
    if (any === 0) return false;
    for (let p = 0; p < probes.length; p += 4) {
      if ((f[w + probes[p]!]! & probes[p + 1]!) !== 0 && (f[w + probes[p + 2]!]! & probes[p + 3]!) !== 0) return true;
    }
    return false;
  }

  /** Move the held segments to the front, growing (or shrinking) the columns to twice what they hold. */
  #makeRoom(): void {
    const slots = Math.max(INITIAL, 2 * (this.#length + 1));
    const from = this.#head;
    const to = this.#head + this.#length;
    const same = slots * STRIDE === this.#cols.length;
    const cols = same ? this.#cols : new Float64Array(slots * STRIDE);
    const filters = same ? this.#filters : new Uint32Array(slots * FILTER_WORDS);
    // set() copies an overlapping subarray of the same buffer as if through a copy.
    cols.set(this.#cols.subarray(from * STRIDE, to * STRIDE));
    filters.set(this.#filters.subarray(from * FILTER_WORDS, to * FILTER_WORDS));
    this.#cols = cols;
    this.#filters = filters;
    this.#head = 0;
  }
}
