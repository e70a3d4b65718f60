// Detection lead time: the first alert inside each labelled anomaly, its delay after the start and
// its lead before the labelled instant (or the end), and anomalies built from SKAB point labels and
// NAB windows.

import { describe, expect, it } from 'vitest';
import { alertTimes, anomalySegments, leadTimes, nabAnomalies, type LabelledAnomaly } from '../../edge/eval/lead-time.js';

const S = 1000;

describe('lead time', () => {
  const seg: LabelledAnomaly = { start: 100 * S, end: 200 * S, name: 'seg' };
  const labelled: LabelledAnomaly = { start: 100 * S, end: 200 * S, instant: 150 * S, name: 'nab' };

  // [case, anomaly, alert instants, expected alert, lead, delay] (undefined = missed)
  const cases: Array<[string, LabelledAnomaly, number[], number | undefined, number | undefined, number | undefined]> = [
    ['alert at the start', seg, [100 * S], 100 * S, 100 * S, 0],
    ['alert at the end', seg, [200 * S], 200 * S, 0, 100 * S],
    ['only the first alert inside counts; alerts before the start do not', seg, [50 * S, 130 * S, 120 * S, 190 * S], 120 * S, 80 * S, 20 * S],
    ['alerts outside only: missed', seg, [99 * S, 201 * S], undefined, undefined, undefined],
    ['no alerts: missed', seg, [], undefined, undefined, undefined],
    ['lead is measured to the labelled instant where there is one', labelled, [120 * S], 120 * S, 30 * S, 20 * S],
    ['an alert after the labelled instant has a negative lead', labelled, [170 * S], 170 * S, -20 * S, 70 * S],
  ];
  for (const [name, anomaly, alerts, alert, lead, delay] of cases) {
    it(name, () => {
      const r = leadTimes([anomaly], alerts);
      const d = r.anomalies[0]!;
      expect([d.alert, d.lead, d.delay]).toEqual([alert, lead, delay]);
      expect([r.detected, r.missed]).toEqual(alert === undefined ? [0, 1] : [1, 0]);
    });
  }

  it('summarises over several anomalies: counts, mean and median over the detected ones', () => {
    const anomalies = [
      { start: 0, end: 10 * S },
      { start: 20 * S, end: 30 * S },
      { start: 40 * S, end: 50 * S },
      { start: 60 * S, end: 70 * S },
    ];
    const r = leadTimes(anomalies, [2 * S, 29 * S, 45 * S]); // delays 2, 9, 5 s; leads 8, 1, 5 s; the last missed
    expect([r.detected, r.missed]).toEqual([3, 1]);
    expect(r.meanDelay).toBeCloseTo((16 * S) / 3, 9);
    expect(r.medianDelay).toBe(5 * S);
    expect(r.meanLead).toBeCloseTo((14 * S) / 3, 9);
    expect(r.medianLead).toBe(5 * S);
    const none = leadTimes(anomalies, []);
    expect(none.meanLead).toBeNaN();
    expect(none.medianDelay).toBeNaN();
    expect(() => leadTimes([{ start: 2, end: 1 }], [])).toThrow(TypeError);
  });

  it('takes alert instants from per-row flags', () => {
    expect(alertTimes([1, 2, 3, 4], Uint8Array.of(0, 1, 0, 1))).toEqual([2, 4]);
    expect(() => alertTimes([1, 2], [1])).toThrow(TypeError);
  });
});

describe('anomalies from labels', () => {
  it('turns each run of labelled rows into one anomaly, first row to last', () => {
    const ts = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => i * S);
    expect(anomalySegments(ts, Uint8Array.of(0, 1, 1, 0, 0, 1, 1, 1), 'valve1/0.csv')).toEqual([
      { start: 1 * S, end: 2 * S, name: 'valve1/0.csv#1' },
      { start: 5 * S, end: 7 * S, name: 'valve1/0.csv#2' },
    ]);
    expect(anomalySegments(ts, new Uint8Array(8))).toEqual([]);
    expect(anomalySegments([0], [1])).toEqual([{ start: 0, end: 0, name: 'anomaly#1' }]);
  });

  it('gives each NAB window the labelled instant inside it', () => {
    const windows = [{ start: 0, end: 10 * S }, { start: 20 * S, end: 30 * S }];
    expect(nabAnomalies(windows, [25 * S, 5 * S], 'nyc_taxi.csv')).toEqual([
      { start: 0, end: 10 * S, instant: 5 * S, name: 'nyc_taxi.csv#1' },
      { start: 20 * S, end: 30 * S, instant: 25 * S, name: 'nyc_taxi.csv#2' },
    ]);
    expect(nabAnomalies(windows)[0]).toEqual({ start: 0, end: 10 * S, name: 'window#1' });
  });
});
