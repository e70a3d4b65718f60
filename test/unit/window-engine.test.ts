// Tumbling and hopping windows as pipeline tables: readings and clock steps in, summaries and the
// engine's counters out. Times are ms after T0; default config: tumbling 1 s, out-of-orderness
// 200 ms, allowed lateness 1 s, idle timeout 5 s (see window-harness.ts).

import { describe, expect, it } from 'vitest';
import { expectCase, observe, runSteps, S, T0, type Case } from './window-harness.js';

const x = (v: number) => ({ x: v });
const hopping3s = { windows: [{ kind: 'hopping', sizeMs: 3000, slideMs: 1000 }] } as const;

const cases: Case[] = [
  {
    name: 'tumbling, in order: features by hand',
    steps: [{ ts: 0, values: x(1) }, { ts: 400, values: x(3) }, { ts: 900, values: x(2) }, { ts: 1100, values: x(10) }, { ts: 1250, values: x(4) }],
    // t = 0, 0.4, 0.9 s; v = 1, 3, 2: mean 2, Σ(v−v̄)² = 2, Σv² = 14; t̄ = 13/30, Σ(t−t̄)² = 61/150, Σ(t−t̄)(v−v̄) = 0.4.
    summaries: [S('tumbling', 0, 1000, 0, { count: 3, sum: 6, min: 1, max: 3, mean: 2, std: Math.sqrt(2 / 3), rms: Math.sqrt(14 / 3), first: 1, last: 2, slope: 60 / 61, peakToPeak: 2 })],
    stats: { readingsIn: 5, valuesIn: 5, lateAccepted: 0, lateRejected: 0, summariesOut: 1, revisionsOut: 0, keys: 1, windowsOpen: 1, devices: 1 },
  },
  {
    name: 'tumbling: out of order within the bound, one emission with every value',
    // After 1100, W = 900: 950 is out of order but not behind the watermark.
    steps: [{ ts: 0, values: x(1) }, { ts: 900, values: x(2) }, { ts: 1100, values: x(9) }, { ts: 950, values: x(3) }, { ts: 1300, values: x(9) }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1], [900, 2], [950, 3]])],
    stats: { readingsIn: 5, valuesIn: 5, lateAccepted: 0, summariesOut: 1, windowsOpen: 1 },
  },
  {
    name: 'tumbling: late within allowed lateness re-emits with revision + 1',
    // 1300 → W = 1100 closes [0, 1000); 800 and 100 are behind W but within 1 s of lateness.
    steps: [{ ts: 0, values: x(1) }, { ts: 500, values: x(2) }, { ts: 1300, values: x(4) }, { ts: 800, values: x(3) }, { ts: 100, values: x(5) }],
    summaries: [
      S('tumbling', 0, 1000, 0, [[0, 1], [500, 2]]),
      S('tumbling', 0, 1000, 1, [[0, 1], [500, 2], [800, 3]]),
      S('tumbling', 0, 1000, 2, [[0, 1], [500, 2], [800, 3], [100, 5]]),
    ],
    stats: { readingsIn: 5, valuesIn: 5, lateAccepted: 2, lateRejected: 0, summariesOut: 3, revisionsOut: 2, windowsOpen: 1 },
  },
  {
    name: 'tumbling: a late reading in a window that closed empty emits it (revision 0)',
    steps: [{ ts: 0, values: x(1) }, { ts: 2500, values: x(2) }, { ts: 1500, values: x(7) }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1]]), S('tumbling', 1000, 2000, 0, [[1500, 7]])],
    stats: { lateAccepted: 1, summariesOut: 2, revisionsOut: 0, windowsOpen: 1 },
  },
  {
    name: 'tumbling: beyond allowed lateness goes to onLate and changes no window',
    // W = 3300: 2299 + 1000 < W is too late; 2300 + 1000 = W is not (and opens the closed, empty [2000, 3000)).
    steps: [{ ts: 0, values: x(1) }, { ts: 3500, values: x(2) }, { ts: 2299, values: x(9) }, { ts: 2300, values: x(8) }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1]]), S('tumbling', 2000, 3000, 0, [[2300, 8]])],
    late: [{ device: 'd1', ts: 2299, watermark: 3300 }],
    stats: { readingsIn: 4, valuesIn: 3, lateAccepted: 1, lateRejected: 1, summariesOut: 2, revisionsOut: 0 },
  },
  {
    name: 'tumbling: a closed window is purged once W >= end + lateness, then readings for it are too late',
    // 2200 → W = 2000 = end + L of [0, 1000): purged. 999 + 1000 < 2000.
    steps: [{ ts: 0, values: x(1) }, { ts: 1200, values: x(2) }, { ts: 999, values: x(3) }, { ts: 2200, values: x(4) }, { ts: 999, values: x(5) }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1]]), S('tumbling', 0, 1000, 1, [[0, 1], [999, 3]]), S('tumbling', 1000, 2000, 0, [[1200, 2]])],
    late: [{ device: 'd1', ts: 999, watermark: 2000 }],
    stats: { lateAccepted: 1, lateRejected: 1, summariesOut: 3, revisionsOut: 1, windowsOpen: 1 },
  },
  {
    name: 'hopping 3 s / 1 s: every window holding a value, aligned to the epoch',
    config: hopping3s,
    // v = 1..4 at 0.5 s steps of 1 s: slope 1 /s in every window with two or more values.
    steps: [{ ts: 500, values: x(1) }, { ts: 1500, values: x(2) }, { ts: 2500, values: x(3) }, { ts: 3500, values: x(4) }, { ts: 6000, values: x(0) }],
    summaries: [
      S('hopping', -2000, 1000, 0, { count: 1, sum: 1, mean: 1, slope: 0, first: 1, last: 1 }),
      S('hopping', -1000, 2000, 0, { count: 2, sum: 3, mean: 1.5, std: 0.5, slope: 1, first: 1, last: 2 }),
      S('hopping', 0, 3000, 0, { count: 3, sum: 6, mean: 2, std: Math.sqrt(2 / 3), slope: 1, min: 1, max: 3 }),
      S('hopping', 1000, 4000, 0, { count: 3, sum: 9, mean: 3, std: Math.sqrt(2 / 3), slope: 1, min: 2, max: 4 }),
      S('hopping', 2000, 5000, 0, { count: 2, sum: 7, mean: 3.5, slope: 1, first: 3, last: 4 }),
    ],
    // Open: [3000, 6000), [4000, 7000), [5000, 8000) hold 3500 or 6000; [6000, 9000) holds 6000.
    stats: { summariesOut: 5, windowsOpen: 4, keys: 1 },
  },
  {
    name: 'hopping: a late reading revises every closed window containing it',
    config: { ...hopping3s, allowedLatenessMs: 3000 },
    // 4300 → W = 4100: windows ending by 4000 are closed. 2900 is in [0,3000), [1000,4000) (closed) and [2000,5000) (open).
    steps: [{ ts: 500, values: x(1) }, { ts: 2500, values: x(3) }, { ts: 4300, values: x(5) }, { ts: 2900, values: x(2) }],
    summaries: [
      S('hopping', -2000, 1000, 0, [[500, 1]]),
      S('hopping', -1000, 2000, 0, [[500, 1]]),
      S('hopping', 0, 3000, 0, [[500, 1], [2500, 3]]),
      S('hopping', 1000, 4000, 0, [[2500, 3]]),
      S('hopping', 0, 3000, 1, [[500, 1], [2500, 3], [2900, 2]]),
      S('hopping', 1000, 4000, 1, [[2500, 3], [2900, 2]]),
    ],
    stats: { lateAccepted: 1, summariesOut: 6, revisionsOut: 2 },
  },
  {
    name: 'metrics of one reading are separate keys',
    steps: [{ ts: 0, values: { a: 1, b: 10 } }, { ts: 600, values: { a: 3, b: 30 } }, { ts: 1300, values: { a: 5 } }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1], [600, 3]], { metric: 'a' }), S('tumbling', 0, 1000, 0, [[0, 10], [600, 30]], { metric: 'b' })],
    stats: { readingsIn: 3, valuesIn: 5, keys: 2, windowsOpen: 1, devices: 1 },
  },
  {
    name: 'each device has its own watermark',
    steps: [{ device: 'd1', ts: 0, values: x(1) }, { device: 'd2', ts: 0, values: x(2) }, { device: 'd1', ts: 5000, values: x(3) }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1]])],
    stats: { keys: 2, windowsOpen: 2, devices: 2, summariesOut: 1 },
  },
  {
    name: 'a silent device: after the idle timeout its watermark follows the clock',
    config: { idleTimeoutMs: 1000 },
    // Idle 1 s at T0+1000: W = 400 + 1000 − 200 = 1200 closes [0, 1000); at T0+2000, W = 2200 >= end + L purges it,
    // and the device, holding nothing, is dropped.
    steps: [{ ts: 0, values: x(1) }, { ts: 400, values: x(2) }, { advance: 999 }, { advance: 1 }, { advance: 1000 }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1], [400, 2]])],
    stats: { summariesOut: 1, keys: 0, windowsOpen: 0, devices: 0 },
  },
  {
    name: 'flush emits every open window as if the watermark had passed; later data revises them',
    // Flush sets W = 1500 + 1000 (largest size) = 2500; 1700 + 1000 >= 2500 is within lateness.
    steps: [{ ts: 0, values: x(1) }, { ts: 1500, values: x(2) }, { flush: true }, { ts: 1700, values: x(3) }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1]]), S('tumbling', 1000, 2000, 0, [[1500, 2]]), S('tumbling', 1000, 2000, 1, [[1500, 2], [1700, 3]])],
    stats: { summariesOut: 3, revisionsOut: 1, lateAccepted: 1, windowsOpen: 0 },
  },
  {
    name: 'key limit: metrics of new keys beyond maxKeys are rejected, the others windowed',
    config: { maxKeys: 2 },
    steps: [{ ts: 0, values: { a: 1, b: 2 } }, { ts: 100, values: { a: 3, c: 9, b: 4 } }, { ts: 200, values: { a: 5, c: 9, b: 6 } }, { device: 'd2', ts: 0, values: { a: 1 } }, { ts: 1300, values: { a: 0, b: 0 } }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1], [100, 3], [200, 5]], { metric: 'a' }), S('tumbling', 0, 1000, 0, [[0, 2], [100, 4], [200, 6]], { metric: 'b' })],
    rejected: [
      { device: 'd1', metric: 'c', code: 'ERR_WINDOW_KEY_LIMIT' },
      { device: 'd1', metric: 'c', code: 'ERR_WINDOW_KEY_LIMIT' },
      { device: 'd2', metric: 'a', code: 'ERR_WINDOW_KEY_LIMIT' },
    ],
    stats: { readingsIn: 5, valuesIn: 8, keys: 2, devices: 2 },
  },
  {
    name: 'key limit: a silent device frees its keys, so new keys are accepted again',
    config: { maxKeys: 1, idleTimeoutMs: 1000 },
    steps: [{ ts: 0, values: x(1) }, { device: 'd2', ts: 0, values: x(2) }, { advance: 3000 }, { device: 'd2', ts: 0, values: x(3) }],
    summaries: [S('tumbling', 0, 1000, 0, [[0, 1]])],
    rejected: [{ device: 'd2', metric: 'x', code: 'ERR_WINDOW_KEY_LIMIT' }],
    stats: { readingsIn: 3, valuesIn: 2, keys: 1, devices: 1, windowsOpen: 1 },
  },
];

describe('window engine: tumbling and hopping tables', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => expectCase(c));
});

describe('window engine: summaries', () => {
  it('carry the deterministic id, the gateway clock and the window shape', () => {
    const run = runSteps(
      { windows: [{ kind: 'tumbling', sizeMs: 1000 }, { kind: 'hopping', sizeMs: 2000, slideMs: 1000 }] },
      [{ ts: 10, values: x(1) }, { advance: 250 }, { ts: 2500, values: x(2) }],
    );
    const [t, h1, h2] = run.summaries;
    expect(t).toMatchObject({ gateway: 'gw-1', device: 'd1', metric: 'x', revision: 0, emittedAt: T0 + 250, window: { kind: 'tumbling', start: T0, end: T0 + 1000, size: 1000 } });
    expect(t!.window).not.toHaveProperty('slide');
    expect(t).not.toHaveProperty('retracted');
    expect(h1!.window).toEqual({ kind: 'hopping', start: T0 - 1000, end: T0 + 1000, size: 2000, slide: 1000 });
    expect(h2!.window).toEqual({ kind: 'hopping', start: T0, end: T0 + 2000, size: 2000, slide: 1000 });
    expect(t!.partials).toMatchObject({ count: 1, tRef: T0, firstTs: T0 + 10 });
    expect(run.summaries.length).toBe(3);
    run.engine.close();
  });

  it('a revision keeps the id of the window it revises', () => {
    const run = runSteps({}, [{ ts: 0, values: x(1) }, { ts: 1300, values: x(2) }, { ts: 900, values: x(3) }]);
    expect(run.summaries.map((s) => s.revision)).toEqual([0, 1]);
    expect(run.summaries[1]!.id).toBe(run.summaries[0]!.id);
    run.engine.close();
  });

  it('idle: nothing closes before the timeout, and the summary is stamped with the clock', () => {
    // Lateness 10 s keeps the device (and so its watermark) after its window closes.
    const run = runSteps({ idleTimeoutMs: 5000, allowedLatenessMs: 10_000 }, [{ ts: 0, values: x(1) }, { advance: 4999 }]);
    expect(run.engine.watermark('d1')).toBe(T0 - 200);
    expect(run.summaries).toEqual([]);
    run.clock.advance(1);
    expect(run.summaries.map((s) => [s.window.start - T0, s.emittedAt - T0])).toEqual([[0, 5000]]);
    expect(run.engine.watermark('d1')).toBe(T0 + 0 + 5000 - 200);
    run.engine.close();
  });
});
