// The slice lane: items handed on in order, a slice per turn of the event loop, drained() waits
// for what was pushed, and a sink that throws does not wedge the lane.

import { describe, expect, it } from 'vitest';
import { SliceLane } from '../../edge/analysis/slice-lane.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const fail = (err: unknown) => {
  throw err;
};

describe('SliceLane', () => {
  it('hands items on in order, one slice per turn', async () => {
    const slices: number[][] = [];
    const lane = new SliceLane<number>(3, (items) => slices.push(items), fail);
    lane.push([1, 2, 3, 4]);
    lane.push([5, 6, 7]);
    expect(lane.size).toBe(7);
    expect(slices).toEqual([]); // nothing in the turn that pushed
    await turn();
    expect(slices).toEqual([[1, 2, 3]]);
    await turn();
    expect(slices).toEqual([[1, 2, 3], [4, 5, 6]]);
    await lane.drained();
    expect(slices).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(lane.size).toBe(0);
  });

  it('drained() resolves at once when empty, and after items pushed while draining', async () => {
    const seen: number[] = [];
    const lane = new SliceLane<number>(1, (items) => seen.push(...items), fail);
    await lane.drained();
    lane.push([1, 2]);
    const first = lane.drained();
    lane.push([3]);
    await first;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('moves past a slice whose sink throws, and says so', async () => {
    const seen: number[] = [];
    const errors: unknown[] = [];
    const lane = new SliceLane<number>(
      1,
      (items) => {
        if (items[0] === 2) throw new Error('sink bug');
        seen.push(...items);
      },
      (err) => errors.push(err),
    );
    lane.push([1, 2, 3]);
    await lane.drained();
    expect(seen).toEqual([1, 3]);
    expect(errors).toEqual([new Error('sink bug')]);
  });

  it('refuses a slice that is not a positive integer', () => {
    expect(() => new SliceLane<number>(0, () => {}, fail)).toThrow(TypeError);
  });
});
