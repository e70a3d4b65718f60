// Shared by the window tests: runs a table of steps (readings, clock advances, flushes) through a
// window engine on a fake clock, and an independent reference for features computed from raw points.

import { expect } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Reading } from '../../edge/decode/reading.js';
import { summaryId, type Features, type Summary } from '../../edge/features/summary.js';
import type { WindowEngine, WindowEngineOptions, WindowEngineStats } from '../../edge/window/contract.js';
import { createWindowEngine } from '../../edge/window/engine.js';

/** Event times in the tables are ms after T0 (aligned to a whole minute, so windows align to it). */
export const T0 = Date.UTC(2024, 10, 24, 12, 0, 0);
export const GATEWAY = 'gw-1';

export type Step =
  | { readonly device?: string; readonly ts: number; readonly values: Readonly<Record<string, number>> }
  | { readonly advance: number }
  | { readonly flush: true };

/** A summary as the tables spell it: times relative to T0, features rounded. */
export interface Brief {
  device: string;
  metric: string;
  kind: string;
  start: number;
  end: number;
  revision: number;
  retracted?: true;
  f: Partial<Features>;
}

export interface Run {
  readonly engine: WindowEngine;
  readonly clock: FakeClock;
  readonly summaries: Summary[];
  readonly late: Array<{ device: string; ts: number; watermark: number }>;
  readonly rejected: Array<{ device: string; metric: string; code: string }>;
  /** Stats after each step. */
  readonly statsAfter: WindowEngineStats[];
}

export const baseOptions = {
  gateway: GATEWAY,
  windows: [{ kind: 'tumbling', sizeMs: 1000 }],
  maxOutOfOrdernessMs: 200,
  allowedLatenessMs: 1000,
  idleTimeoutMs: 5000,
  maxKeys: 100,
} as const satisfies Partial<WindowEngineOptions>;

type Config = Omit<WindowEngineOptions, 'clock' | 'onSummary' | 'onLate' | 'onRejected'>;

export function reading(device: string, ts: number, values: Readonly<Record<string, number>>, receivedAt = 0): Reading {
  return { device, ts: T0 + ts, tsFromArrival: false, receivedAt, values };
}

/** Run the steps on a fresh engine (call `run.engine.close()` when done; `runSteps` leaves it open). */
export function runSteps(config: Partial<Config>, steps: readonly Step[]): Run {
  const clock = new FakeClock(T0);
  const summaries: Summary[] = [];
  const late: Run['late'] = [];
  const rejected: Run['rejected'] = [];
  const engine = createWindowEngine({
    ...baseOptions,
    ...config,
    clock,
    onSummary: (s) => summaries.push(s),
    onLate: (r, w) => late.push({ device: r.device, ts: r.ts - T0, watermark: w - T0 }),
    onRejected: (r, metric, error) => rejected.push({ device: r.device, metric, code: error.code }),
  });
  const statsAfter: WindowEngineStats[] = [];
  for (const step of steps) {
    if ('advance' in step) clock.advance(step.advance);
    else if ('flush' in step) engine.flush();
    else engine.add(reading(step.device ?? 'd1', step.ts, step.values, clock.now()));
    statsAfter.push(engine.stats);
  }
  return { engine, clock, summaries, late, rejected, statsAfter };
}

/** The table form of a summary; also checks its id is the deterministic one for its window. */
export function brief(s: Summary): Brief {
  const expectedId = summaryId(s.gateway, s.device, s.metric, s.window.kind, s.window.start, s.window.size);
  if (s.id !== expectedId) throw new Error(`summary id ${s.id} is not summaryId(...) = ${expectedId}`);
  const out: Brief = { device: s.device, metric: s.metric, kind: s.window.kind, start: s.window.start - T0, end: s.window.end - T0, revision: s.revision, f: round(s.features) };
  if (s.retracted) out.retracted = true;
  return out;
}

/** A pipeline table row: steps in; summaries (emission order), counters and callbacks out. */
export interface Case {
  readonly name: string;
  readonly config?: Partial<Config>;
  readonly steps: readonly Step[];
  /** `f` lists only the features to check. */
  readonly summaries: readonly Brief[];
  /** Counters after the last step. */
  readonly stats: Partial<WindowEngineStats>;
  readonly late?: Run['late'];
  readonly rejected?: Run['rejected'];
}

type Points = ReadonlyArray<readonly [number, number]>;

/**
 * An expected summary of device d1, metric x (override with `more`). `f` is features by hand, or
 * the window's raw points, whose features the independent `reference` computes.
 */
export function S(kind: string, start: number, end: number, revision: number, f: Partial<Features> | Points, more: Partial<Brief> = {}): Brief {
  const features = Array.isArray(f) ? reference(f as Points) : (f as Partial<Features>);
  return { device: 'd1', metric: 'x', kind, start, end, revision, f: round(features), ...more };
}

/** What a table row observed, in the row's own terms (only the features it lists). */
export function observe(c: Case): { summaries: Brief[]; stats: WindowEngineStats; late: Run['late']; rejected: Run['rejected'] } {
  const run = runSteps(c.config ?? {}, c.steps);
  try {
    const summaries = run.summaries.map(brief).map((g, i) => {
      const want = c.summaries[i];
      if (!want) return g;
      return { ...g, f: Object.fromEntries(Object.keys(want.f).map((k) => [k, g.f[k as keyof Features]])) };
    });
    return { summaries, stats: run.engine.stats, late: run.late, rejected: run.rejected };
  } finally {
    run.engine.close();
  }
}

/** Round every number to 9 significant digits so hand-computed expectations compare exactly. */
export function round<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = typeof v === 'number' ? Number(v.toPrecision(9)) : v;
  return out as T;
}

/**
 * Features of raw (ts ms, value) points by the textbook two-pass formulas: independent of the
 * partials code under test. `first`/`last` go by timestamp, ties by position.
 */
export function reference(points: ReadonlyArray<readonly [number, number]>): Features {
  const n = points.length;
  const vs = points.map((p) => p[1]);
  const sum = vs.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  const variance = vs.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  // Times relative to the first point: epoch seconds (~1.7e9) would keep only ~1e-7 s of precision.
  const ts = points.map((p) => (p[0] - points[0]![0]) / 1000);
  const meanT = ts.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (ts[i]! - meanT) ** 2;
    sxy += (ts[i]! - meanT) * (vs[i]! - mean);
  }
  let first = points[0]!;
  let last = points[0]!;
  for (const p of points) {
    if (p[0] < first[0]) first = p;
    if (p[0] >= last[0]) last = p;
  }
  const distinct = new Set(points.map((p) => p[0])).size;
  return {
    count: n,
    sum,
    min: Math.min(...vs),
    max: Math.max(...vs),
    mean,
    std: Math.sqrt(variance),
    rms: Math.sqrt(vs.reduce((a, v) => a + v * v, 0) / n),
    first: first[1],
    last: last[1],
    slope: distinct < 2 ? 0 : sxy / sxx,
    peakToPeak: Math.max(...vs) - Math.min(...vs),
  };
}

/** The features that differ by more than `tol` relative (absolute below 1): sums run in another order. */
export function closeFeatures(actual: Features, expected: Features, tol = 1e-9): string[] {
  const problems: string[] = [];
  for (const k of Object.keys(expected) as Array<keyof Features>) {
    const a = actual[k];
    const e = expected[k];
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) problems.push(`${k}: ${a} != ${e}`);
  }
  return problems;
}

export { prng } from '../helpers/prng.js';

/** Check one table row: its summaries, counters, late and rejected readings. */
export function expectCase(c: Case): void {
  const got = observe(c);
  expect(got.summaries).toEqual(c.summaries);
  expect(got.stats).toMatchObject(c.stats);
  expect(got.late).toEqual(c.late ?? []);
  expect(got.rejected).toEqual(c.rejected ?? []);
}
