// Roll-up buckets and their sketch: merges that come out the same in any order, negative values
// kept through merges, and the stored bytes giving back what was stored.

import { describe, expect, it } from 'vitest';
import { addValue, emptyPartials } from '../../edge/features/partials.js';
import type { Partials } from '../../edge/features/summary.js';
import { mergeOrderFree, RollupBucket } from '../../cloud/rollup/bucket.js';
import { MeanSketch } from '../../cloud/rollup/sketch.js';
import { prng } from '../helpers/prng.js';

const windowOf = (start: number, values: Array<[number, number]>): Partials => {
  const p = emptyPartials(start);
  for (const [ts, v] of values) addValue(p, ts, v);
  return p;
};

function shuffled<T>(list: readonly T[], random: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('mean sketch', () => {
  it('keeps negative values through merges (sketches-js 2.1.1 merges only the positive store)', () => {
    const a = new MeanSketch(0.01);
    const b = new MeanSketch(0.01);
    for (const v of [-40, -30, -20]) a.add(v);
    for (const v of [-10, 5, 10]) b.add(v);
    a.merge(b);
    expect(a.count).toBe(6);
    expect(a.quantile(0)).toBeCloseTo(-40, -0.4);
    expect(a.quantile(0.2)).toBeCloseTo(-30, -0.3);
    // -10 came from the other sketch's negative store.
    expect(Math.abs(a.quantile(0.6) + 10)).toBeLessThanOrEqual(0.1);
    expect(a.quantile(1)).toBeCloseTo(10, 0);
  });

  it('merges values around 1 correctly (DenseStore.merge skips extending its range when the other max key is 0)', () => {
    const a = new MeanSketch(0.01);
    const b = new MeanSketch(0.01);
    for (const v of [0.1, 0.2, 0.3]) a.add(v);
    for (const v of [0.5, 0.9, 1]) b.add(v);
    a.merge(b);
    expect(a.count).toBe(6);
    expect(Math.abs(a.quantile(1) - 1)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(a.quantile(0.8) - 0.9)).toBeLessThanOrEqual(0.009);
  });

  it('encodes the same for the same windows whatever the merge order, and decodes to what it was', () => {
    const random = prng(3);
    const values = Array.from({ length: 200 }, () => (random() - 0.3) * 100);
    const parts = Array.from({ length: 8 }, () => new MeanSketch(0.02));
    values.forEach((v, i) => parts[i % 8]!.add(v));
    const encodings = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const total = new MeanSketch(0.02);
      for (const p of shuffled(parts, random)) total.merge(p);
      encodings.add(JSON.stringify(total.encode()));
      const { sketch, next } = MeanSketch.decode(0.02, total.encode());
      expect(next).toBe(total.encode().length);
      expect(sketch.encode()).toEqual(total.encode());
      for (const q of [0, 0.5, 0.99]) expect(sketch.quantile(q)).toBe(total.quantile(q));
    }
    expect(encodings.size).toBe(1);
  });

  it('answers quantiles within its relative accuracy', () => {
    const s = new MeanSketch(0.01);
    for (let v = 1; v <= 1000; v++) s.add(v);
    for (const [q, expected] of [
      [0.5, 500],
      [0.9, 900],
      [0.99, 990],
    ] as const) {
      expect(Math.abs(s.quantile(q) - expected) / expected).toBeLessThanOrEqual(0.011);
    }
    expect(new MeanSketch(0.01).quantile(0.5)).toBeNaN();
  });
});

describe('roll-up bucket', () => {
  it('breaks first/last ties by value, so the merge order does not matter', () => {
    const a = windowOf(0, [
      [1000, 5],
      [2000, 7],
    ]);
    const b = windowOf(0, [
      [1000, 3],
      [2000, 9],
    ]);
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const t = emptyPartials(0);
      mergeOrderFree(t, x);
      mergeOrderFree(t, y);
      expect([t.first, t.firstTs, t.last, t.lastTs, t.count, t.min, t.max]).toEqual([3, 1000, 9, 2000, 4, 3, 9]);
    }
  });

  it('gives the same bucket from windows one by one, from finer buckets, and in any order', () => {
    const random = prng(11);
    const start = 3_600_000;
    const windows = Array.from({ length: 60 }, (_, i) =>
      windowOf(start + i * 10_000, [
        [start + i * 10_000 + 1000, random() * 10 - 5],
        [start + i * 10_000 + 6000, random() * 10 - 5],
      ]),
    );
    const direct = RollupBucket.empty(start, 0.01);
    for (const w of shuffled(windows, random)) direct.addWindow(w);
    const fromMinutes = RollupBucket.empty(start, 0.01);
    for (let m = 0; m < 10; m++) {
      const minute = RollupBucket.empty(start + m * 60_000, 0.01);
      for (const w of windows.slice(m * 6, m * 6 + 6)) minute.addWindow(w);
      fromMinutes.addBucket(minute);
    }
    for (const b of [direct, fromMinutes]) {
      expect(b.windows).toBe(60);
      expect(b.partials.count).toBe(120);
    }
    for (const f of ['count', 'min', 'max', 'first', 'firstTs', 'last', 'lastTs', 'tRef'] as const) expect(fromMinutes.partials[f]).toBe(direct.partials[f]);
    for (const f of ['sum', 'sumSq', 'sumT', 'sumTT', 'sumTV'] as const) expect(fromMinutes.partials[f]).toBeCloseTo(direct.partials[f], 8);
    expect(fromMinutes.sketch.encode()).toEqual(direct.sketch.encode());
  });

  it('decodes its bytes to the same bucket', () => {
    const b = RollupBucket.empty(60_000, 0.01);
    b.addWindow(windowOf(60_000, [[61_000, -2.5], [65_000, 4]]));
    b.addWindow(windowOf(70_000, [[71_000, 0]]));
    const back = RollupBucket.decode(60_000, 0.01, b.encode());
    expect(back.windows).toBe(2);
    expect(back.partials).toEqual(b.partials);
    expect(back.sketch.encode()).toEqual(b.sketch.encode());
    expect(() => RollupBucket.decode(60_000, 0.01, Buffer.alloc(16))).toThrow(TypeError);
  });
});
