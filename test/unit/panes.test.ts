// Panes (edge/window/panes.ts): a key's panes in one Float64Array give exactly the numbers that
// partials.ts gives with objects, stay sorted by start, and keep the current pane's index right as
// panes are made before it and dropped.

import { describe, expect, it } from 'vitest';
import { addValue, emptyPartials, mergeInto } from '../../edge/features/partials.js';
import type { Partials } from '../../edge/features/summary.js';
import { Panes } from '../../edge/window/panes.js';
import { prng } from './window-harness.js';

const T = Date.UTC(2024, 10, 24, 12, 0, 0);
const PANE_MS = 1000;

describe('panes', () => {
  it('adds and merges as addValue and mergeInto do, pane by pane, whatever order panes are made in', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = prng(seed);
      const panes = new Panes();
      const objects = new Map<number, Partials>();
      for (let n = 0; n < 400; n++) {
        // Values over 12 panes, out of order, with repeated timestamps and the odd extreme value.
        const ts = T + Math.floor(rand() * 12 * PANE_MS / 50) * 50;
        const v = rand() < 0.05 ? (rand() < 0.5 ? -1e9 : 1e9) : Math.round(rand() * 2000 - 1000) / 10;
        const start = ts - ((ts - T) % PANE_MS);
        panes.add(panes.at(start), ts, v);
        let p = objects.get(start);
        if (p === undefined) objects.set(start, (p = emptyPartials(start)));
        addValue(p, ts, v);
      }
      const starts = [...objects.keys()].sort((a, b) => a - b);
      expect(Array.from({ length: panes.length }, (_, i) => panes.start(i))).toEqual(starts);
      starts.forEach((start, i) => expect(panes.partials(i)).toStrictEqual(objects.get(start)));
      // Merging a run of panes into a window's partials.
      const from = Math.floor(rand() * 6);
      const windowStart = starts[from]! - 500;
      const merged = emptyPartials(windowStart);
      const expected = emptyPartials(windowStart);
      for (let i = from; i < from + 5 && i < starts.length; i++) {
        panes.mergeInto(merged, i);
        mergeInto(expected, objects.get(starts[i]!)!);
      }
      expect(merged).toStrictEqual(expected);
    }
  });

  it('keeps the current pane as panes are made before it and the first ones dropped', () => {
    const panes = new Panes();
    const at = (k: number) => panes.at(T + k * PANE_MS);
    for (const k of [5, 6, 7]) at(k);
    panes.cur = at(6);
    expect(panes.cur).toBe(1);
    at(2); // made before it: it moves up
    at(4);
    expect(panes.start(panes.cur)).toBe(T + 6 * PANE_MS);
    expect(at(6)).toBe(panes.cur); // found, not made again
    expect(panes.length).toBe(5);
    panes.dropFirst(2);
    expect(panes.start(panes.cur)).toBe(T + 6 * PANE_MS);
    expect(Array.from({ length: panes.length }, (_, i) => panes.start(i))).toEqual([5, 6, 7].map((k) => T + k * PANE_MS));
    panes.dropFirst(2); // the current pane goes too
    expect(panes.cur).toBe(-1);
    expect(panes.length).toBe(1);
    expect(panes.partials(0)).toStrictEqual(emptyPartials(T + 7 * PANE_MS));
  });

  it('grows past its first capacity keeping every pane, and refuses a pushed pane out of order', () => {
    const panes = new Panes(3);
    for (let k = 0; k < 100; k++) {
      const p = emptyPartials(T + k * PANE_MS);
      addValue(p, T + k * PANE_MS + 1, k);
      panes.push(p);
    }
    expect(panes.length).toBe(100);
    for (let k = 0; k < 100; k++) expect(panes.partials(k)).toMatchObject({ tRef: T + k * PANE_MS, count: 1, sum: k, first: k, last: k });
    expect(() => panes.push(emptyPartials(T))).toThrow(RangeError);
  });
});
