import { describe, expect, it } from 'vitest';
import type { SegmentMeta } from '../../edge/store/log-segment.js';
import { deviceFilter, SegmentIndex } from '../../edge/store/segment-index.js';
import { prng } from '../helpers/prng.js';

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
    expect(index.overlapping(T + 2500, T + 4000)).toEqual([20, 30, 40]);
    expect(index.overlapping(T, T + 1500)).toEqual([]);
    expect(index.overlapping(T + 9999, T + 20_000)).toEqual([90]);
    expect(index.overlapping(T + 5000, T + 4000)).toEqual([]);
  });

  describe('device filters', () => {
    const FLEET = 1000;
    /** `n` distinct device refs of a fleet of FLEET, ref 0 (inline names) among them sometimes. */
    function devices(random: () => number, n: number): number[] {
      const set = new Set<number>();
      while (set.size < n) set.add(Math.floor(random() * (FLEET + 1)));
      return [...set];
    }

    it.each([25, 50])('keeps every segment holding a queried device, and drops most others (%i devices per segment)', (perSegment) => {
      const random = prng(perSegment);
      const index = new SegmentIndex();
      const held: number[][] = [];
      for (let i = 0; i < 2000; i++) {
        const refs = devices(random, perSegment);
        held.push(refs);
        index.push(meta(i), deviceFilter(refs));
      }
      let falsePositives = 0;
      let absent = 0;
      for (let ref = 0; ref <= FLEET; ref += 7) {
        const kept = new Set(index.overlapping(-Infinity, Infinity, [ref]).map((s) => s / 10));
        held.forEach((refs, i) => {
          if (refs.includes(ref)) expect(kept.has(i), `segment ${i} holds device ${ref}`).toBe(true);
          else {
            absent++;
            if (kept.has(i)) falsePositives++;
          }
        });
      }
      // A 256-bit filter with two bits per ref: ≈ 3 % false positives at 25 devices, ≈ 10 % at 50.
      expect(falsePositives / absent).toBeLessThan(perSegment === 25 ? 0.05 : 0.14);
    });

    it('keeps a segment holding any one of several queried devices, and drops one holding none', () => {
      const index = new SegmentIndex();
      index.push(meta(0), deviceFilter([1, 2, 3]));
      index.push(meta(1), deviceFilter([400, 500]));
      index.push(meta(2), deviceFilter([]));
      expect(index.overlapping(-Infinity, Infinity, [3, 900])).toEqual([0]);
      expect(index.overlapping(-Infinity, Infinity, [2, 500])).toEqual([0, 10]);
      expect(index.overlapping(-Infinity, Infinity, [])).toEqual([]);
      expect(index.overlapping(-Infinity, Infinity)).toEqual([0, 10, 20]); // no devices given: by time only
      // Time still applies: only segment 1 meets [T + 1500, T + 1600].
      expect(index.overlapping(T + 1500, T + 1600, [3, 500])).toEqual([10]);
    });

    it('lets a segment pushed without a filter (loaded from disk) match every device', () => {
      const index = new SegmentIndex();
      index.push(meta(0));
      index.push(meta(1), deviceFilter([7]));
      for (const ref of [0, 1, 7, 999, 123_456]) {
        expect(index.overlapping(-Infinity, Infinity, [ref])).toEqual(ref === 7 ? [0, 10] : [0]);
      }
    });

    it('refuses a filter of the wrong size', () => {
      expect(() => new SegmentIndex().push(meta(0), new Uint32Array(4))).toThrow(TypeError);
    });

    it.each([
      { name: 'growing', pushes: 1500, drops: [] as number[] },
      // 201 pushed, 150 dropped: the 256 first slots fill up holding 106, which are moved to the front in place.
      { name: 'compacting in place', pushes: 400, drops: [150] },
      { name: 'dropping while growing and shrinking', pushes: 3000, drops: [250, 1, 250, 250, 250, 250, 250, 250] },
      { name: 'dropping more than it holds', pushes: 300, drops: [400] },
    ])('keeps each filter with its segment while $name', ({ pushes, drops }) => {
      const index = new SegmentIndex();
      // Segment i holds only device i + 1 (and every 5th none: pushed without a filter, it matches all).
      const expected: number[] = [];
      const dropAt = new Map(drops.map((n, k) => [Math.floor(((k + 1) * pushes) / (drops.length + 1)), n]));
      for (let i = 0; i < pushes; i++) {
        if (i % 5 === 0) index.push(meta(i));
        else index.push(meta(i), deviceFilter([i + 1]));
        expected.push(i);
        const n = dropAt.get(i);
        if (n !== undefined) {
          index.dropOldest(n);
          expected.splice(0, n);
        }
      }
      for (const i of expected.filter((_, k) => k % 37 === 0)) {
        const kept = index.overlapping(-Infinity, Infinity, [i + 1]).map((s) => s / 10);
        expect(kept).toContain(i);
        // Filterless segments (every 5th) always; others only by a rare false positive.
        const unfiltered = expected.filter((j) => j % 5 === 0);
        expect(kept.filter((j) => j !== i && j % 5 !== 0).length).toBeLessThan(expected.length / 50);
        expect(kept.filter((j) => j % 5 === 0)).toEqual(unfiltered);
      }
    });
  });
});
