// Partials: features computed by hand, slope, merging equals the partials of the concatenation.

import { describe, expect, it } from 'vitest';
import { addValue, copyPartials, deriveFeatures, emptyPartials, mergeInto, mergePartials, rebase } from '../../edge/features/partials.js';
import type { Partials } from '../../edge/features/summary.js';
import { closeFeatures, prng, reference, round } from './window-harness.js';

const T = Date.UTC(2024, 10, 24, 12, 0, 0);

function build(tRef: number, points: ReadonlyArray<readonly [number, number]>): Partials {
  const p = emptyPartials(tRef);
  for (const [ts, v] of points) addValue(p, ts, v);
  return p;
}

describe('partials: features by hand', () => {
  const cases: Array<[string, Array<[number, number]>, Record<string, number>]> = [
    [
      // t = 0, 0.5, 1, 2 s; v = 2, 4, 6, 10. mean 5.5; Σ(v−v̄)² = 35 → var 8.75.
      // t̄ = 0.875, Σ(t−t̄)² = 2.1875, Σ(t−t̄)(v−v̄) = 8.75 → slope 4 /s.
      'four points',
      [[T, 2], [T + 500, 4], [T + 1000, 6], [T + 2000, 10]],
      { count: 4, sum: 22, min: 2, max: 10, mean: 5.5, std: Math.sqrt(8.75), rms: Math.sqrt(39), first: 2, last: 10, slope: 4, peakToPeak: 8 },
    ],
    [
      // Out of arrival order: first/last go by timestamp, and slope does not care about order.
      'arrival order differs from time order',
      [[T + 2000, 10], [T, 2], [T + 1000, 6], [T + 500, 4]],
      { count: 4, sum: 22, min: 2, max: 10, mean: 5.5, std: Math.sqrt(8.75), rms: Math.sqrt(39), first: 2, last: 10, slope: 4, peakToPeak: 8 },
    ],
    [
      'one point',
      [[T + 10, -3]],
      { count: 1, sum: -3, min: -3, max: -3, mean: -3, std: 0, rms: 3, first: -3, last: -3, slope: 0, peakToPeak: 0 },
    ],
    [
      // Two values at one instant: no slope; on a tie the later arrival is `last`.
      'one instant, two values',
      [[T + 10, 1], [T + 10, 3]],
      { count: 2, sum: 4, min: 1, max: 3, mean: 2, std: 1, rms: Math.sqrt(5), first: 1, last: 3, slope: 0, peakToPeak: 2 },
    ],
    [
      // Falling by 0.5 per 100 ms = −5 /s.
      'negative slope',
      [[T, 10], [T + 100, 9.5], [T + 200, 9], [T + 300, 8.5]],
      { count: 4, sum: 37, min: 8.5, max: 10, mean: 9.25, std: Math.sqrt(0.3125), rms: Math.sqrt(343.5 / 4), first: 10, last: 8.5, slope: -5, peakToPeak: 1.5 },
    ],
  ];
  it.each(cases)('%s', (_name, points, expected) => {
    expect(round(deriveFeatures(build(T, points)))).toEqual(round(expected));
  });

  it('an empty partials has all-zero features (never NaN)', () => {
    expect(deriveFeatures(emptyPartials(T))).toEqual({ count: 0, sum: 0, min: 0, max: 0, mean: 0, std: 0, rms: 0, first: 0, last: 0, slope: 0, peakToPeak: 0 });
  });

  it('std of constant values is exactly 0, although Σv²/n − (Σv/n)² rounds to non-zero', () => {
    const p = build(T, Array.from({ length: 1000 }, (_, i) => [T + i, 0.1] as [number, number]));
    expect(p.sumSq / p.count - (p.sum / p.count) ** 2).not.toBe(0);
    const f = deriveFeatures(p);
    expect(f.std).toBe(0);
    expect(f.slope).toBeCloseTo(0, 12);
  });

  it('std is 0, not NaN, when rounding makes the variance negative', () => {
    // Two adjacent doubles: the true variance is ~1e-33, the formula gives about −1.4e-17.
    const p = build(T, [[T, 0.3], [T + 1, 0.3 * (1 + Number.EPSILON)]]);
    expect(p.sumSq / p.count - (p.sum / p.count) ** 2).toBeLessThan(0);
    expect(deriveFeatures(p).std).toBe(0);
  });
});

describe('partials: slope', () => {
  it('recovers an exact line in units per second, whatever tRef is', () => {
    const random = prng(7);
    for (let trial = 0; trial < 50; trial++) {
      const a = random() * 200 - 100;
      const b = random() * 20 - 10; // per second
      const points: Array<[number, number]> = [];
      for (let i = 0; i < 2 + Math.floor(random() * 50); i++) {
        const ts = T + Math.floor(random() * 60_000);
        points.push([ts, a + (b * (ts - T)) / 1000]);
      }
      if (new Set(points.map((p) => p[0])).size < 2) continue;
      for (const tRef of [T, T + 30_000, T - 3_600_000]) expect(deriveFeatures(build(tRef, points)).slope).toBeCloseTo(b, 6);
    }
  });

  it('matches the two-pass least-squares reference on noisy data', () => {
    const random = prng(11);
    const points = Array.from({ length: 500 }, (_, i) => [T + i * 37, 50 + 3 * Math.sin(i / 20) + random()] as [number, number]);
    expect(closeFeatures(deriveFeatures(build(T, points)), reference(points))).toEqual([]);
  });
});

describe('partials: merge', () => {
  it('merge(partials(xs), partials(ys)) equals partials(xs ++ ys), with any tRefs', () => {
    const random = prng(2024);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(random() * 40);
      const points: Array<[number, number]> = [];
      for (let i = 0; i < n; i++) points.push([T + Math.floor(random() * 20_000) - 5_000, Math.round((random() * 100 - 50) * 1000) / 1000]);
      const cut = Math.floor(random() * (n + 1));
      const tA = T + Math.floor(random() * 20_000) - 10_000;
      const tB = T + Math.floor(random() * 20_000) - 10_000;
      const left = build(tA, points.slice(0, cut));
      const right = build(tB, points.slice(cut));
      const whole = build(tA, points);
      const merged = mergePartials(left, right);
      expect(merged.tRef).toBe(tA);
      // Exact fields.
      for (const k of ['count', 'min', 'max', 'first', 'firstTs', 'last', 'lastTs'] as const) expect(merged[k], `${k} trial ${trial}`).toBe(whole[k]);
      // Sums: equal up to rounding.
      for (const k of ['sum', 'sumSq', 'sumT', 'sumTT', 'sumTV'] as const) {
        expect(Math.abs(merged[k] - whole[k]), `${k} trial ${trial}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(whole[k])));
      }
      expect(closeFeatures(deriveFeatures(merged), deriveFeatures(whole))).toEqual([]);
      expect(closeFeatures(deriveFeatures(merged), reference(points))).toEqual([]);
    }
  });

  it('merging an empty partials is the identity, either way round', () => {
    const p = build(T, [[T + 5, 1], [T + 900, 4]]);
    const a = copyPartials(p);
    mergeInto(a, emptyPartials(T - 99_000));
    expect(a).toEqual(p);
    const b = emptyPartials(T);
    mergeInto(b, p);
    expect(round(b)).toEqual(round(p));
  });

  it('rebase moves the time sums and keeps the features', () => {
    const points: Array<[number, number]> = [[T + 100, 1], [T + 1200, 5], [T + 2500, 2]];
    const p = build(T, points);
    rebase(p, T - 60_000);
    expect(round(p)).toEqual(round(build(T - 60_000, points)));
    expect(round(deriveFeatures(p))).toEqual(round(deriveFeatures(build(T, points))));
  });

  it('mergePartials leaves its inputs untouched', () => {
    const a = build(T, [[T, 1]]);
    const b = build(T + 1000, [[T + 1500, 2]]);
    const [a0, b0] = [copyPartials(a), copyPartials(b)];
    mergePartials(a, b, T - 1000);
    expect(a).toEqual(a0);
    expect(b).toEqual(b0);
  });
});
