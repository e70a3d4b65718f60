// From readings and summaries to feature rows: the gateway's own window engine on a fake clock,
// then one row per (device, window) in manifest order.

import { describe, expect, it } from 'vitest';
import type { Features, Summary, WindowRef } from '../../edge/features/summary.js';
import { FeatureRowAssembler, featureRows, windowMatches } from '../../edge/model/feature-rows.js';
import { recordingReadings, windowReadings } from '../../edge/model/windowing.js';
import { parseRecording } from '../../edge/recording/recording.js';

const T0 = Date.UTC(2024, 10, 24);
const TUMBLING = { kind: 'tumbling', sizeMs: 10_000 } as const;

function summary(device: string, metric: string, start: number, features: Partial<Features>, extra: Partial<Summary> = {}): Summary {
  const f: Features = { count: 10, sum: 0, min: 0, max: 0, mean: 0, std: 0, rms: 0, first: 0, last: 0, slope: 0, peakToPeak: 0, ...features };
  const window: WindowRef = { kind: 'tumbling', start, end: start + 10_000, size: 10_000 };
  return { id: `${device}/${metric}/${start}`, revision: 0, gateway: 'g', device, metric, window, features: f, partials: {} as Summary['partials'], emittedAt: start, ...extra };
}

describe('windowMatches', () => {
  it.each<[Parameters<typeof windowMatches>[0], WindowRef, boolean]>([
    [TUMBLING, { kind: 'tumbling', start: 0, end: 10_000, size: 10_000 }, true],
    [TUMBLING, { kind: 'tumbling', start: 0, end: 60_000, size: 60_000 }, false],
    [TUMBLING, { kind: 'hopping', start: 0, end: 10_000, size: 10_000, slide: 10_000 }, false],
    [{ kind: 'hopping', sizeMs: 60_000, slideMs: 10_000 }, { kind: 'hopping', start: 0, end: 60_000, size: 60_000, slide: 10_000 }, true],
    [{ kind: 'hopping', sizeMs: 60_000, slideMs: 10_000 }, { kind: 'hopping', start: 0, end: 60_000, size: 60_000, slide: 20_000 }, false],
    [{ kind: 'session', gapMs: 30_000 }, { kind: 'session', start: 0, end: 95_000, size: 30_000 }, true],
  ])('%j against %j: %s', (spec, ref, expected) => {
    expect(windowMatches(spec, ref)).toBe(expected);
  });
});

describe('FeatureRowAssembler', () => {
  const features = ['vib.mean', 'temp.mean', 'vib.max'];

  it('joins the metrics of a device\'s window into one row in manifest order', () => {
    const { rows, incomplete } = featureRows(
      [summary('m1', 'temp', T0, { mean: 40 }), summary('m1', 'vib', T0, { mean: 1.5, max: 2 }), summary('m0', 'vib', T0, { mean: 1, max: 1 }), summary('m0', 'temp', T0, { mean: 30 })],
      features,
      TUMBLING,
    );
    expect(incomplete).toBe(0);
    expect(rows.map((r) => [r.device, r.start, Array.from(r.vector)])).toEqual([
      ['m0', T0, [1, 30, 1]],
      ['m1', T0, [1.5, 40, 2]],
    ]);
  });

  it('counts a window missing a metric as incomplete instead of inventing values', () => {
    const { rows, incomplete } = featureRows([summary('m1', 'vib', T0, { mean: 1 }), summary('m1', 'vib', T0 + 10_000, { mean: 1 }), summary('m1', 'temp', T0 + 10_000, { mean: 3 })], features, TUMBLING);
    expect(incomplete).toBe(1);
    expect(rows.map((r) => r.start)).toEqual([T0 + 10_000]);
  });

  it('lets a later revision replace the earlier values, and a retraction remove them', () => {
    const a = new FeatureRowAssembler(features, TUMBLING);
    a.add(summary('m1', 'vib', T0, { mean: 1, max: 1 }));
    a.add(summary('m1', 'temp', T0, { mean: 30 }));
    a.add(summary('m1', 'vib', T0, { mean: 2, max: 5 }, { revision: 1 }));
    expect(Array.from(a.rows().rows[0]!.vector)).toEqual([2, 30, 5]);
    a.add(summary('m1', 'temp', T0, { mean: 30 }, { revision: 2, retracted: true }));
    expect(a.rows()).toEqual({ rows: [], incomplete: 1 });
  });

  it('ignores other windows and metrics the manifest does not use', () => {
    const hourly = { ...summary('m1', 'vib', T0, { mean: 9 }), window: { kind: 'tumbling' as const, start: T0, end: T0 + 3_600_000, size: 3_600_000 } };
    const { rows } = featureRows([hourly, summary('m1', 'current', T0, { mean: 9 }), summary('m1', 'vib', T0, { mean: 1 }), summary('m1', 'temp', T0, { mean: 2 })], features, TUMBLING);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.vector[0]).toBe(1);
  });

  it('refuses a feature key it cannot read (a programmer mistake)', () => {
    expect(() => new FeatureRowAssembler(['vib.median'], TUMBLING)).toThrow(TypeError);
  });
});

describe('windowing a recording with the gateway\'s engine', () => {
  // One reading a second for 35 s: temp = i, vib = 2i. Tumbling 10 s windows close at 10, 20 and 30 s;
  // the one from 30 s is still open when the data ends, so it is left out.
  const csv = ['timestamp,temp,vib', ...Array.from({ length: 35 }, (_, i) => `${T0 + i * 1000},${i},${2 * i}`)].join('\n');

  it('gives the windows and features the gateway would', () => {
    const recording = parseRecording(csv, 'test.csv');
    const a = new FeatureRowAssembler(['temp.mean', 'vib.max', 'temp.slope', 'temp.count'], TUMBLING);
    const stats = windowReadings(recordingReadings(recording, 'rec-1'), { window: TUMBLING }, (s) => a.add(s));
    expect(stats).toEqual({ readings: 35, late: 0, summaries: 6 });
    const { rows } = a.rows();
    expect(rows.map((r) => [r.device, r.start - T0, r.end - T0, Array.from(r.vector)])).toEqual([
      ['rec-1', 0, 10_000, [4.5, 18, 1, 10]],
      ['rec-1', 10_000, 20_000, [14.5, 38, 1, 10]],
      ['rec-1', 20_000, 30_000, [24.5, 58, 1, 10]],
    ]);
  });

  it('counts readings too far behind the watermark as late', () => {
    const rows = [...recordingReadings(parseRecording(csv, 'test.csv'), 'rec-1')];
    const shuffled = [...rows.slice(0, 20), rows[2]!, ...rows.slice(20)];
    expect(windowReadings(shuffled, { window: TUMBLING }, () => {}).late).toBe(1);
  });
});
