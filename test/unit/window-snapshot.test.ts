// Snapshot and restore of the window engine: an engine snapshotted at arbitrary points, restored
// into a fresh engine (through JSON, as a checkpoint stores it) and fed the rest of the stream
// emits exactly the summaries — ids, revisions, features, emission times — of an engine that
// never stopped, with out-of-order, late and too-late readings, idle devices and the key limit.

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Reading } from '../../edge/decode/reading.js';
import type { Summary } from '../../edge/features/summary.js';
import type { WindowEngine, WindowEngineOptions, WindowEngineStats } from '../../edge/window/contract.js';
import { createWindowEngine } from '../../edge/window/engine.js';
import type { PartialsSnapshot, WindowSnapshot } from '../../edge/window/snapshot.js';
import { prng } from '../helpers/prng.js';

const T0 = Date.UTC(2024, 10, 24, 12, 0, 0);

type Step = { readonly reading: Omit<Reading, 'receivedAt' | 'tsFromArrival'> } | { readonly advance: number } | { readonly flush: true };

const config = {
  gateway: 'gw-1',
  windows: [
    { kind: 'tumbling', sizeMs: 1000 },
    { kind: 'hopping', sizeMs: 4000, slideMs: 1000 },
    { kind: 'session', gapMs: 700 },
  ],
  maxOutOfOrdernessMs: 300,
  allowedLatenessMs: 1500,
  idleTimeoutMs: 2500,
  // Fewer than the 3 devices × 3 metrics the stream uses: some keys are refused until others empty.
  maxKeys: 7,
} as const satisfies Omit<WindowEngineOptions, 'clock' | 'onSummary' | 'onLate' | 'onRejected'>;

/** Readings from three devices, mostly in order, some late, some too late, with silences past the idle timeout. */
function generate(seed: number, n: number): Step[] {
  const random = prng(seed);
  const steps: Step[] = [];
  const cursors = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const d = Math.floor(random() * 3);
    cursors[d]! += random() < 0.08 ? 1000 + Math.floor(random() * 3000) : Math.floor(random() * 300);
    const ts = T0 + cursors[d]! - Math.floor(random() < 0.15 ? random() * 2500 : random() * 200);
    const values: Record<string, number> = { a: Math.round(random() * 1000) / 10 };
    if (random() < 0.5) values['b'] = (random() - 0.5) * 1e6;
    if (random() < 0.2) values['c'] = Math.floor(random() * 5);
    if (random() < 0.05) values['a'] = -0; // JSON would turn it into 0
    steps.push({ reading: { device: `d${d}`, ts, values } });
    // Processing time moves on too; now and then long enough for the idle rule to act.
    steps.push({ advance: random() < 0.05 ? 3000 + Math.floor(random() * 3000) : Math.floor(random() * 150) });
  }
  steps.push({ flush: true });
  return steps;
}

interface Outputs {
  summaries: Summary[];
  late: Array<{ device: string; ts: number; watermark: number }>;
  rejected: Array<{ device: string; ts: number; metric: string; code: string }>;
}

function engineOn(clock: FakeClock, out: Outputs, from?: WindowSnapshot, staggerMs = 0): WindowEngine {
  return createWindowEngine(
    {
      ...config,
      staggerMs,
      clock,
      onSummary: (s) => out.summaries.push(s),
      onLate: (r, watermark) => out.late.push({ device: r.device, ts: r.ts, watermark }),
      onRejected: (r, metric, error) => out.rejected.push({ device: r.device, ts: r.ts, metric, code: error.code }),
    },
    from ? { from } : {},
  );
}

function apply(engine: WindowEngine, clock: FakeClock, step: Step): void {
  if ('advance' in step) clock.advance(step.advance);
  else if ('flush' in step) engine.flush();
  else engine.add({ ...step.reading, tsFromArrival: false, receivedAt: clock.now() });
}

/** A snapshot as taken, with its panes as the arrays they stringify to (PanesCopy), without going through JSON. */
function plain(snapshot: WindowSnapshot): WindowSnapshot {
  return { ...snapshot, devices: snapshot.devices.map((d) => ({ ...d, keys: d.keys.map((k) => ({ ...k, panes: [...k.panes] })) })) };
}

/** Run the steps, replacing the engine by a restored copy of its JSON snapshot before each cut. */
function run(steps: readonly Step[], cuts: readonly number[], staggerMs = 0): Outputs & { stats: WindowEngineStats } {
  const clock = new FakeClock(T0);
  const out: Outputs = { summaries: [], late: [], rejected: [] };
  let engine = engineOn(clock, out, undefined, staggerMs);
  steps.forEach((step, i) => {
    if (cuts.includes(i)) {
      const snapshot = engine.snapshot();
      const stored = JSON.parse(JSON.stringify(snapshot)) as WindowSnapshot;
      expect(stored).toEqual(plain(snapshot)); // nothing lost to JSON (no Infinity turned into null)
      engine.close();
      engine = engineOn(clock, out, stored, staggerMs);
    }
    apply(engine, clock, step);
  });
  const stats = engine.stats;
  engine.close();
  expect(clock.pending).toBe(0);
  return { ...out, stats };
}

describe('window engine snapshot and restore', () => {
  // With a stagger too: each device's lag (out-of-orderness + its share) is not in the snapshot but
  // recomputed from its id on restore, and must come out the same.
  it.each([
    [11, 0],
    [12, 0],
    [13, 0],
    [14, 0],
    [15, 0],
    [16, 600],
    [17, 600],
  ])('seed %i, stagger %i ms: restored engines emit exactly what an uninterrupted one does', (seed, staggerMs) => {
    const steps = generate(seed, 600);
    const reference = run(steps, [], staggerMs);
    // The stream exercises every path the snapshot must carry.
    expect(reference.summaries.some((s) => s.revision > 0)).toBe(true);
    expect(reference.summaries.some((s) => s.retracted)).toBe(true);
    expect(reference.late.length).toBeGreaterThan(0);
    expect(reference.rejected.length).toBeGreaterThan(0);
    expect(reference.stats.readingsIn).toBe(600);

    const random = prng(seed * 1000);
    for (let trial = 0; trial < 6; trial++) {
      // One to four cuts at random steps (chained restores), none at all in trial 0.
      const cuts = Array.from({ length: trial === 0 ? 1 : 1 + Math.floor(random() * 4) }, () => Math.floor(random() * steps.length));
      const restored = run(steps, cuts, staggerMs);
      expect(restored.summaries, `cuts at ${cuts.join(', ')}`).toEqual(reference.summaries);
      expect(restored.late).toEqual(reference.late);
      expect(restored.rejected).toEqual(reference.rejected);
      expect(restored.stats).toEqual(reference.stats);
    }
  });

  it('refuses a snapshot whose panes are out of order or short of numbers (ERR_STORE_CORRUPT), not holding a wrong window', () => {
    const clock = new FakeClock(T0);
    const out: Outputs = { summaries: [], late: [], rejected: [] };
    const engine = engineOn(clock, out);
    for (const ts of [T0 + 100, T0 + 1100, T0 + 2100]) engine.add({ device: 'd0', ts, values: { a: 1 }, tsFromArrival: false, receivedAt: clock.now() });
    const good = JSON.parse(JSON.stringify(engine.snapshot())) as WindowSnapshot;
    engine.close();
    const panesOf = (snapshot: WindowSnapshot) => snapshot.devices[0]!.keys[0]!.panes as PartialsSnapshot[];
    expect(panesOf(good).length).toBe(3);
    const swapped = structuredClone(good);
    panesOf(swapped).reverse();
    const short = structuredClone(good);
    panesOf(short)[1]!.pop();
    for (const bad of [swapped, short]) expect(() => engineOn(clock, out, bad)).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
    engineOn(clock, out, good).close();
  });

  it('carries the idle timer phase: a device goes idle at the same tick after a restore', () => {
    const steps: Step[] = [{ reading: { device: 'd0', ts: T0 + 100, values: { a: 1 } } }, { advance: 1700 }];
    for (let i = 0; i < 8; i++) steps.push({ advance: 500 });
    const reference = run(steps, []);
    expect(reference.summaries.length).toBeGreaterThan(0); // closed by the idle rule, not by data
    expect(run(steps, [2, 5]).summaries).toEqual(reference.summaries);
  });

  it('holds the idle timer until asked, so a replay is not overtaken by it', () => {
    const clock = new FakeClock(T0);
    const out: Outputs = { summaries: [], late: [], rejected: [] };
    const first = engineOn(clock, out);
    first.add({ device: 'd0', ts: T0, tsFromArrival: false, receivedAt: T0, values: { a: 1 } });
    const snapshot = first.snapshot();
    first.close();
    const restored = createWindowEngine({ ...config, clock, onSummary: (s) => out.summaries.push(s), onLate: () => {}, onRejected: () => {} }, { from: snapshot, holdIdleTimer: true });
    clock.advance(60_000);
    expect(restored.watermark('d0')).toBe(T0 - config.maxOutOfOrdernessMs);
    expect(clock.pending).toBe(0);
    expect(out.summaries).toEqual([]);
    restored.startIdleTimer();
    clock.advance(1000);
    // The device has been silent a minute: its windows close (and, past lateness, it is forgotten).
    expect(out.summaries.map((s) => s.window.kind).sort()).toEqual(['hopping', 'hopping', 'hopping', 'hopping', 'session', 'tumbling']);
    restored.close();
  });

  it.each([
    { what: 'another gateway', change: { gateway: 'gw-2' } },
    { what: 'other windows', change: { windows: [{ kind: 'tumbling', sizeMs: 2000 }] } },
    { what: 'another lateness', change: { allowedLatenessMs: 10 } },
    { what: 'another out-of-orderness', change: { maxOutOfOrdernessMs: 10 } },
    { what: 'a stagger', change: { staggerMs: 500 } },
  ] as const)('refuses a snapshot taken with $what (ERR_CHECKPOINT_INCOMPATIBLE)', ({ change }) => {
    const clock = new FakeClock(T0);
    const out: Outputs = { summaries: [], late: [], rejected: [] };
    const engine = engineOn(clock, out);
    const snapshot = engine.snapshot();
    engine.close();
    const options = { ...config, ...change, clock, onSummary: () => {}, onLate: () => {}, onRejected: () => {} };
    expect(() => createWindowEngine(options, { from: snapshot })).toThrow(expect.objectContaining({ code: 'ERR_CHECKPOINT_INCOMPATIBLE' }));
    // The idle timeout and key limit are not part of the state: changing them is fine.
    createWindowEngine({ ...config, idleTimeoutMs: 9999, maxKeys: 1, clock, onSummary: () => {}, onLate: () => {}, onRejected: () => {} }, { from: snapshot }).close();
  });
});
