// The ingest log's binary reading codec: bit-exact round trips (edge values, many metrics, random
// readings), small records, a dictionary that must travel with its first record, corrupt input.

import { describe, expect, it } from 'vitest';
import type { Reading } from '../../edge/decode/reading.js';
import { TributaryError } from '../../edge/errors/catalogue.js';
import { ByteReader } from '../../edge/store/bytes.js';
import { dictionaryEntry, dictionaryKey, ReadingCodec, type DictionaryEntry } from '../../edge/store/reading-codec.js';
import { prng } from '../helpers/prng.js';

const T = Date.UTC(2024, 10, 24, 12, 0, 0);
const r = (values: Record<string, number>, more: Partial<Reading> = {}): Reading => ({ device: 'pump-7', ts: T - 5, tsFromArrival: false, receivedAt: T, values, ...more });

/** Values compared with Object.is, so -0 and NaN count, and 0.1 + 0.2 is not 0.3. */
function expectSame(actual: Reading, expected: Reading): void {
  expect({ ...actual, values: {} }).toEqual({ ...expected, values: {} });
  expect(Object.keys(actual.values)).toEqual(Object.keys(expected.values));
  for (const [k, v] of Object.entries(expected.values)) expect(Object.is(actual.values[k], v), `${k}: ${actual.values[k]} vs ${v}`).toBe(true);
}

function roundTrip(reading: Reading, codec = new ReadingCodec()): { bytes: Buffer; back: Reading; added: DictionaryEntry[] } {
  const added: DictionaryEntry[] = [];
  const bytes = codec.encode(reading, added);
  // A fresh codec that only knows what was persisted, as after a restart.
  const reader = new ReadingCodec();
  reader.load(added);
  return { bytes, back: reader.decode(bytes), added };
}

describe('reading codec', () => {
  const manyMetrics = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`m${i}:x.y-z`, i * 1.5 - 40]));
  it.each([
    { what: 'two decimals', reading: r({ temp: 71.2, vib_rms: 0.41 }) },
    { what: 'a timestamp taken from arrival', reading: r({ temp: 1 }, { ts: T, tsFromArrival: true }) },
    { what: 'an event time far from arrival', reading: r({ temp: 1 }, { ts: T - 400 * 86_400_000 }) },
    { what: 'an event time after arrival', reading: r({ temp: 1 }, { ts: T + 59_999 }) },
    { what: 'negative and huge values', reading: r({ a: -1e308, b: Number.MAX_VALUE, c: -Number.MAX_VALUE, d: -123456.789 }) },
    { what: 'tiny values', reading: r({ a: Number.MIN_VALUE, b: 1e-7, c: -2.5e-300 }) },
    { what: 'integers at the edges of exactness', reading: r({ a: 2 ** 52, b: -(2 ** 52), c: Number.MAX_SAFE_INTEGER, d: Number.MIN_SAFE_INTEGER, e: 2 ** 60 }) },
    { what: 'zero and negative zero', reading: r({ z: 0, nz: -0 }) },
    { what: 'values that are not short decimals', reading: r({ a: 0.1 + 0.2, b: Math.PI, c: 1 / 3, d: 123.4567891 }) },
    { what: 'six fractional digits', reading: r({ a: 123.456789, b: -0.000001 }) },
    { what: '64 metrics', reading: r(manyMetrics) },
    { what: 'a 64-character device id', reading: r({ a: 1 }, { device: `d${'x'.repeat(63)}` }) },
  ])('round-trips $what bit for bit', ({ reading }) => {
    const { back } = roundTrip(reading);
    expectSame(back, reading);
  });

  it.each([
    { what: 'short decimals, an arrival time, -0, huge, tiny and inexact values', readings: [r({ temp: 71.2, vib_rms: 0.41 }), r({ temp: 1 }, { ts: T, tsFromArrival: true }), r({ z: 0, nz: -0, a: -1e308, b: Number.MIN_VALUE, c: 0.1 + 0.2, d: 2 ** 60 })] },
    { what: 'names JSON must escape, and names spelled out once the dictionary is full', readings: [r({ 'say "hi"\\n': 1.5, 'ünïcode\u2028': -2 }), r({ 'another\tone': 3 }, { device: 'pump-8' })], maxDictionary: 1 },
  ])('gives a record as the JSON text of its raw reading: $what', ({ readings, maxDictionary }) => {
    const codec = new ReadingCodec(maxDictionary === undefined ? {} : { maxDictionary });
    for (const reading of readings) {
      const bytes = codec.encode(reading, []);
      const { ts, json } = codec.rowJson(bytes);
      const back = codec.decode(bytes);
      expect(ts).toBe(reading.ts);
      expect(json).toBe(JSON.stringify({ ts: back.ts, receivedAt: back.receivedAt, ...(back.tsFromArrival ? { tsFromArrival: true } : {}), values: back.values }));
    }
  });

  it('peeks a record\'s device and event time without decoding it, for a ref and for an inline name', () => {
    const codec = new ReadingCodec({ maxDictionary: 1 });
    const added: DictionaryEntry[] = [];
    const withRef = codec.encode(r({ temp: 1 }, { device: 'pump-1', ts: T - 400 * 86_400_000 }), added);
    const inline = codec.encode(r({ temp: 2 }, { device: 'pump-2', ts: T + 59_999 }), added); // the dictionary is full: spelled out
    const peek = (bytes: Buffer) => {
      const reader = new ByteReader(bytes, 'test');
      const ref = codec.peekDeviceRef(reader);
      return { ref, name: codec.peekInlineDevice(reader, ref), ts: codec.peekTs(reader) };
    };
    expect(peek(withRef)).toEqual({ ref: codec.deviceRef('pump-1'), name: undefined, ts: T - 400 * 86_400_000 });
    expect(peek(inline)).toEqual({ ref: 0, name: 'pump-2', ts: T + 59_999 });
  });

  it('writes a two-metric reading in 15 bytes', () => {
    // flags 1 · device ref 1 · receivedAt 6 · ts delta 1 · count 1 · temp: tag 1 + 712 in 2 · vib_rms: tag 1 + 41 in 1
    const { bytes } = roundTrip(r({ temp: 71.2, vib_rms: 0.41 }));
    expect(bytes.length).toBe(15);
    expect(JSON.stringify(r({ temp: 71.2, vib_rms: 0.41 })).length).toBeGreaterThan(5 * bytes.length);
  });

  it('round-trips random readings exactly', () => {
    const random = prng(7);
    const codec = new ReadingCodec();
    const added: DictionaryEntry[] = [];
    const readings: Reading[] = [];
    const records: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const values: Record<string, number> = {};
      const n = 1 + Math.floor(random() * 6);
      for (let j = 0; j < n; j++) {
        const kind = random();
        const v = kind < 0.3 ? Math.round(random() * 10_000) / 100 : kind < 0.6 ? (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20) : Math.floor((random() - 0.5) * 2 ** 40);
        values[`metric_${Math.floor(random() * 12)}`] = v;
      }
      const receivedAt = T + i * 7;
      const fromArrival = random() < 0.2;
      const reading: Reading = { device: `dev-${Math.floor(random() * 50)}`, ts: fromArrival ? receivedAt : receivedAt - Math.floor(random() * 5000), tsFromArrival: fromArrival, receivedAt, values };
      readings.push(reading);
      records.push(codec.encode(reading, added));
    }
    const reader = new ReadingCodec();
    reader.load([...added].reverse()); // entries may be loaded in any order
    records.forEach((bytes, i) => expectSame(reader.decode(bytes), readings[i]!));
    // As text, every value reads back as JSON would carry it.
    records.forEach((bytes, i) => {
      const { device: _device, tsFromArrival, ...row } = readings[i]!;
      expect(JSON.parse(reader.rowJson(bytes).json)).toEqual(JSON.parse(JSON.stringify({ ...row, ...(tsFromArrival ? { tsFromArrival } : {}) })));
    });
    expect(codec.dictionarySize).toEqual({ devices: 50, metrics: 12 });
  });

  it('reports each new name once, with the record that first uses it', () => {
    const codec = new ReadingCodec();
    const first: DictionaryEntry[] = [];
    codec.encode(r({ temp: 1, vib: 2 }), first);
    expect(first).toEqual([
      { space: 'device', ref: 1, name: 'pump-7' },
      { space: 'metric', ref: 1, name: 'temp' },
      { space: 'metric', ref: 2, name: 'vib' },
    ]);
    const second: DictionaryEntry[] = [];
    codec.encode(r({ vib: 3, current: 4 }, { device: 'pump-8' }), second);
    expect(second).toEqual([
      { space: 'device', ref: 2, name: 'pump-8' },
      { space: 'metric', ref: 3, name: 'current' },
    ]);
    expect(codec.deviceRef('pump-8')).toBe(2);
    expect(codec.deviceRef('pump-9')).toBeUndefined();
  });

  it('refuses to decode a record whose dictionary entry was not persisted', () => {
    const bytes = new ReadingCodec().encode(r({ temp: 1 }), []);
    expect(() => new ReadingCodec().decode(bytes)).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
    expect(() => new ReadingCodec().rowJson(bytes)).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
  });

  it('writes names inline once the dictionary is full, and those records need no entries', () => {
    const codec = new ReadingCodec({ maxDictionary: 1 });
    const added: DictionaryEntry[] = [];
    codec.encode(r({ temp: 1 }), added);
    const inline = codec.encode(r({ temp: 2, vib: 3 }, { device: 'pump-8' }), added);
    expect(added.map((e) => e.name)).toEqual(['pump-7', 'temp']);
    const reader = new ReadingCodec();
    reader.load(added);
    expectSame(reader.decode(inline), r({ temp: 2, vib: 3 }, { device: 'pump-8' }));
    expect(codec.deviceRef('pump-8')).toBeUndefined();
  });

  it('refuses fractional times as a programmer mistake, leaving the dictionary untouched', () => {
    const codec = new ReadingCodec();
    const added: DictionaryEntry[] = [];
    expect(() => codec.encode(r({ a: 1 }, { ts: T + 0.5 }), added)).toThrow(TypeError);
    expect(added).toEqual([]);
    expect(codec.dictionarySize).toEqual({ devices: 0, metrics: 0 });
  });

  it('stores dictionary entries under short sortable keys', () => {
    const e: DictionaryEntry = { space: 'metric', ref: 300, name: 'bearing_temp' };
    const key = dictionaryKey(e);
    expect(key.toString('hex')).toBe('6d0000012c');
    expect(dictionaryEntry(key, Buffer.from('bearing_temp'))).toEqual(e);
    expect(() => dictionaryEntry(Buffer.from('x'), Buffer.from('y'))).toThrow(TributaryError);
  });

  it('refuses conflicting dictionary entries', () => {
    const codec = new ReadingCodec();
    expect(() => codec.load([{ space: 'device', ref: 1, name: 'a' }, { space: 'device', ref: 1, name: 'b' }])).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
  });

  it.each([
    { what: 'a truncated record', cut: (b: Buffer) => b.subarray(0, b.length - 3) },
    { what: 'trailing bytes', cut: (b: Buffer) => Buffer.concat([b, Buffer.from([0])]) },
    { what: 'an unknown format', cut: (b: Buffer) => Buffer.concat([Buffer.from([0x20]), b.subarray(1)]) },
    { what: 'an endless varint', cut: () => Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) },
  ])('refuses $what with ERR_STORE_CORRUPT', ({ cut }) => {
    const codec = new ReadingCodec();
    const bytes = codec.encode(r({ temp: 71.2, pressure: Math.PI }), []);
    expect(() => codec.decode(cut(bytes))).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
  });
});
