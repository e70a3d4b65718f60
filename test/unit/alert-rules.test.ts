// Each windowed alert rule type as a table: one device's 10 s windows in, the events out (state
// and window index) and the rule's counters, raising and clearing through its hysteresis.

import { describe, expect, it } from 'vitest';
import { engineFor, feed, obs } from './alert-harness.js';

interface Case {
  readonly name: string;
  readonly rule: Readonly<Record<string, unknown>>;
  readonly detectors?: readonly unknown[];
  /** Per window: the feature's value (or the score, for `score` rules); null: the window lacks it. */
  readonly values: readonly (number | null)[];
  readonly events: readonly string[];
  readonly counters: { raised: number; updated: number; cleared: number };
}

const T = { type: 'threshold', name: 'hot', feature: 'temp.mean' } as const;
const R = { type: 'rate-of-change', name: 'fast', feature: 'temp.mean', limitPerSecond: 0.5 } as const;
const S = { type: 'score', name: 'anomalous' } as const;
const counts = (raised: number, updated: number, cleared: number) => ({ raised, updated, cleared });

const cases: Case[] = [
  // threshold
  {
    name: 'threshold above: raise after 1, clear after 1; still bad without doubling is no event',
    rule: { ...T, above: 80 },
    values: [70, 85, 86, 70, 90],
    events: ['raised@1', 'cleared@3', 'raised@4'],
    counters: counts(2, 0, 1),
  },
  {
    name: 'threshold: raise after 3 bad in a row; a good window in the middle starts the count again',
    rule: { ...T, above: 80, raiseAfter: 3 },
    values: [85, 85, 70, 85, 85, 85, 70],
    events: ['raised@5', 'cleared@6'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'threshold: clear after 2 good in a row; a bad window in the middle starts the count again',
    rule: { ...T, above: 80, clearAfter: 2 },
    values: [85, 70, 85, 70, 70, 70],
    events: ['raised@0', 'cleared@4'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'threshold below (9 → 8.5 is not twice as far below: no update)',
    rule: { ...T, below: 10 },
    values: [12, 9, 8.5, 12],
    events: ['raised@1', 'cleared@3'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'threshold above and below: one occurrence across both sides',
    rule: { ...T, above: 80, below: 10 },
    values: [50, 5, 90, 50],
    events: ['raised@1', 'cleared@3'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'threshold: a window without the feature is neither bad nor good',
    rule: { ...T, above: 80, raiseAfter: 2 },
    values: [85, null, 85, null, 70],
    events: ['raised@2', 'cleared@4'],
    counters: counts(1, 0, 1),
  },
  // rate-of-change: windows end 10 s apart, so a change of 5 is 0.5/s
  {
    name: 'rate-of-change either: |Δ|/s over the limit, first window has nothing to compare',
    rule: { ...R },
    values: [20, 21, 30, 31, 25],
    events: ['raised@2', 'cleared@3', 'raised@4'],
    counters: counts(2, 0, 1),
  },
  {
    name: 'rate-of-change rise: only increases count',
    rule: { ...R, direction: 'rise' },
    values: [20, 21, 30, 31, 25],
    events: ['raised@2', 'cleared@3'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'rate-of-change fall: only decreases count',
    rule: { ...R, direction: 'fall' },
    values: [20, 21, 30, 31, 25, 26],
    events: ['raised@4', 'cleared@5'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'rate-of-change across a gap: the rate is per second of the time between the windows',
    // 20 → 40 over 20 s is 1/s; 40 → 44 over 10 s is 0.4/s.
    rule: { ...R },
    values: [20, null, 40, 44],
    events: ['raised@2', 'cleared@3'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'rate-of-change: exactly at the limit is not over it',
    rule: { ...R },
    values: [20, 25, 30],
    events: [],
    counters: counts(0, 0, 0),
  },
  // score: the model's threshold is 0.5 in these observations
  {
    name: "score over the model's threshold in 2 of 3 windows",
    rule: { ...S, inWindows: 2, ofWindows: 3 },
    values: [0.9, 0.1, 0.9, 0.1, 0.1, 0.9],
    events: ['raised@2', 'cleared@3'],
    counters: counts(1, 0, 1),
  },
  {
    name: "score: a configured threshold overrides the model's",
    rule: { ...S, threshold: 0.95 },
    values: [0.9, 0.97, 0.9],
    events: ['raised@1', 'cleared@2'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'score: 3 of 5, clear after 2 windows below 3 of 5',
    // over-counts of the last ≤5: 1, 2, 3 (raise), 3, 3, 2 (good 1), 1 (good 2: clear), 0
    rule: { ...S, inWindows: 3, ofWindows: 5, clearAfter: 2 },
    values: [0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1],
    events: ['raised@2', 'cleared@6'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'score: windows without a score are not counted among the M',
    rule: { ...S, inWindows: 2, ofWindows: 2 },
    values: [0.9, null, 0.9, null, 0.1],
    events: ['raised@2', 'cleared@4'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'score: raise after 2 bad verdicts of 1-of-1 is two over in a row',
    rule: { ...S, raiseAfter: 2 },
    values: [0.9, 0.1, 0.9, 0.9, 0.2],
    events: ['raised@3', 'cleared@4'],
    counters: counts(1, 0, 1),
  },
  // detector
  {
    name: 'detector: robust-z fires on a spike, and the next normal window clears',
    // History 10, 11, 10, 9, 10, 11, 10: median 10, MAD 0, so the spread falls back to the mean absolute deviation (≈0.54).
    detectors: [{ name: 'z', kind: 'robust-z', feature: 'temp.mean', params: { window: 10, minSamples: 5 } }],
    rule: { type: 'detector', name: 'odd', detector: 'z' },
    values: [10, 11, 10, 9, 10, 11, 10, 50, 10, 10],
    events: ['raised@7', 'cleared@8'],
    counters: counts(1, 0, 1),
  },
  {
    name: 'detector: a change filter ignores the other kind (a spike is good for a level-shift rule)',
    // Reference ≈ 10 with robust spread 0.74; 30 at window 10 is a spike; 20 from window 14: its first value is a
    // spike too (recent median still 10.5), from window 15 the recent median is 20, a level shift.
    detectors: [{ name: 'ls', kind: 'level-shift', feature: 'temp.mean', params: { recent: 3, reference: 10, minSamples: 5 } }],
    rule: { type: 'detector', name: 'shifted', detector: 'ls', change: 'level-shift' },
    values: [10, 10.5, 9.5, 10, 10.5, 9.5, 10, 10.5, 9.5, 10, 30, 10, 10.5, 9.5, 20, 20.5],
    events: ['raised@15'],
    counters: counts(1, 0, 0),
  },
  {
    name: 'detector: a spike-only rule raises on the spike and on the first value of the new level',
    detectors: [{ name: 'ls', kind: 'level-shift', feature: 'temp.mean', params: { recent: 3, reference: 10, minSamples: 5 } }],
    rule: { type: 'detector', name: 'glitch', detector: 'ls', change: 'spike' },
    values: [10, 10.5, 9.5, 10, 10.5, 9.5, 10, 10.5, 9.5, 10, 30, 10, 10.5, 9.5, 20, 20.5],
    events: ['raised@10', 'cleared@11', 'raised@14', 'cleared@15'],
    counters: counts(2, 0, 2),
  },
];

describe('alert rules: raise and clear through hysteresis', () => {
  it.each(cases)('$name', (c) => {
    const { engine, clock } = engineFor({ rules: [c.rule], detectors: c.detectors ?? [] });
    const score = c.rule.type === 'score';
    const { briefs } = feed(engine, clock, c.values, (i, v) =>
      score ? obs(i, { 'temp.mean': 1 }, v === null ? {} : { score: v }) : obs(i, v === null ? {} : { 'temp.mean': v }),
    );
    expect(briefs).toEqual(c.events);
    expect(engine.counters.rules[c.rule.name as string]).toEqual(c.counters);
    expect(engine.counters.observations).toBe(c.values.length);
    expect(engine.open().length).toBe(c.counters.raised - c.counters.cleared);
  });
});
