import { describe, expect, it } from 'vitest';
import { ObservationAssembler } from '../../edge/analysis/observations.js';
import { windowSummary } from '../helpers/summaries.js';

const RETAIN_MS = 60_000;

describe('ObservationAssembler', () => {
  it('a revision carries the kept features of every metric, as they were', () => {
    const a = new ObservationAssembler(RETAIN_MS);
    a.add(windowSummary({ device: 'm-1', metric: 'temp', start: 0, values: [20.5, 21.25] }));
    a.add(windowSummary({ device: 'm-1', metric: 'vib', start: 0, values: [0.1, 0.7, 0.4] }));
    const [first] = a.drain();
    expect(first!.revised).toBe(false);
    // Late data changes vib only: temp's features come from what was kept.
    a.add(windowSummary({ device: 'm-1', metric: 'vib', start: 0, values: [0.1, 0.7, 0.4, 3], revision: 1 }));
    const [revised] = a.drain();
    expect(revised!.revised).toBe(true);
    expect(Object.keys(revised!.features)).toEqual(Object.keys(first!.features));
    for (const [k, v] of Object.entries(first!.features)) {
      if (k.startsWith('temp.')) expect(revised!.features[k], k).toBe(v);
    }
    expect(revised!.features['vib.max']).toBe(3);
    expect(revised!.features['temp.mean']).toBe(20.875);
  });

  it.each([
    { name: 'the same metrics', second: ['temp', 'vib'] },
    { name: 'a metric fewer', second: ['vib'] },
    { name: 'a metric more', second: ['temp', 'vib', 'rpm'] },
  ])('windows with $name than the one before keep their own features', ({ second }) => {
    const a = new ObservationAssembler(RETAIN_MS);
    for (const m of ['temp', 'vib']) a.add(windowSummary({ device: 'm-1', metric: m, start: 0, values: [1, 2] }));
    a.drain();
    for (const m of second) a.add(windowSummary({ device: 'm-1', metric: m, start: 10_000, values: [5, 7] }));
    const [kept] = a.drain();
    // Revise both windows with one metric each: each brings back its own metric set.
    a.add(windowSummary({ device: 'm-1', metric: 'vib', start: 0, values: [1, 2, 9], revision: 1 }));
    a.add(windowSummary({ device: 'm-1', metric: second[0]!, start: 10_000, values: [5, 7, 9], revision: 1 }));
    const [r0, r1] = a.drain();
    const metrics = (f: Record<string, number>) => [...new Set(Object.keys(f).map((k) => k.split('.')[0]))].sort();
    expect(metrics(r0!.features)).toEqual(['temp', 'vib']);
    expect(r0!.features['temp.max']).toBe(2);
    expect(metrics(r1!.features)).toEqual([...second].sort());
    expect(Object.keys(r1!.features).sort()).toEqual(Object.keys(kept!.features).sort());
    for (const m of second.slice(1)) expect(r1!.features[`${m}.max`]).toBe(7);
  });

  it('keeps windows of different sizes starting together apart, keeps one record per window, and forgets a retracted one', () => {
    const a = new ObservationAssembler(RETAIN_MS);
    for (const m of ['temp', 'vib']) {
      a.add(windowSummary({ device: 'm-1', metric: m, start: 0, size: 10_000, values: [1, 2] }));
      a.add(windowSummary({ device: 'm-1', metric: m, start: 0, size: 60_000, values: [3, 4] }));
      a.add(windowSummary({ device: 'm-1', metric: m, start: 0, kind: 'hopping', size: 60_000, slide: 10_000, values: [5, 6] }));
    }
    expect(a.drain()).toHaveLength(3);
    expect(a.retained).toBe(3);
    // A revision of each: every one brings back its own window's other metric, and nothing is kept twice.
    a.add(windowSummary({ device: 'm-1', metric: 'vib', start: 0, size: 10_000, values: [1, 2, 9], revision: 1 }));
    a.add(windowSummary({ device: 'm-1', metric: 'vib', start: 0, size: 60_000, values: [3, 4, 9], revision: 1 }));
    a.add(windowSummary({ device: 'm-1', metric: 'vib', start: 0, kind: 'hopping', size: 60_000, slide: 10_000, values: [5, 6, 9], revision: 1 }));
    expect(a.drain().map((o) => o.features['temp.max'])).toEqual([2, 4, 6]);
    expect(a.retained).toBe(3);
    // A retracted (session) window is forgotten: a later revision under it starts from nothing kept.
    a.add(windowSummary({ device: 'm-1', metric: 'temp', start: 0, kind: 'session', size: 5_000, values: [7] }));
    a.drain();
    expect(a.retained).toBe(4);
    a.add(windowSummary({ device: 'm-1', metric: 'temp', start: 0, kind: 'session', size: 5_000, values: [7], retracted: true }));
    a.drain();
    expect(a.retained).toBe(3);
    a.add(windowSummary({ device: 'm-1', metric: 'vib', start: 0, kind: 'session', size: 5_000, values: [8], revision: 1 }));
    const [session] = a.drain();
    expect(Object.keys(session!.features).every((k) => k.startsWith('vib.'))).toBe(true);
  });

  it('forgets windows older than the retention', () => {
    const a = new ObservationAssembler(RETAIN_MS);
    a.add(windowSummary({ device: 'm-1', metric: 'temp', start: 0 }));
    a.drain();
    a.add(windowSummary({ device: 'm-1', metric: 'temp', start: 100_000 }));
    a.drain();
    expect(a.retained).toBe(1);
    a.add(windowSummary({ device: 'm-1', metric: 'vib', start: 0, revision: 1 }));
    const [late] = a.drain();
    expect(Object.keys(late!.features).every((k) => k.startsWith('vib.'))).toBe(true);
  });
});
