// NAB scoring: small synthetic files where each expected value follows from NAB's rules by hand
// (σ̃(x) = 2·sigmoid(−5x) − 1 = −tanh(5x/2)), and Numenta HTM's published per-row scores on the
// ambient-temperature file reproduced row by row where ../shared/datasets exists.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  detectionsFromScores,
  NAB_PROFILES,
  probationaryRows,
  scaledSigmoid,
  scoreNabFile,
  sumNabScores,
  type NabWindow,
} from '../../edge/eval/nab-score.js';
import { parseNabProfiles, parseNabWindows, windowsFor } from '../../edge/eval/nab-labels.js';
import { parseRecording } from '../../edge/recording/recording.js';
import { errorOf } from '../helpers/errors.js';

const T0 = Date.UTC(2014, 0, 1);
const MIN = 60_000;
const STD = NAB_PROFILES.standard!;
const ROWS = 100; // probationary period: floor(0.15 × 100) = 15 rows
const ts = Array.from({ length: ROWS }, (_, i) => T0 + i * MIN);
const rowsWindow = (first: number, last: number): NabWindow => ({ start: T0 + first * MIN, end: T0 + last * MIN });
const W = rowsWindow(40, 49); // 10 rows
const detectAt = (...rows: number[]) => Uint8Array.from(ts, (_, i) => (rows.includes(i) ? 1 : 0));

// A TP at row d of a window ending at row `last` with `len` rows: tanh(2.5(last − d + 1)/len) / tanh(2.5).
const tp = (d: number, last: number, len: number) => Math.tanh((2.5 * (last - d + 1)) / len) / Math.tanh(2.5);
// A FP `k` rows after a window of `len` rows: −fpWeight · tanh(2.5k/(len − 1)), or −fpWeight past 3 lengths.
const fpAfter = (k: number, len: number, fpWeight = STD.fpWeight) => (k / (len - 1) > 3 ? -fpWeight : -fpWeight * Math.tanh((2.5 * k) / (len - 1)));

describe('NAB scoring rules', () => {
  it('scaled sigmoid and probationary period follow NAB', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5); // NAB's docstring values
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3)).toBeCloseTo(-Math.tanh(7.5), 12);
    expect(scaledSigmoid(3.0001)).toBe(-1);
    const table: Array<[number, number]> = [[100, 15], [4999, 749], [5000, 750], [5001, 750], [7267, 750], [18050, 750], [1882, 282]];
    for (const [rows, expected] of table) expect(probationaryRows(rows), `${rows} rows`).toBe(expected);
    expect(probationaryRows(1000, 0.1)).toBe(100);
    expect([...detectionsFromScores([0.2, 0.5, 0.7, NaN], 0.5)]).toEqual([0, 1, 1, 0]);
  });

  // [case, detection rows, windows, expected raw (standard), expected FN/TP windows]
  const cases: Array<[string, number[], NabWindow[], number]> = [
    ['no detection: one false negative', [], [W], -1],
    ['detection on the window start: the full TP weight', [40], [W], 1],
    ['detection on the window end', [49], [W], tp(49, 49, 10)],
    ['detection in the middle', [45], [W], tp(45, 49, 10)],
    ['two detections in one window: only the first counts', [42, 45], [W], tp(42, 49, 10)],
    ['detection before any window: −fpWeight, and the window is missed', [30], [W], -STD.fpWeight - 1],
    ['detection just after the window costs little', [50], [W], fpAfter(1, 10) - 1],
    ['detection 27 rows (3 lengths) after the window', [76], [W], fpAfter(27, 10) - 1],
    ['detection beyond 3 lengths after the window: −fpWeight', [77], [W], -STD.fpWeight - 1],
    ['detections in the probationary period are not scored', [3, 14], [W], -1],
    ['a detection inside and one after', [41, 60], [W], tp(41, 49, 10) + fpAfter(11, 10)],
    [
      'a FP is measured from the closest preceding window',
      [45, 75, 90],
      [rowsWindow(20, 29), W],
      -1 + tp(45, 49, 10) + fpAfter(26, 10) + fpAfter(41, 10),
    ],
    ['a window whose rows are all probationary is not scored', [5, 30], [rowsWindow(2, 8)], fpAfter(22, 7)],
    ['a window straddling the probationary period: only rows after it count', [12, 17], [rowsWindow(10, 19)], tp(17, 19, 10)],
  ];
  for (const [name, rows, windows, raw] of cases) {
    it(name, () => {
      const r = scoreNabFile('synthetic.csv', ts, detectAt(...rows), windows);
      const s = r.scores.standard!;
      expect(s.raw).toBeCloseTo(raw, 12);
      // S(t) sums to the raw score, and only window starts and false positives carry a value.
      expect(s.perRow.reduce((a, b) => a + b, 0)).toBeCloseTo(raw, 12);
      const marked = new Set([...r.windows.filter((w) => w.scored).map((w) => w.firstRow), ...r.falsePositives.map((f) => f.row)]);
      s.perRow.forEach((v, i) => {
        if (!marked.has(i)) expect(v, `row ${i}`).toBe(0);
      });
      const scored = r.windows.filter((w) => w.scored).length;
      expect(s.null).toBe(-scored);
      expect(s.perfect).toBe(scored);
      if (scored > 0) expect(s.normalised).toBeCloseTo((100 * (raw + scored)) / (2 * scored), 10);
      else expect(s.normalised).toBeNaN();
    });
  }

  it('puts the window value on its first row and each FP on its own row, per profile', () => {
    const r = scoreNabFile('synthetic.csv', ts, detectAt(30, 45, 55), [W]);
    expect(r.windows[0]).toMatchObject({ firstRow: 40, lastRow: 49, detectedRow: 45, scored: true, position: -0.5 });
    expect(r.falsePositives.map((f) => [f.row, f.after])).toEqual([[30, -1], [55, 0]]);
    expect(r.counts).toEqual({ tp: 1, fp: 2, tn: ROWS - 15 - 10 - 2, fn: 9 });
    for (const [profile, costs] of Object.entries(NAB_PROFILES)) {
      const s = r.scores[profile]!;
      expect(s.perRow[40]).toBeCloseTo(tp(45, 49, 10) * costs.tpWeight, 12);
      expect(s.perRow[30]).toBeCloseTo(-costs.fpWeight, 12);
      expect(s.perRow[55]).toBeCloseTo(fpAfter(6, 10, costs.fpWeight), 12);
    }
    // reward_low_FN_rate doubles the cost of a missed window.
    expect(scoreNabFile('synthetic.csv', ts, detectAt(), [W]).scores.reward_low_FN_rate!.raw).toBe(-2);
  });

  it('takes every row of a repeated timestamp into the window', () => {
    const dup = [T0, T0 + MIN, T0 + 2 * MIN, T0 + 2 * MIN, T0 + 2 * MIN, T0 + 3 * MIN];
    const r = scoreNabFile('dup.csv', dup, Uint8Array.of(0, 0, 0, 0, 1, 0), [{ start: T0 + 2 * MIN, end: T0 + 2 * MIN }], NAB_PROFILES, { probationPercent: 0 });
    expect(r.windows[0]).toMatchObject({ firstRow: 2, lastRow: 4, detectedRow: 4 });
    expect(r.scores.standard!.raw).toBeCloseTo(tp(4, 4, 3), 12);
  });

  it('adds files up before normalising', () => {
    const a = scoreNabFile('a.csv', ts, detectAt(40), [W]);
    const b = scoreNabFile('b.csv', ts, detectAt(), [rowsWindow(20, 29), W]);
    const total = sumNabScores([a, b]).standard!;
    expect(total).toEqual({ raw: 1 - 2, null: -3, perfect: 3, normalised: (100 * (-1 + 3)) / 6 });
  });

  it('refuses rows out of time order and windows that hold no row, with coded errors', () => {
    expect(errorOf(() => scoreNabFile('x.csv', [T0 + MIN, T0], [0, 0], [])).code).toBe('ERR_EVAL_MISMATCH');
    const empty = errorOf(() => scoreNabFile('x.csv', ts, detectAt(), [{ start: T0 - 10 * MIN, end: T0 - MIN }]));
    expect(empty.code).toBe('ERR_EVAL_MISMATCH');
    expect(empty.message).toContain('x.csv');
    expect(() => scoreNabFile('x.csv', ts, [1], [])).toThrow(TypeError);
  });
});

const DATASETS = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));
const haveDatasets = existsSync(DATASETS);
if (!haveDatasets) console.warn(`eval-nab: ${DATASETS} is absent; the Numenta HTM reproduction is skipped`);

// NAB's config/thresholds.json for the `numenta` detector (Numenta HTM): a row is a detection when
// its anomaly_score is at least the profile's threshold. The published S(t) columns were scored with these.
const HTM_THRESHOLDS: Record<string, number> = {
  standard: 0.5421876907348634,
  reward_low_FP_rate: 0.5751955032348636,
  reward_low_FN_rate: 0.5421876907348634,
};

describe.skipIf(!haveDatasets)('Numenta HTM on ambient_temperature_system_failure.csv', () => {
  const nab = `${DATASETS}nab/`;
  const lines = haveDatasets ? readFileSync(`${nab}numenta_htm_ambient_temperature_system_failure.csv`, 'utf8').trim().split(/\r?\n/) : [];
  const header = lines[0]?.split(',') ?? [];
  const column = (name: string) => {
    const at = header.indexOf(name);
    return lines.slice(1).map((l) => l.split(',')[at]!);
  };

  it('reproduces the published S(t) of every row, for every profile', () => {
    const htmTs = column('timestamp').map((t) => Date.parse(`${t.replace(' ', 'T')}Z`));
    // The results file's rows are the data file's rows.
    const data = parseRecording(readFileSync(`${nab}realKnownCause/ambient_temperature_system_failure.csv`, 'utf8'), 'ambient');
    expect(htmTs).toEqual(data.rows.map((r) => r.ts));
    const windows = windowsFor(parseNabWindows(readFileSync(`${nab}combined_windows.json`, 'utf8'), 'combined_windows.json'), `${nab}realKnownCause/ambient_temperature_system_failure.csv`, 'combined_windows.json');
    const profiles = parseNabProfiles(readFileSync(`${nab}profiles.json`, 'utf8'), 'profiles.json');
    const scores = column('anomaly_score').map(Number);
    for (const [profile, threshold] of Object.entries(HTM_THRESHOLDS)) {
      const result = scoreNabFile('ambient', htmTs, detectionsFromScores(scores, threshold), windows, { [profile]: profiles[profile]! });
      const mine = result.scores[profile]!;
      const published = column(`S(t)_${profile}`).map(Number);
      expect(mine.perRow).toHaveLength(published.length);
      const wrong = published.flatMap((p, i) => (Math.abs(mine.perRow[i]! - p) > 1e-9 ? [`row ${i}: ${mine.perRow[i]} vs ${p}`] : []));
      expect(wrong, profile).toEqual([]);
      expect(mine.raw).toBeCloseTo(published.reduce((a, b) => a + b, 0), 9);
      // Two windows: null −2·fnWeight, perfect 2·tpWeight.
      const c = profiles[profile]!;
      expect(mine.normalised).toBeCloseTo((100 * (mine.raw + 2 * c.fnWeight)) / (2 * c.tpWeight + 2 * c.fnWeight), 9);
    }
  });
});
