// Segment values of the ingest log: the walker gives back exactly the records encodeSegment wrote,
// lets a record's first bytes be peeked in place, and refuses truncated or overlong values.

import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../edge/store/bytes.js';
import { encodeSegment, SegmentWalker } from '../../edge/store/log-segment.js';
import { prng } from '../helpers/prng.js';

/** Every record the walker finds, copied out, with the index it gave each. */
function walk(value: Uint8Array): Array<{ index: number; bytes: number[] }> {
  const out: Array<{ index: number; bytes: number[] }> = [];
  const w = new SegmentWalker(value);
  while (w.next()) out.push({ index: w.index, bytes: [...w.record()] });
  return out;
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('SegmentWalker', () => {
  const random = prng(7);
  const sized = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

  it.each([
    { name: 'no records', records: [] as Uint8Array[] },
    { name: 'one empty record', records: [bytes()] },
    { name: 'small records', records: [bytes(1), bytes(2, 3), bytes(4, 5, 6)] },
    // Lengths of 128 and more take a two-byte varint; 200 records a two-byte count.
    { name: 'records around the varint boundary', records: [127, 128, 129, 300, 16_384].map(sized) },
    { name: 'many records', records: Array.from({ length: 200 }, (_, i) => sized(i % 60)) },
  ])('gives back what encodeSegment wrote: $name', ({ records }) => {
    expect(walk(encodeSegment(records))).toEqual(records.map((r, index) => ({ index, bytes: [...r] })));
  });

  it('gives each record\'s place in the value, and a reader positioned at its first byte', () => {
    const value = encodeSegment([bytes(0x11, 0x05, 9), bytes(0x11, 0x81, 0x01, 9, 9)]);
    const w = new SegmentWalker(value);
    const seen: Array<[number, number, number, number]> = [];
    while (w.next()) {
      const r = w.reader;
      const flags = r.uvarint();
      seen.push([w.start, w.end, flags, r.uvarint()]);
    }
    // count 1 byte; record 0: length at 1, bytes 2..5; record 1: length at 5, bytes 6..11.
    expect(seen).toEqual([[2, 5, 0x11, 5], [6, 11, 0x11, 129]]);
  });

  it('steps to the next record however much of the current one was peeked', () => {
    const value = encodeSegment([bytes(1, 2, 3, 4), bytes(5, 6)]);
    const w = new SegmentWalker(value);
    expect(w.next()).toBe(true);
    w.reader.uvarint(); // one byte of four
    expect(w.next()).toBe(true);
    expect([...w.record()]).toEqual([5, 6]);
    expect(w.next()).toBe(false);
    expect(w.next()).toBe(false);
  });

  const withExtra = (): Uint8Array => {
    const good = encodeSegment([bytes(1, 2), bytes(3)]);
    return Uint8Array.from([...good, 0]);
  };
  const overlongCount = (): Uint8Array => {
    const w = new ByteWriter();
    w.uvarint(3);
    w.uvarint(1);
    w.bytes(bytes(7));
    return w.finish();
  };
  it.each([
    { name: 'an empty value (no count)', value: () => bytes(), detail: 'record ends early' },
    { name: 'a value cut inside a record', value: () => encodeSegment([bytes(1, 2, 3)]).subarray(0, 4), detail: 'ends inside a record' },
    { name: 'a value cut inside a record length', value: () => encodeSegment([sized(300)]).subarray(0, 2), detail: 'record ends early' },
    { name: 'a count above the records held', value: overlongCount, detail: 'record ends early' },
    { name: 'bytes after the last record', value: withExtra, detail: 'bytes after the last record' },
  ])('refuses $name with ERR_STORE_CORRUPT', ({ value, detail }) => {
    let error: unknown;
    try {
      walk(value());
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'ERR_STORE_CORRUPT', retryable: false });
    expect((error as Error).message).toContain(detail);
  });
});
