// The per-row results CSV (`tributary eval --out`): written in NAB's timestamp form, read back
// exactly, refused with a coded error when malformed, and scored by the NAB scorer the same as the
// arrays it was written from.

import { describe, expect, it } from 'vitest';
import { formatNabTime, formatResultsCsv, parseResultsCsv, RESULTS_HEADER } from '../../edge/eval/results-csv.js';
import { scoreNabFile } from '../../edge/eval/nab-score.js';
import { parseRecording } from '../../edge/recording/recording.js';
import { errorOf } from '../helpers/errors.js';
import { prng } from '../helpers/prng.js';

const T0 = Date.UTC(2013, 6, 4);

describe('results CSV', () => {
  it('writes NAB-style UTC timestamps, milliseconds only when there are some', () => {
    expect(formatNabTime(T0)).toBe('2013-07-04 00:00:00');
    expect(formatNabTime(T0 + 3_723_045)).toBe('2013-07-04 01:02:03.045');
    // The recording reader reads that form back to the same instant.
    const text = formatResultsCsv({ ts: [T0, T0 + 1500], score: [0.25, NaN], alert: [0, 1] });
    expect(text).toBe(`${RESULTS_HEADER}\n2013-07-04 00:00:00,0.25,0\n2013-07-04 00:00:01.500,,1\n`);
  });

  it('round-trips every row exactly: times, scores (NaN as an empty cell), alerts, repeated timestamps', () => {
    const random = prng(7);
    const n = 500;
    const ts = Array.from({ length: n }, (_, i) => T0 + Math.floor(i / 3) * 300_000 + (i % 7 === 0 ? 250 : 0));
    const score = Array.from({ length: n }, (_, i) => (i % 50 === 0 ? NaN : random() * 10 ** Math.floor(random() * 8 - 4)));
    const alert = Array.from({ length: n }, () => (random() < 0.1 ? 1 : 0));
    const back = parseResultsCsv(formatResultsCsv({ ts, score, alert }), 'out.csv');
    expect([...back.ts]).toEqual(ts);
    expect([...back.score]).toEqual(score);
    expect([...back.alert]).toEqual(alert);
  });

  it('reads columns by name, CRLF and no final newline included', () => {
    const r = parseResultsCsv('alert,timestamp,extra,anomaly_score\r\n1,2013-07-04 00:00:00,x,0.5\r\n0,2013-07-04 01:00:00,y,0.1', 'r.csv');
    expect([...r.ts]).toEqual([T0, T0 + 3_600_000]);
    expect([...r.score]).toEqual([0.5, 0.1]);
    expect([...r.alert]).toEqual([1, 0]);
  });

  const bad: Array<[string, string, string]> = [
    ['a wrong header', 'timestamp,value\n2013-07-04 00:00:00,1\n', 'header'],
    ['no rows', `${RESULTS_HEADER}\n`, 'no rows'],
    ['a bad timestamp', `${RESULTS_HEADER}\nlater,0.1,0\n`, 'line 2'],
    ['a bad score', `${RESULTS_HEADER}\n2013-07-04 00:00:00,high,0\n`, 'anomaly_score'],
    ['an alert that is not 0 or 1', `${RESULTS_HEADER}\n2013-07-04 00:00:00,0.1,2\n`, 'alert'],
    ['a missing alert', `${RESULTS_HEADER}\n2013-07-04 00:00:00,0.1\n`, 'alert'],
  ];
  for (const [name, text, mention] of bad) {
    it(`refuses ${name} with ERR_EVAL_RESULTS`, () => {
      const err = errorOf(() => parseResultsCsv(text, 'r.csv'));
      expect(err.code).toBe('ERR_EVAL_RESULTS');
      expect(err.message).toContain('r.csv');
      expect(err.message).toContain(mention);
    });
  }

  it('scores the same with NAB when read back as when scored from the arrays', () => {
    // A recording written, scored, the results written and read back: the NAB result is identical.
    const rows = Array.from({ length: 200 }, (_, i) => `${formatNabTime(T0 + i * 3_600_000)},${Math.sin(i / 5)}`);
    const recording = parseRecording(`timestamp,value\n${rows.join('\n')}`, 'r.csv');
    const ts = recording.rows.map((r) => r.ts);
    const score = recording.rows.map((r) => Math.abs(r.values.value!));
    const alert = score.map((s, i) => (s > 0.99 && i > 60 ? 1 : 0));
    const windows = [{ start: T0 + 100 * 3_600_000, end: T0 + 130 * 3_600_000 }];
    const direct = scoreNabFile('r.csv', ts, alert, windows);
    const back = parseResultsCsv(formatResultsCsv({ ts, score, alert }), 'out.csv');
    const reread = scoreNabFile('out.csv', back.ts, back.alert, windows);
    expect(reread.scores).toEqual(direct.scores);
    expect(direct.falsePositives.length + direct.windows.filter((w) => w.detectedRow >= 0).length).toBeGreaterThan(0);
  });
});
