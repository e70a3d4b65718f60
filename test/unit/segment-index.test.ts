import { describe, expect, it } from 'vitest';
import type { SegmentMeta } from '../../edge/store/log-segment.js';
import { SegmentIndex } from '../../edge/store/segment-index.js';

const T = 1_764_547_200_000; // epoch ms: beyond a small integer, as real times are

/** Segment i: 10 records from seq 10·i, event times [T + 1000·i, T + 1000·i + 999], arrivals 5 ms later. */
const meta = (i: number): SegmentMeta => ({ firstSeq: 10 * i, count: 10, minTs: T + 1000 * i, maxTs: T + 1000 * i + 999, minReceivedAt: T + 1000 * i + 5, maxReceivedAt: T + 1000 * i + 1004.5 });

describe('SegmentIndex', () => {
  it('gives back what was pushed, oldest first, by index from either end', () => {
    const index = new SegmentIndex();
    expect(index.length).toBe(0);
    expect(index.at(0)).toBeUndefined();
    expect(index.at(-1)).toBeUndefined();
    for (let i = 0; i < 3; i++) index.push(meta(i));
    expect(index.length).toBe(3);
    expect([0, 1, 2].map((i) => index.at(i))).toEqual([meta(0), meta(1), meta(2)]);
    expect(index.at(-1)).toEqual(meta(2));
    expect(index.at(3)).toBeUndefined();
    expect(index.at(-4)).toBeUndefined();
  });

  it.each([
    { name: 'grows past its first columns', pushes: 1000, drops: [] as number[] },
    { name: 'drops the oldest while growing', pushes: 5000, drops: [100, 1, 2000] },
    { name: 'drops more than it holds', pushes: 300, drops: [400] },
    { name: 'keeps its order across many drops and compactions', pushes: 3000, drops: [250, 250, 250, 250, 250, 250, 250, 250] },
  ])('$name', ({ pushes, drops }) => {
    const index = new SegmentIndex();
    const expected: SegmentMeta[] = [];
    const dropAt = new Map(drops.map((n, k) => [Math.floor(((k + 1) * pushes) / (drops.length + 1)), n]));
    for (let i = 0; i < pushes; i++) {
      index.push(meta(i));
      expected.push(meta(i));
      const n = dropAt.get(i);
      if (n !== undefined) {
        index.dropOldest(n);
        expected.splice(0, n);
      }
    }
    expect(index.length).toBe(expected.length);
    expect(Array.from({ length: index.length }, (_, i) => index.at(i))).toEqual(expected);
  });

  it('finds the segments whose event-time range meets a range, oldest first', () => {
    const index = new SegmentIndex();
    for (let i = 0; i < 10; i++) index.push(meta(i));
    index.dropOldest(2);
    expect(index.overlapping(T + 2500, T + 4000).map((m) => m.firstSeq)).toEqual([20, 30, 40]);
    expect(index.overlapping(T, T + 1500).map((m) => m.firstSeq)).toEqual([]);
    expect(index.overlapping(T + 9999, T + 20_000).map((m) => m.firstSeq)).toEqual([90]);
    expect(index.overlapping(T + 5000, T + 4000)).toEqual([]);
  });
});
