// Labels for evaluation: SKAB's label columns kept per row by the recording reader (aligned with the
// rows it keeps), NAB's label files read with coded errors, data files matched to their keys, and
// the simulator's ground truth read back; on the real files where ../shared/datasets exists.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRecording } from '../../edge/recording/recording.js';
import { nabLabelKey, parseNabLabels, parseNabProfiles, parseNabWindows, windowsFor } from '../../edge/eval/nab-labels.js';
import { NAB_PROFILES } from '../../edge/eval/nab-score.js';
import { anomalySegments, nabAnomalies } from '../../edge/eval/lead-time.js';
import { failureAnomalies, parseGroundTruth } from '../../edge/eval/ground-truth.js';
import { errorOf } from '../helpers/errors.js';

describe('recording labels', () => {
  const skab =
    'datetime;Current;Pressure;anomaly;changepoint\r\n' +
    '2020-03-09 10:14:33;1.33;0.05;0.0;0.0\n' +
    'garbage;1.34;0.06;1.0;1.0\r\n' + // unreadable timestamp: skipped, and its labels with it
    '2020-03-09 10:14:35;1.35;0.07;1.0;1.0\n' +
    '2020-03-09 10:14:36;;;1.0;0.0\n' + // no value: skipped
    '2020-03-09 10:14:37;1.36;0.08;1.0;0.0\n' +
    '2020-03-09 10:14:38;1.37;0.09;0.0;1.0';

  it('keeps anomaly and changepoint per kept row, aligned with the rows', () => {
    const r = parseRecording(skab, 'skab.csv', undefined, { keepLabels: true });
    expect(r.rows.map((row) => row.ts - r.rows[0]!.ts)).toEqual([0, 2000, 4000, 5000]);
    expect(r.skipped).toBe(2);
    expect([...r.labels!.anomaly!]).toEqual([0, 1, 1, 0]);
    expect([...r.labels!.changepoint!]).toEqual([0, 1, 0, 1]);
    expect(r.metrics).toEqual(['Current', 'Pressure']);
  });

  it('leaves labels out unless asked, and gives {} for a file without label columns', () => {
    expect(parseRecording(skab, 'skab.csv').labels).toBeUndefined();
    const nab = parseRecording('timestamp,value\n2014-03-09 03:00:00,1\n2014-03-09 03:00:00,2\n2014-03-09 03:05:00,3', 'nab.csv', undefined, { keepLabels: true });
    expect(nab.labels).toEqual({});
    // Repeated timestamps are all kept, and the last row without a final newline too.
    expect(nab.rows.map((r) => r.values.value)).toEqual([1, 2, 3]);
  });

  it('refuses a label cell that is not 0 or 1, naming the line', () => {
    const bad = 'datetime;a;anomaly\n2020-03-09 10:14:33;1;0.0\n2020-03-09 10:14:34;1;yes\n';
    const err = errorOf(() => parseRecording(bad, 'skab.csv', undefined, { keepLabels: true }));
    expect(err.code).toBe('ERR_SCENARIO_BAD_RECORDING');
    expect(err.message).toContain('line 3');
    // Without keepLabels the labels are not read, so replay is unaffected.
    expect(parseRecording(bad, 'skab.csv').rows).toHaveLength(2);
  });
});

describe('NAB label files', () => {
  const windowsJson = JSON.stringify({
    'realKnownCause/a.csv': [['2014-01-01 00:10:00.000000', '2014-01-01 00:20:00.000000']],
    'b.csv': [['2014-01-01 00:00:00', '2014-01-01 00:05:00'], ['2014-01-01 01:00:00', '2014-01-01 01:05:00']],
    'c.csv': [],
  });

  it('reads windows as UTC instants and matches data files to keys by folder/name, then name', () => {
    const w = parseNabWindows(windowsJson, 'w.json');
    expect(w.get('realKnownCause/a.csv')).toEqual([{ start: Date.UTC(2014, 0, 1, 0, 10), end: Date.UTC(2014, 0, 1, 0, 20) }]);
    expect(w.get('c.csv')).toEqual([]);
    const keys = [...w.keys()];
    expect(nabLabelKey('/data/nab/realKnownCause/a.csv', keys)).toBe('realKnownCause/a.csv');
    expect(nabLabelKey('C:\\nab\\realKnownCause\\b.csv', keys)).toBe('b.csv');
    expect(nabLabelKey('b.csv', keys)).toBe('b.csv');
    expect(nabLabelKey('/elsewhere/a.csv', keys)).toBeUndefined();
    const err = errorOf(() => windowsFor(w, '/elsewhere/a.csv', 'w.json'));
    expect(err.code).toBe('ERR_EVAL_LABELS');
    expect(err.message).toContain('elsewhere/a.csv or a.csv');
  });

  it('reads labelled instants and profiles', () => {
    const labels = parseNabLabels(JSON.stringify({ 'a.csv': ['2014-01-01 00:15:00', '2014-01-01 00:01:00'] }), 'l.json');
    expect(labels.get('a.csv')).toEqual([Date.UTC(2014, 0, 1, 0, 1), Date.UTC(2014, 0, 1, 0, 15)]);
    const profiles = parseNabProfiles(JSON.stringify({ p: { CostMatrix: { tpWeight: 1, fpWeight: 0.5, fnWeight: 2, tnWeight: 1 } } }), 'p.json');
    expect(profiles).toEqual({ p: { tpWeight: 1, fpWeight: 0.5, fnWeight: 2 } });
  });

  const bad: Array<[string, string, (text: string) => unknown, string]> = [
    ['not JSON', '{', (t) => parseNabWindows(t, 'f.json'), 'not JSON'],
    ['an array', '[]', (t) => parseNabWindows(t, 'f.json'), 'JSON object'],
    ['a window that is not a pair', '{"a.csv": [["2014-01-01 00:00:00"]]}', (t) => parseNabWindows(t, 'f.json'), 'a.csv[0]'],
    ['a bad time', '{"a.csv": [["soon", "2014-01-01 00:00:00"]]}', (t) => parseNabWindows(t, 'f.json'), '"soon"'],
    ['a window ending before it starts', '{"a.csv": [["2014-01-02 00:00:00", "2014-01-01 00:00:00"]]}', (t) => parseNabWindows(t, 'f.json'), 'ends before'],
    [
      'overlapping windows',
      '{"a.csv": [["2014-01-01 00:00:00", "2014-01-01 02:00:00"], ["2014-01-01 01:00:00", "2014-01-01 03:00:00"]]}',
      (t) => parseNabWindows(t, 'f.json'),
      'overlap',
    ],
    ['labels that are not a list', '{"a.csv": "2014-01-01 00:00:00"}', (t) => parseNabLabels(t, 'f.json'), 'a.csv'],
    ['a profile without CostMatrix', '{"p": {"tpWeight": 1}}', (t) => parseNabProfiles(t, 'f.json'), 'CostMatrix'],
    ['a negative weight', '{"p": {"CostMatrix": {"tpWeight": 1, "fpWeight": -1, "fnWeight": 1}}}', (t) => parseNabProfiles(t, 'f.json'), 'fpWeight'],
    ['no profiles', '{}', (t) => parseNabProfiles(t, 'f.json'), 'no profiles'],
  ];
  for (const [name, text, parse, mention] of bad) {
    it(`refuses ${name} with ERR_EVAL_LABELS`, () => {
      const err = errorOf(() => parse(text));
      expect(err.code).toBe('ERR_EVAL_LABELS');
      expect(err.message).toContain('f.json');
      expect(err.message).toContain(mention);
    });
  }
});

describe('simulator ground truth', () => {
  it('reads device,failure,start,end with the ms columns, or ISO without them', () => {
    const withMs = 'device,failure,start,end,start_ms,end_ms\nmotor-1,bearing-wear,2024-11-24T10:00:00.000Z,2024-11-24T11:00:00.000Z,1000,5000\n';
    expect(parseGroundTruth(withMs, 'gt.csv')).toEqual([{ device: 'motor-1', failure: 'bearing-wear', start: 1000, end: 5000 }]);
    const iso = 'device,failure,start,end\r\nmotor-1,overheat,2024-11-24T10:00:00.000Z,2024-11-24T11:00:00.000Z\r\nmotor-2,stall,2024-11-24T10:30:00Z,2024-11-24T10:31:00Z\r\n';
    const failures = parseGroundTruth(iso, 'gt.csv');
    expect(failures[0]).toEqual({ device: 'motor-1', failure: 'overheat', start: Date.UTC(2024, 10, 24, 10), end: Date.UTC(2024, 10, 24, 11) });
    expect(failureAnomalies(failures, 'motor-2')).toEqual([{ start: Date.UTC(2024, 10, 24, 10, 30), end: Date.UTC(2024, 10, 24, 10, 31), name: 'motor-2 stall' }]);
    expect(failureAnomalies(failures)).toHaveLength(2);
  });

  it('refuses a wrong header or a row that ends before it starts', () => {
    expect(errorOf(() => parseGroundTruth('a,b\n1,2\n', 'gt.csv')).code).toBe('ERR_EVAL_LABELS');
    const err = errorOf(() => parseGroundTruth('device,failure,start,end\nm,f,2024-01-02T00:00:00Z,2024-01-01T00:00:00Z\n', 'gt.csv'));
    expect(err.message).toContain('line 2');
  });
});

const DATASETS = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));
const haveDatasets = existsSync(DATASETS);
if (!haveDatasets) console.warn(`eval-labels: ${DATASETS} is absent; the real-file label tests are skipped`);

describe.skipIf(!haveDatasets)(`labels of the real files in ${DATASETS}`, () => {
  const skabFiles = haveDatasets ? ['valve1', 'other'].flatMap((dir) => readdirSync(`${DATASETS}skab/${dir}`).map((f) => `${dir}/${f}`)) : [];

  it('keeps every SKAB row with its anomaly label, one contiguous segment per file', () => {
    expect(skabFiles).toHaveLength(25);
    for (const file of skabFiles) {
      const text = readFileSync(`${DATASETS}skab/${file}`, 'utf8');
      // Expected, read directly off the text: rows, and rows whose `anomaly` cell is 1.
      const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
      const at = lines[0]!.split(';').indexOf('anomaly');
      const expected = lines.slice(1).map((l) => Number(l.split(';')[at]));
      const r = parseRecording(text, file, undefined, { keepLabels: true });
      expect(r.skipped, file).toBe(0);
      expect(r.rows, file).toHaveLength(expected.length);
      expect([...r.labels!.anomaly!], file).toEqual(expected);
      expect(r.labels!.changepoint, file).toHaveLength(expected.length);
      expect(anomalySegments(r.rows.map((row) => row.ts), r.labels!.anomaly!), file).toHaveLength(1);
    }
    const free = parseRecording(readFileSync(`${DATASETS}skab/anomaly-free/anomaly-free.csv`, 'utf8'), 'free', undefined, { keepLabels: true });
    expect(free.labels).toEqual({});
  });

  it('matches every NAB data file to its windows and labelled instants; every window holds rows and one instant', () => {
    const windows = parseNabWindows(readFileSync(`${DATASETS}nab/combined_windows.json`, 'utf8'), 'combined_windows.json');
    const labels = parseNabLabels(readFileSync(`${DATASETS}nab/combined_labels.json`, 'utf8'), 'combined_labels.json');
    const files = readdirSync(`${DATASETS}nab/realKnownCause`).filter((f) => f.endsWith('.csv'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const path = `${DATASETS}nab/realKnownCause/${file}`;
      const text = readFileSync(path, 'utf8');
      const r = parseRecording(text, path, undefined, { keepLabels: true });
      // Every line is a row: repeated timestamps (ec2) and a last line without a newline (nyc_taxi) included.
      expect(r.rows, file).toHaveLength(text.trim().split(/\r?\n/).length - 1);
      const key = nabLabelKey(path, windows.keys())!;
      const ws = windows.get(key)!;
      expect(ws.length, file).toBeGreaterThan(0);
      const anomalies = nabAnomalies(ws, labels.get(nabLabelKey(path, labels.keys())!) ?? []);
      for (const a of anomalies) {
        expect(a.instant, `${file} ${a.name}`).toBeDefined();
        expect(r.rows.some((row) => row.ts >= a.start && row.ts <= a.end), `${file} ${a.name}`).toBe(true);
      }
    }
    expect(parseNabProfiles(readFileSync(`${DATASETS}nab/profiles.json`, 'utf8'), 'profiles.json')).toEqual(NAB_PROFILES);
  });
});
