// The engine against a brute-force model on random data: out-of-order, late and too-late readings
// over tumbling, hopping and session windows at once. After a flush, the last revision of every
// window must equal the features of exactly the readings the model accepted into it.

import { describe, expect, it } from 'vitest';
import { deriveFeatures, emptyPartials, mergeInto } from '../../edge/features/partials.js';
import type { Summary } from '../../edge/features/summary.js';
import { closeFeatures, prng, reference, runSteps, T0, type Step } from './window-harness.js';

const OOO = 300;
const LATENESS = 1500;
const GAP = 700;
const config = {
  windows: [
    { kind: 'tumbling', sizeMs: 1000 },
    { kind: 'hopping', sizeMs: 4000, slideMs: 1000 },
    { kind: 'session', gapMs: GAP },
  ],
  maxOutOfOrdernessMs: OOO,
  allowedLatenessMs: LATENESS,
  maxKeys: 1000,
} as const;
// Windows with a few readings clustered far from the window start lose ~1e-8 of the slope to
// rounding in the raw time moments (see partials.ts), so compare at 1e-6.
const TOL = 1e-6;

type Point = readonly [number, number];

interface Model {
  steps: Step[];
  /** Accepted points per device/metric (ts relative to T0), in arrival order. */
  accepted: Map<string, Point[]>;
  tooLate: Array<{ device: string; ts: number; watermark: number }>;
}

/** Random readings and the model's verdict on each: W = max ts − OOO per device; too late iff ts + L < W. */
function generate(seed: number): Model {
  const random = prng(seed);
  const steps: Step[] = [];
  const accepted = new Map<string, Point[]>();
  const tooLate: Model['tooLate'] = [];
  const devices = ['d1', 'd2', 'd3'].map((device) => ({ device, cursor: 0, maxTs: -Infinity, w: -Infinity }));
  for (let i = 0; i < 1200; i++) {
    const d = devices[Math.floor(random() * devices.length)]!;
    // Mostly dense, sometimes a silence longer than the gap; mostly in-bound delay, sometimes late or too late.
    d.cursor += random() < 0.1 ? 1000 + Math.floor(random() * 2000) : Math.floor(random() * 400);
    const ts = d.cursor - Math.floor(random() < 0.15 ? random() * 2500 : random() * 250);
    const values: Record<string, number> = { a: Math.round(random() * 1000) / 10 };
    if (random() < 0.5) values['b'] = Math.round(random() * 100 - 50);
    steps.push({ device: d.device, ts, values });
    if (ts + LATENESS < d.w) {
      tooLate.push({ device: d.device, ts, watermark: d.w });
      continue;
    }
    d.maxTs = Math.max(d.maxTs, ts);
    d.w = Math.max(d.w, d.maxTs - OOO);
    for (const [metric, v] of Object.entries(values)) {
      const key = `${d.device}/${metric}`;
      if (!accepted.has(key)) accepted.set(key, []);
      accepted.get(key)!.push([ts, v]);
    }
  }
  steps.push({ flush: true });
  return { steps, accepted, tooLate };
}

/** The last summary per id, checking each id's revisions run 0, 1, 2, ... in order. */
function latestById(summaries: readonly Summary[]): Map<string, Summary> {
  const latest = new Map<string, Summary>();
  for (const s of summaries) {
    const prev = latest.get(s.id);
    expect(s.revision, `revision order of ${s.window.kind} ${s.window.start - T0}`).toBe(prev === undefined ? 0 : prev.revision + 1);
    latest.set(s.id, s);
  }
  return latest;
}

/** Expected pane windows: for each window of the spec containing an accepted point, its points. */
function paneWindows(points: readonly Point[], size: number, slide: number): Map<number, Point[]> {
  const windows = new Map<number, Point[]>();
  for (const p of points) {
    const rel = p[0];
    for (let start = Math.floor(rel / slide) * slide; start > rel - size; start -= slide) {
      if (!windows.has(start)) windows.set(start, []);
      windows.get(start)!.push(p);
    }
  }
  return windows;
}

/** Expected sessions: sorted points split where consecutive readings are >= gap apart; points kept in arrival order. */
function sessions(points: readonly Point[]): Map<number, { end: number; points: Point[] }> {
  const sorted = [...points].sort((p, q) => p[0] - q[0]);
  const out = new Map<number, { end: number; points: Point[] }>();
  let group: Point[] = [];
  const close = () => {
    const members = new Set(group);
    out.set(group[0]![0], { end: group[group.length - 1]![0] + GAP, points: points.filter((p) => members.has(p)) });
  };
  for (const p of sorted) {
    if (group.length > 0 && p[0] - group[group.length - 1]![0] >= GAP) {
      close();
      group = [];
    }
    group.push(p);
  }
  if (group.length > 0) close();
  return out;
}

describe('window engine against a brute-force model', () => {
  it.each([1, 2, 3, 4, 5, 6])('seed %i', (seed) => {
    const model = generate(seed);
    const run = runSteps(config, model.steps);
    run.engine.close();
    const stepsIn = model.steps.length - 1;
    const valuesAccepted = [...model.accepted.values()].reduce((n, ps) => n + ps.length, 0);

    expect(run.late).toEqual(model.tooLate);
    expect(run.statsAfter.at(-1)).toMatchObject({ readingsIn: stepsIn, valuesIn: valuesAccepted, lateRejected: model.tooLate.length, windowsOpen: 0 });
    expect(model.tooLate.length).toBeGreaterThan(0); // the data exercises every path
    expect(run.statsAfter.at(-1)!.lateAccepted).toBeGreaterThan(0);

    const latest = latestById(run.summaries);
    for (const [key, points] of model.accepted) {
      const [device, metric] = key.split('/') as [string, string];
      const mine = [...latest.values()].filter((s) => s.device === device && s.metric === metric);

      for (const [kind, size, slide] of [['tumbling', 1000, 1000], ['hopping', 4000, 1000]] as const) {
        const expected = paneWindows(points, size, slide);
        const got = mine.filter((s) => s.window.kind === kind);
        expect(got.map((s) => s.window.start - T0).sort((a, b) => a - b), `${key} ${kind} windows`).toEqual([...expected.keys()].sort((a, b) => a - b));
        for (const s of got) expect(closeFeatures(s.features, reference(expected.get(s.window.start - T0)!), TOL), `${key} ${kind} ${s.window.start - T0}`).toEqual([]);
      }

      // Sessions: ids retracted last are gone; the rest are exactly the model's sessions.
      const expected = sessions(points);
      const live = mine.filter((s) => s.window.kind === 'session' && !s.retracted);
      expect(live.map((s) => [s.window.start - T0, s.window.end - T0]).sort((a, b) => a[0]! - b[0]!), `${key} sessions`).toEqual(
        [...expected.entries()].map(([start, e]) => [start, e.end]),
      );
      for (const s of live) expect(closeFeatures(s.features, reference(expected.get(s.window.start - T0)!.points), TOL), `${key} session ${s.window.start - T0}`).toEqual([]);
    }
  });

  it('a hopping window equals the merge of the panes (tumbling windows of the slide) it covers', () => {
    const model = generate(42);
    const run = runSteps(config, model.steps);
    run.engine.close();
    const latest = [...latestById(run.summaries).values()];
    const tumbling = new Map(latest.filter((s) => s.window.kind === 'tumbling').map((s) => [`${s.device}/${s.metric}/${s.window.start}`, s]));
    let checked = 0;
    for (const h of latest.filter((s) => s.window.kind === 'hopping')) {
      const merged = emptyPartials(h.window.start);
      for (let start = h.window.start; start < h.window.end; start += 1000) {
        const pane = tumbling.get(`${h.device}/${h.metric}/${start}`);
        if (pane) mergeInto(merged, pane.partials);
      }
      for (const k of ['count', 'min', 'max', 'first', 'firstTs', 'last', 'lastTs'] as const) expect(merged[k]).toBe(h.partials[k]);
      expect(closeFeatures(deriveFeatures(merged), h.features, TOL)).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
