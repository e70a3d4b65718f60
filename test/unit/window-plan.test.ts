// Window planning (pane size, validation) and the engine's lifecycle: options checked at
// construction, one unref'd timer on the injected clock, close() clears it.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { WindowEngineOptions, WindowSpec } from '../../edge/window/contract.js';
import { createWindowEngine } from '../../edge/window/engine.js';
import { firstEndingAfter, lastStartingBy, planWindows, type PaneSpec } from '../../edge/window/plan.js';
import { baseOptions, reading, T0 } from './window-harness.js';

const tumbling = (sizeMs: number): WindowSpec => ({ kind: 'tumbling', sizeMs });
const hopping = (sizeMs: number, slideMs: number): WindowSpec => ({ kind: 'hopping', sizeMs, slideMs });
const session = (gapMs: number): WindowSpec => ({ kind: 'session', gapMs });

function options(over: Partial<WindowEngineOptions> = {}): WindowEngineOptions {
  return { ...baseOptions, clock: new FakeClock(T0), onSummary: () => {}, onLate: () => {}, onRejected: () => {}, ...over };
}

describe('planWindows: pane size and bounds', () => {
  const cases: Array<[string, WindowSpec[], { paneMs: number; maxSize: number; maxExtent: number }]> = [
    ['tumbling 1 s + hopping 10 s / 1 s', [tumbling(1000), hopping(10_000, 1000)], { paneMs: 1000, maxSize: 10_000, maxExtent: 10_000 }],
    ['the config default: tumbling 10 s + hopping 60 s / 10 s', [tumbling(10_000), hopping(60_000, 10_000)], { paneMs: 10_000, maxSize: 60_000, maxExtent: 60_000 }],
    ['gcd of every size and slide', [tumbling(1500), hopping(4000, 1000)], { paneMs: 500, maxSize: 4000, maxExtent: 4000 }],
    ['sessions need no panes', [session(30_000)], { paneMs: 0, maxSize: 0, maxExtent: 30_000 }],
    ['a session gap can be the largest extent', [tumbling(1000), session(5000)], { paneMs: 1000, maxSize: 1000, maxExtent: 5000 }],
    ['exactly 10,000 panes is allowed', [tumbling(10_000), tumbling(1)], { paneMs: 1, maxSize: 10_000, maxExtent: 10_000 }],
  ];
  it.each(cases)('%s', (_name, specs, expected) => {
    expect(planWindows(specs)).toMatchObject(expected);
  });

  const bad: Array<[string, unknown[], RegExp]> = [
    ['no specs', [], /at least one/],
    ['a window needing more than 10,000 panes', [tumbling(10_001), tumbling(10_000)], /10001 panes of 1 ms/],
    ['a slide longer than the size', [hopping(1000, 2000)], /slideMs must not exceed sizeMs/],
    ['the same spec twice', [tumbling(1000), tumbling(1000)], /listed twice/],
    ['a zero size', [tumbling(0)], /positive integer/],
    ['a fractional slide', [hopping(1000, 0.5)], /positive integer/],
    ['a negative gap', [session(-1)], /positive integer/],
    ['an unknown kind', [{ kind: 'sliding', sizeMs: 1000 }], /unknown window kind/],
  ];
  it.each(bad)('throws TypeError at construction: %s', (_name, specs, message) => {
    expect(() => planWindows(specs as WindowSpec[])).toThrow(TypeError);
    expect(() => createWindowEngine(options({ windows: specs as WindowSpec[] }))).toThrow(message);
  });
});

describe('pane math', () => {
  const spec: PaneSpec = { kind: 'hopping', size: 3000, slide: 1000, index: 0 };
  it.each([
    // ts → windows containing it [first, last] (index k covers [k·1000, k·1000 + 3000))
    [2500, 0, 2],
    [3000, 1, 3],
    [0, -2, 0],
    [-1, -3, -1],
  ])('ts %i is in windows %i..%i of hopping 3 s / 1 s', (ts, first, last) => {
    expect(firstEndingAfter(ts, spec)).toBe(first);
    expect(lastStartingBy(ts, spec)).toBe(last);
  });
});

describe('window engine options and lifecycle', () => {
  it.each([
    ['maxOutOfOrdernessMs', { maxOutOfOrdernessMs: -1 }],
    ['allowedLatenessMs', { allowedLatenessMs: Number.NaN }],
    ['idleTimeoutMs', { idleTimeoutMs: 0 }],
    ['maxKeys', { maxKeys: 0 }],
    ['gateway', { gateway: '' }],
  ] as const)('rejects a bad %s with a TypeError', (name, over) => {
    expect(() => createWindowEngine(options(over))).toThrow(new RegExp(name));
  });

  it('runs one timer on the injected clock, every min(idleTimeoutMs, 1 s), cleared by close()', () => {
    const clock = new FakeClock(T0);
    const summaries: number[] = [];
    const engine = createWindowEngine(options({ clock, idleTimeoutMs: 300, onSummary: (s) => summaries.push(s.window.start - T0) }));
    expect(clock.pending).toBe(1);
    engine.add(reading('d1', 0, { x: 1 }, clock.now()));
    clock.advance(299);
    expect(summaries).toEqual([]);
    // At 300 ms of silence: W = 0 + 300 − 200 = 100, not yet past 1000. Each tick moves it on with the clock.
    clock.advance(1);
    expect(engine.watermark('d1')).toBe(T0 + 100);
    clock.advance(900);
    expect(engine.watermark('d1')).toBe(T0 + 1000);
    expect(summaries).toEqual([0]);
    engine.close();
    expect(clock.pending).toBe(0);
    engine.close(); // idempotent
    expect(engine.stats).toMatchObject({ keys: 0, devices: 0, windowsOpen: 0 });
    expect(() => engine.add(reading('d1', 0, { x: 1 }))).toThrow(TypeError);
    engine.advance();
    engine.flush();
  });

  it('the watermark is per device, starts undefined and never moves back', () => {
    const engine = createWindowEngine(options());
    expect(engine.watermark('d1')).toBeUndefined();
    engine.add(reading('d1', 5000, { x: 1 }));
    expect(engine.watermark('d1')).toBe(T0 + 4800);
    engine.add(reading('d1', 4000, { x: 1 }));
    expect(engine.watermark('d1')).toBe(T0 + 4800);
    expect(engine.watermark('d2')).toBeUndefined();
    engine.close();
  });

  it('window code takes time only from the injected clock', () => {
    const dir = fileURLToPath(new URL('../../edge/window/', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => dir + f);
    files.push(fileURLToPath(new URL('../../edge/features/partials.ts', import.meta.url)));
    for (const file of files) {
      const code = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/Date\.now\(|(?<![\w.])set(Timeout|Interval)\(|globalThis\.|performance\.now\(|node:timers/);
    }
  });
});
