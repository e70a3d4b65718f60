// A roll-up bucket: the merged partials of every window summary that falls in one series'
// [start, start + resolution), how many windows that was, and the sketch of their means.
// Encoded as little-endian float64s, the same bytes in LevelDB and PostgreSQL.

import { emptyPartials, mergeInto } from '../../edge/features/partials.js';
import type { Partials } from '../../edge/features/summary.js';
import { MeanSketch } from './sketch.js';

const FORMAT = 1;

/** The partials' fields in their stored order. */
export const PARTIAL_FIELDS = ['count', 'sum', 'sumSq', 'min', 'max', 'first', 'firstTs', 'last', 'lastTs', 'tRef', 'sumT', 'sumTT', 'sumTV'] as const satisfies ReadonlyArray<keyof Partials>;

export class RollupBucket {
  /** Window summaries merged in. */
  windows = 0;

  constructor(
    /** Bucket start, ms since the epoch; the partials' time sums are relative to it. */
    readonly start: number,
    readonly partials: Partials,
    readonly sketch: MeanSketch,
  ) {}

  static empty(start: number, relativeAccuracy: number): RollupBucket {
    return new RollupBucket(start, emptyPartials(start), new MeanSketch(relativeAccuracy));
  }

  /** Merge one window summary's partials. */
  addWindow(p: Partials): void {
    if (p.count === 0) return;
    mergeOrderFree(this.partials, p);
    this.sketch.add(p.sum / p.count);
    this.windows++;
  }

  /** Merge another bucket (a finer one, or a child series'). */
  addBucket(b: RollupBucket): void {
    if (b.windows === 0) return;
    mergeOrderFree(this.partials, b.partials);
    this.sketch.merge(b.sketch);
    this.windows += b.windows;
  }

  encode(): Buffer {
    const sketch = this.sketch.encode();
    const buf = Buffer.allocUnsafe((2 + PARTIAL_FIELDS.length + sketch.length) * 8);
    let at = 0;
    const put = (v: number) => {
      buf.writeDoubleLE(v, at);
      at += 8;
    };
    put(FORMAT);
    put(this.windows);
    for (const f of PARTIAL_FIELDS) put(this.partials[f]);
    for (const v of sketch) put(v);
    return buf;
  }

  static decode(start: number, relativeAccuracy: number, buf: Uint8Array): RollupBucket {
    const values = readDoubles(buf);
    if (values[0] !== FORMAT) throw new TypeError(`roll-up bucket format ${values[0]} is not ${FORMAT}`);
    const partials = partialsAt(values, 2);
    const { sketch } = MeanSketch.decode(relativeAccuracy, values, 2 + PARTIAL_FIELDS.length);
    const b = new RollupBucket(start, partials, sketch);
    b.windows = values[1]!;
    return b;
  }
}

/**
 * `mergeInto`, but with ties broken by value rather than by arrival order, so a bucket comes out
 * the same whatever order its windows were merged in: of two firsts at the same instant the
 * smaller value wins, of two lasts the larger. (Only windows of different devices can tie.)
 */
export function mergeOrderFree(target: Partials, src: Partials): void {
  if (src.count === 0) return;
  const first = src.firstTs === target.firstTs ? Math.min(target.first, src.first) : undefined;
  const last = src.lastTs === target.lastTs ? Math.max(target.last, src.last) : undefined;
  mergeInto(target, src);
  if (first !== undefined) target.first = first;
  if (last !== undefined) target.last = last;
}

/** Partials as 13 little-endian float64s, in PARTIAL_FIELDS order. */
export function encodePartials(p: Partials): Buffer {
  const buf = Buffer.allocUnsafe(PARTIAL_FIELDS.length * 8);
  PARTIAL_FIELDS.forEach((f, i) => buf.writeDoubleLE(p[f], i * 8));
  return buf;
}

export function decodePartials(buf: Uint8Array): Partials {
  return partialsAt(readDoubles(buf), 0);
}

function partialsAt(values: Float64Array, at: number): Partials {
  const p = emptyPartials(0);
  PARTIAL_FIELDS.forEach((f, i) => (p[f] = values[at + i]!));
  return p;
}

function readDoubles(bytes: Uint8Array): Float64Array {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(buf.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = buf.readDoubleLE(i * 8);
  return out;
}
