// Replaying recordings: NAB, SKAB and generic CSV rows parsed (inline, and one real file of each
// benchmark where ../shared/datasets exists), the format detected, timestamps shifted and paced.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectFormat, metricName, parseRecording, parseTime } from '../../edge/recording/recording.js';
import { deviceFromPath, ReplayStream } from '../../devices/replay.js';
import { TributaryError } from '../../edge/errors/catalogue.js';

const DATASETS = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));
const haveDatasets = existsSync(DATASETS);

describe('recording formats', () => {
  it('parses NAB: timestamp,value, zone-less times read as UTC, no final newline', () => {
    const r = parseRecording('timestamp,value\n2013-07-04 00:00:00,69.88\n2013-07-04 01:00:00,71.22', 'nab.csv');
    expect(r.format).toBe('nab');
    expect(r.metrics).toEqual(['value']);
    expect(r.rows).toEqual([
      { ts: Date.UTC(2013, 6, 4, 0), values: { value: 69.88 } },
      { ts: Date.UTC(2013, 6, 4, 1), values: { value: 71.22 } },
    ]);
  });

  it('parses SKAB: ; separated, mixed CRLF/LF, label columns dropped, names made valid', () => {
    const text =
      'datetime;Accelerometer1RMS;Current;Volume Flow RateRMS;anomaly;changepoint\r\n' +
      '2020-03-09 10:14:33;0.0265878;1.3302;32.0;0.0;0.0\n' +
      '2020-03-09 10:14:34;0.0261697;1.35399;32.0;1.0;0.0\r\n';
    const r = parseRecording(text, 'skab.csv');
    expect(r.format).toBe('skab');
    expect(r.metrics).toEqual(['Accelerometer1RMS', 'Current', 'Volume_Flow_RateRMS']);
    expect(r.rows).toEqual([
      { ts: Date.UTC(2020, 2, 9, 10, 14, 33), values: { Accelerometer1RMS: 0.0265878, Current: 1.3302, Volume_Flow_RateRMS: 32 } },
      { ts: Date.UTC(2020, 2, 9, 10, 14, 34), values: { Accelerometer1RMS: 0.0261697, Current: 1.35399, Volume_Flow_RateRMS: 32 } },
    ]);
  });

  it('parses generic: a time column then metrics; ISO, ms and seconds; blank cells and unreadable rows', () => {
    const text = 'ts,temp,rh\n2024-11-24T10:00:00+01:00,20.5,40\n1732442400000,21,\n1732442401,,\nnot-a-time,1,2\n';
    const r = parseRecording(text, 'g.csv');
    expect(r.format).toBe('generic');
    expect(r.rows).toEqual([
      { ts: Date.UTC(2024, 10, 24, 9), values: { temp: 20.5, rh: 40 } },
      { ts: 1732442400000, values: { temp: 21 } },
    ]);
    expect(r.skipped).toBe(2);
  });

  it('detects the format from the header, and refuses what it cannot read with a coded error', () => {
    expect(detectFormat('timestamp,value\n')).toBe('nab');
    expect(detectFormat('\uFEFFdatetime;a;b\r\n')).toBe('skab');
    expect(detectFormat('time,a,b\n')).toBe('generic');
    expect(detectFormat('a;b\n')).toBeUndefined();
    const errorOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err as TributaryError;
      }
      throw new Error('expected an error');
    };
    expect(errorOf(() => parseRecording('hello world\n', 'x.csv')).code).toBe('ERR_SCENARIO_BAD_RECORDING');
    expect(errorOf(() => parseRecording('timestamp,value\nnope,1\n', 'x.csv')).message).toContain('no rows');
    // A forced format reads what detection would not.
    expect(parseRecording('when,a\n2024-01-01 00:00:00,1\n', 'x.csv', 'generic').rows).toHaveLength(1);
  });

  it('makes column names valid metric names and device ids from file names', () => {
    expect(metricName('Volume Flow RateRMS')).toBe('Volume_Flow_RateRMS');
    expect(metricName('1st sensor')).toBe('_1st_sensor');
    expect(parseTime('2013-07-04 00:00:00')).toBe(Date.UTC(2013, 6, 4));
    expect(parseTime('1732442401')).toBe(1732442401000); // seconds, below 1e11
    expect(parseTime('1732442401500')).toBe(1732442401500);
    expect(deviceFromPath('/data/nab/realKnownCause/nyc_taxi.csv')).toBe('nyc_taxi');
    expect(deviceFromPath('/data/skab/valve1/0.csv')).toBe('valve1-0');
  });
});

describe.skipIf(!haveDatasets)(`recordings in ${DATASETS}`, () => {
  it('reads NAB ambient_temperature_system_failure.csv: hourly, every row', () => {
    const path = `${DATASETS}nab/realKnownCause/ambient_temperature_system_failure.csv`;
    const text = readFileSync(path, 'utf8');
    const r = parseRecording(text, path);
    expect(r.format).toBe('nab');
    expect(r.rows).toHaveLength(text.trim().split('\n').length - 1);
    expect(r.skipped).toBe(0);
    expect(r.rows[0]!.ts).toBe(Date.UTC(2013, 6, 4));
  });

  it('reads SKAB valve1/0.csv: eight sensors at about 1 Hz, labels dropped', () => {
    const path = `${DATASETS}skab/valve1/0.csv`;
    const r = parseRecording(readFileSync(path, 'utf8'), path);
    expect(r.format).toBe('skab');
    expect(r.metrics).toHaveLength(8);
    expect(r.metrics).not.toContain('anomaly');
    expect(r.rows.length).toBeGreaterThan(1000);
    expect(r.skipped).toBe(0);
    expect(r.rows[1]!.ts - r.rows[0]!.ts).toBe(1000);
  });
});
if (!haveDatasets) console.warn(`simulator-replay: ${DATASETS} is absent; the real-recording tests are skipped`);

describe('ReplayStream', () => {
  it('paces rows by their recorded spacing and shifts their timestamps', () => {
    const rows = [
      { ts: 1000_000, values: { v: 1 } },
      { ts: 1060_000, values: { v: 2 } },
      { ts: 1060_000, values: { v: 3 } }, // repeated timestamps (NAB ec2 has them) are sent in file order
    ];
    const s = new ReplayStream('r-1', rows, 5_000_000);
    expect(s.nextAt).toBe(0);
    expect(s.take()).toEqual([{ device: 'r-1', kind: 'good', ts: 6_000_000, values: { v: 1 } }]);
    expect(s.nextAt).toBe(60_000);
    s.take();
    expect(s.nextAt).toBe(60_000);
    expect(s.take()[0]!.values).toEqual({ v: 3 });
    expect(s.nextAt).toBe(Infinity);
    expect(s.flush()).toEqual([]);
  });
});
