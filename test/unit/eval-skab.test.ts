// SKAB's outlier metrics: confusion counts per file after the fitting rows, F1/FAR/MAR from the
// counts summed over files (SKAB's leaderboard), on tables small enough to count by hand.

import { describe, expect, it } from 'vitest';
import { confusionCounts, evaluateSkab, SKAB_FIT_ROWS, skabMetrics } from '../../edge/eval/skab-metrics.js';

const bits = (s: string) => Uint8Array.from(s, (c) => (c === '1' ? 1 : 0));

describe('SKAB confusion counts', () => {
  // [case, labels, alerts, skipRows, expected counts]
  const cases: Array<[string, string, string, number, { tp: number; fp: number; tn: number; fn: number }]> = [
    ['perfect detector', '0011100', '0011100', 0, { tp: 3, fp: 0, tn: 4, fn: 0 }],
    ['null detector', '0011100', '0000000', 0, { tp: 0, fp: 0, tn: 4, fn: 3 }],
    ['late and noisy', '0011100', '1000110', 0, { tp: 1, fp: 2, tn: 2, fn: 2 }],
    ['skipped rows are not counted, alerts or not', '1111000111', '1100000101', 4, { tp: 2, fp: 0, tn: 3, fn: 1 }],
    ['everything skipped', '0101', '1111', 4, { tp: 0, fp: 0, tn: 0, fn: 0 }],
  ];
  for (const [name, labels, alerts, skip, expected] of cases) {
    it(name, () => expect(confusionCounts(bits(labels), bits(alerts), skip)).toEqual(expected));
  }

  it('skips SKAB’s 400 fitting rows by default', () => {
    expect(SKAB_FIT_ROWS).toBe(400);
    const labels = new Uint8Array(500).fill(1, 300, 450); // anomaly rows 300..449
    const alerts = new Uint8Array(500).fill(1, 0, 420); // alerts rows 0..419
    expect(confusionCounts(labels, alerts)).toEqual({ tp: 20, fp: 0, tn: 50, fn: 30 });
    expect(confusionCounts(labels, alerts, 0)).toEqual({ tp: 120, fp: 300, tn: 50, fn: 30 });
  });

  it('refuses arrays of different lengths and a negative skip', () => {
    expect(() => confusionCounts(bits('01'), bits('0'))).toThrow(TypeError);
    expect(() => confusionCounts(bits('01'), bits('01'), -1)).toThrow(TypeError);
  });
});

describe('SKAB metrics', () => {
  it('computes F1 = TP/(TP + (FN+FP)/2), FAR = FP/(FP+TN), MAR = FN/(FN+TP)', () => {
    const m = skabMetrics({ tp: 6, fp: 2, tn: 18, fn: 4 });
    expect(m.rows).toBe(30);
    expect(m.f1).toBeCloseTo(6 / (6 + 3), 12);
    expect(m.far).toBeCloseTo(2 / 20, 12);
    expect(m.mar).toBeCloseTo(4 / 10, 12);
    // F1 in SKAB's form equals 2PR/(P+R).
    const p = 6 / 8;
    const r = 6 / 10;
    expect(m.f1).toBeCloseTo((2 * p * r) / (p + r), 12);
  });

  it('gives NaN where a rate has nothing to divide by', () => {
    const quiet = skabMetrics({ tp: 0, fp: 0, tn: 10, fn: 0 });
    expect(quiet.f1).toBeNaN();
    expect(quiet.mar).toBeNaN();
    expect(quiet.far).toBe(0);
    expect(skabMetrics({ tp: 0, fp: 0, tn: 0, fn: 0 }).far).toBeNaN();
  });

  it('adds the counts of all files before computing the overall figures, and reports each file', () => {
    const report = evaluateSkab(
      [
        { name: 'valve1/0.csv', labels: bits('00111100'), alerts: bits('00011110') }, // tp 3, fp 1, tn 3, fn 1
        { name: 'other/1.csv', labels: bits('0011'), alerts: bits('0000') }, //          tp 0, fp 0, tn 2, fn 2
      ],
      { skipRows: 0 },
    );
    expect(report.files.map((f) => [f.name, f.metrics.tp, f.metrics.fp, f.metrics.tn, f.metrics.fn])).toEqual([
      ['valve1/0.csv', 3, 1, 3, 1],
      ['other/1.csv', 0, 0, 2, 2],
    ]);
    expect(report.overall).toMatchObject({ tp: 3, fp: 1, tn: 5, fn: 3, rows: 12 });
    expect(report.overall.f1).toBeCloseTo(3 / (3 + 2), 12);
    expect(report.overall.far).toBeCloseTo(1 / 6, 12);
    expect(report.overall.mar).toBeCloseTo(3 / 6, 12);
    // Not the mean of the per-file F1s (0.75 and 0).
    expect(report.overall.f1).not.toBeCloseTo((report.files[0]!.metrics.f1 + 0) / 2, 3);
  });
});
