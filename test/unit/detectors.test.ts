// Streaming detectors on seeded synthetic series: the contract every kind keeps, then what each
// kind catches (a spike, a level shift) and how rarely it fires on plain gaussian noise.

import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import type { Detector, DetectorVerdict } from '../../edge/detect/contract.js';
import { detectorKinds } from '../../edge/detect/registry.js';
import { RollingWindow } from '../../edge/detect/rolling-window.js';
import { prng } from '../helpers/prng.js';

/** Standard normal draws (Box–Muller) from the seeded PRNG. */
function gaussian(seed: number): () => number {
  const r = prng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** n values of level + noise (σ = 1), with `change(i)` added. */
const series = (seed: number, n: number, change: (i: number) => number = () => 0, level = 10) => {
  const g = gaussian(seed);
  return Array.from({ length: n }, (_, i) => level + g() + change(i));
};

const run = (d: Detector, values: readonly number[]): DetectorVerdict[] => values.map((v) => d.update(v));
const firedAt = (verdicts: readonly DetectorVerdict[], change?: string) =>
  verdicts.flatMap((v, i) => (v.fired && (change === undefined || v.change === change) ? [i] : []));

/** Each kind with its default params, as the config schema fills them in. */
const kinds = Object.entries(detectorKinds).map(([name, kind]) => ({ name, kind, params: Value.Default(kind.params, {}) as never }));

describe('RollingWindow', () => {
  const naiveMedian = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const n = s.length;
    return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  };

  it.each([1, 2, 7, 60])('median and MAD equal a sort-everything reference over a sliding window of %i', (capacity) => {
    const r = prng(capacity);
    const w = new RollingWindow(capacity);
    const all: number[] = [];
    for (let i = 0; i < 500; i++) {
      const v = Math.round(r() * 20) / 2; // repeated values on purpose
      const evicted = w.push(v);
      all.push(v);
      const held = all.slice(-capacity);
      expect(evicted).toBe(all.length > capacity ? all[all.length - capacity - 1] : undefined);
      const m = naiveMedian(held);
      expect(w.median()).toBe(m);
      expect(w.mad(m)).toBe(naiveMedian(held.map((x) => Math.abs(x - m))));
      expect(w.values()).toEqual(held);
    }
  });

  it('spells out small cases', () => {
    const w = new RollingWindow(5);
    for (const v of [1, 2, 3, 4, 100]) w.push(v);
    expect([w.median(), w.mad(3)]).toEqual([3, 1]); // deviations 2 1 0 1 97
    w.push(3); // drops 1: 2 3 3 4 100
    expect([w.median(), w.mad(3)]).toEqual([3, 1]); // deviations 1 0 0 1 97
    expect(w.meanAbsDeviation(3)).toBeCloseTo(99 / 5, 12);
  });
});

describe.each(kinds)('detector contract: $name', ({ kind, params }) => {
  it('fires on nothing while warming up, with statistic 0', () => {
    const verdicts = run(kind.create(params), series(1, 10, (i) => (i === 5 ? 50 : 0)));
    expect(verdicts.every((v) => v.statistic === 0 && !v.fired)).toBe(true);
  });

  it('a flat series (MAD = 0) gives finite statistics: equal values score 0, a step is finite and fires', () => {
    const verdicts = run(kind.create(params), [...Array<number>(100).fill(5), 5.5]);
    expect(verdicts.slice(0, 100).every((v) => v.statistic === 0 && !v.fired)).toBe(true);
    const last = verdicts[100]!;
    expect(Number.isFinite(last.statistic)).toBe(true);
    expect(last.fired).toBe(true);
  });

  it('minScale keeps a flat history from making the smallest step an alarm', () => {
    const verdicts = run(kind.create({ ...(params as object), minScale: 1 } as never), [...Array<number>(100).fill(5), 5.5]);
    expect(verdicts[100]!.fired).toBe(false);
  });

  it('a detector rebuilt from history() continues exactly like the original', () => {
    const values = series(7, 300, (i) => (i === 150 ? 12 : i > 200 ? 6 : 0));
    const original = kind.create(params);
    run(original, values.slice(0, 180));
    const history = original.history();
    const rebuilt = kind.create(params, JSON.parse(JSON.stringify(history)) as number[]);
    expect(run(rebuilt, values.slice(180))).toEqual(run(original, values.slice(180)));
  });

  it('holds a bounded history', () => {
    const d = kind.create(params);
    run(d, series(3, 5000));
    expect(d.history().length).toBeLessThanOrEqual(200);
    expect(d.history().length).toBeGreaterThan(0);
  });
});

describe('robust-z', () => {
  const params = Value.Default(detectorKinds['robust-z'].params, {}) as { window: number; minSamples: number; threshold: number; minScale: number };
  const create = () => detectorKinds['robust-z'].create(params);

  it('has documented defaults: K = 60, warm-up 20, threshold 4 robust standard deviations', () => {
    expect(params).toEqual({ window: 60, minSamples: 20, threshold: 4, minScale: 0 });
  });

  it('catches a spike of 8σ, and the spike does not poison the median for the values after it', () => {
    const v = run(create(), series(11, 400, (i) => (i === 300 ? 8 : 0)));
    expect(firedAt(v)).toContain(300);
    expect(firedAt(v).filter((i) => i > 300)).toEqual([]);
  });

  it('catches a level shift of 6σ at once and learns the new level within about K/2 values', () => {
    const v = run(create(), series(12, 500, (i) => (i >= 300 ? 6 : 0)));
    const fired = firedAt(v);
    expect(fired).toContain(300);
    expect(fired.filter((i) => i > 300 + params.window / 2)).toEqual([]);
  });

  it.each([1, 2, 3, 4, 5])('gaussian noise, seed %i: at most 0.2% false positives in 10,000 values', (seed) => {
    expect(firedAt(run(create(), series(seed, 10_000))).length).toBeLessThanOrEqual(20);
  });

  it('a mostly-constant (quantised) history falls back to the mean absolute deviation instead of dividing by ~0', () => {
    // 30 of 40 values are 20 and 10 are 21: MAD is 0, the mean absolute deviation 0.25 (spread 0.31).
    const history = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 21 : 20));
    const d = create();
    run(d, history);
    const tick = d.update(21);
    expect(tick.statistic).toBeCloseTo(1 / (1.2533 * 0.25), 6);
    expect(tick.fired).toBe(false);
    expect(d.update(25).fired).toBe(true);
  });
});

describe('level-shift', () => {
  const params = Value.Default(detectorKinds['level-shift'].params, {}) as Record<string, unknown>;
  const create = (p: Record<string, unknown> = {}) => detectorKinds['level-shift'].create({ ...params, ...p } as never);

  it('has documented defaults: recent 5, reference 30, warm-up 20, shift 3 and spike 6 robust standard deviations', () => {
    expect(params).toEqual({ recent: 5, reference: 30, minSamples: 20, threshold: 3, spikeThreshold: 6, spikes: true, minScale: 0 });
  });

  /** Firings from `from` while the value at `from` is in the recent or reference window. */
  const near = (fired: readonly number[], from: number) => fired.filter((i) => i >= from && i < from + 5 + 30);

  it('names an isolated 10σ spike a spike, never a level shift, while it is in either window', () => {
    const v = run(create(), series(21, 400, (i) => (i === 300 ? 10 : 0)));
    expect(near(firedAt(v), 300)).toEqual([300]);
    expect(v[300]!.change).toBe('spike');
  });

  it('names a sustained 8σ step a level shift once 3 of the 5 recent values moved, and forgets it once it fills the reference', () => {
    const v = run(create(), series(22, 500, (i) => (i >= 300 ? 8 : 0)));
    const shifts = firedAt(v, 'level-shift');
    expect(shifts[0]).toBe(302);
    // Before the recent median moves, the first new values can only look like spikes.
    expect(firedAt(v).filter((i) => i < 302 && i >= 300).every((i) => v[i]!.change === 'spike')).toBe(true);
    expect(firedAt(v).filter((i) => i >= 300 + 5 + 30)).toEqual([]);
  });

  it('with spikes off fires on level shifts only', () => {
    const v = run(create({ spikes: false }), series(21, 400, (i) => (i === 300 ? 10 : i >= 350 ? 8 : 0)));
    expect(firedAt(v, 'spike')).toEqual([]);
    expect(near(firedAt(v), 300)).toEqual([]);
    expect(near(firedAt(v), 350)[0]).toBe(352);
  });

  it.each([1, 2, 3, 4, 5])('gaussian noise, seed %i: at most 0.1% false positives in 10,000 values', (seed) => {
    expect(firedAt(run(create(), series(seed, 10_000))).length).toBeLessThanOrEqual(10);
  });
});
