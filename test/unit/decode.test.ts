// Decoding: every payload form and every refusal reason, as a table.

import { describe, expect, it } from 'vitest';
import { Decoder } from '../../edge/decode/decode.js';
import type { ErrorCode } from '../../edge/errors/catalogue.js';
import type { RawMessage } from '../../edge/source/contract.js';

const NOW = Date.UTC(2024, 10, 24, 12, 0, 0);
const decoder = new Decoder({ topicPrefix: 'sensors', maxPayloadBytes: 256, maxClockSkewMs: 60_000, maxMetricsPerReading: 4 });
const decode = (payload: string | Buffer, topic = 'sensors/pump-7') =>
  decoder.decode({ source: 'test', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, receivedAt: NOW });

describe('decode: accepted readings', () => {
  const cases: Array<[string, string, { ts: number; tsFromArrival: boolean; values: Record<string, number> }]> = [
    ['JSON with ms timestamp', '{"ts": 1732449600123, "temp": 71.2, "vib_rms": 0.41}', { ts: 1732449600123, tsFromArrival: false, values: { temp: 71.2, vib_rms: 0.41 } }],
    ['JSON with ISO 8601 timestamp', '{"ts": "2024-11-24T11:59:00.5Z", "temp": -3}', { ts: Date.UTC(2024, 10, 24, 11, 59, 0, 500), tsFromArrival: false, values: { temp: -3 } }],
    ['JSON with an offset', '{"ts": "2024-11-24T13:00:00+01:00", "temp": 1}', { ts: Date.UTC(2024, 10, 24, 12, 0, 0), tsFromArrival: false, values: { temp: 1 } }],
    ['JSON without ts takes arrival time', '{"temp": 20}', { ts: NOW, tsFromArrival: true, values: { temp: 20 } }],
    ['JSON with surrounding whitespace', '  {"temp": 1e3}\n', { ts: NOW, tsFromArrival: true, values: { temp: 1000 } }],
    ['text with ms timestamp', '1732449600123,temp=71.2,vib_rms=0.41', { ts: 1732449600123, tsFromArrival: false, values: { temp: 71.2, vib_rms: 0.41 } }],
    ['text with ISO timestamp', '2024-11-24T11:00:00Z,temp=5', { ts: Date.UTC(2024, 10, 24, 11), tsFromArrival: false, values: { temp: 5 } }],
    ['text without timestamp', 'temp=71.2,vib_rms=-.5\r\n', { ts: NOW, tsFromArrival: true, values: { temp: 71.2, vib_rms: -0.5 } }],
  ];
  it.each(cases)('%s', (_name, payload, expected) => {
    const r = decode(payload);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.reading).toEqual({ device: 'pump-7', receivedAt: NOW, ...expected });
  });

  it('takes the device id from the transport when it gives one', () => {
    const r = decoder.decode({ source: 'serial', topic: '/dev/ttyUSB0', device: 'motor-1', payload: Buffer.from('temp=1'), receivedAt: NOW });
    expect(r.ok && r.reading.device).toBe('motor-1');
  });
});

describe('decode: refused payloads carry a coded reason', () => {
  const cases: Array<[string, string | Buffer, ErrorCode, string?]> = [
    ['broken JSON', '{"temp": 1', 'ERR_DECODE_NOT_JSON'],
    ['NaN literal in JSON', '{"temp": NaN}', 'ERR_DECODE_NON_FINITE'],
    ['Infinity literal in JSON', '{"temp": -Infinity}', 'ERR_DECODE_NON_FINITE'],
    ['JSON number overflowing to Infinity', '{"temp": 1e999}', 'ERR_DECODE_NON_FINITE'],
    ['NaN in text', 'temp=NaN', 'ERR_DECODE_NON_FINITE'],
    ['inf in text', 'temp=inf', 'ERR_DECODE_NON_FINITE'],
    ['string metric', '{"temp": "71.2"}', 'ERR_DECODE_WRONG_TYPE'],
    ['boolean metric', '{"on": true}', 'ERR_DECODE_WRONG_TYPE'],
    ['null metric', '{"temp": null}', 'ERR_DECODE_WRONG_TYPE'],
    ['JSON array', '[1,2]', 'ERR_DECODE_WRONG_TYPE'],
    ['non-numeric text value', 'temp=hot', 'ERR_DECODE_WRONG_TYPE'],
    ['hex text value', 'temp=0x10', 'ERR_DECODE_WRONG_TYPE'],
    ['text pair without =', '1732449600123,temp', 'ERR_DECODE_BAD_TEXT'],
    ['text metric twice', 'temp=1,temp=2', 'ERR_DECODE_BAD_TEXT'],
    ['timestamp as boolean', '{"ts": true, "temp": 1}', 'ERR_DECODE_WRONG_TYPE'],
    ['timestamp in seconds', '{"ts": 1732449600, "temp": 1}', 'ERR_DECODE_BAD_TIMESTAMP'],
    ['unparseable timestamp', '{"ts": "yesterday", "temp": 1}', 'ERR_DECODE_BAD_TIMESTAMP'],
    ['ISO timestamp without offset', '{"ts": "2024-11-24T11:00:00", "temp": 1}', 'ERR_DECODE_BAD_TIMESTAMP'],
    ['timestamp too far in the future', `{"ts": ${NOW + 61_000}, "temp": 1}`, 'ERR_DECODE_FUTURE_TIMESTAMP'],
    ['no metrics', '{"ts": 1732449600123}', 'ERR_DECODE_NO_METRICS'],
    ['empty payload', '', 'ERR_DECODE_NO_METRICS'],
    ['too many metrics', '{"a":1,"b":2,"c":3,"d":4,"e":5}', 'ERR_DECODE_TOO_MANY_METRICS'],
    ['bad metric name', '{"te mp": 1}', 'ERR_DECODE_BAD_METRIC_NAME'],
    ['payload over the cap', `{"temp": 1, "pad": ${'1'.repeat(300)}}`, 'ERR_DECODE_PAYLOAD_TOO_LARGE'],
    ['not UTF-8', Buffer.from([0x74, 0x3d, 0xff, 0xfe]), 'ERR_DECODE_NOT_UTF8'],
    ['device id with a space', 'temp=1', 'ERR_DECODE_BAD_DEVICE_ID', 'sensors/pump 7'],
    ['topic with extra levels', 'temp=1', 'ERR_DECODE_BAD_DEVICE_ID', 'sensors/pump-7/extra'],
    ['topic outside the prefix', 'temp=1', 'ERR_DECODE_BAD_DEVICE_ID', 'other/pump-7'],
    ['device id too long', 'temp=1', 'ERR_DECODE_BAD_DEVICE_ID', `sensors/${'d'.repeat(65)}`],
  ];
  it.each(cases)('%s → %s', (_name, payload, code, topic) => {
    const r = decode(payload, topic);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.message.length).toBeGreaterThan(10);
  });

  it('refuses devices outside knownDevices when the list is set', () => {
    const strict = new Decoder({ topicPrefix: 'sensors', maxPayloadBytes: 256, maxClockSkewMs: 1000, maxMetricsPerReading: 4, knownDevices: new Set(['pump-7']) });
    const ok = strict.decode({ source: 't', topic: 'sensors/pump-7', payload: Buffer.from('temp=1'), receivedAt: NOW });
    const unknown = strict.decode({ source: 't', topic: 'sensors/pump-8', payload: Buffer.from('temp=1'), receivedAt: NOW });
    expect(ok.ok).toBe(true);
    expect(!unknown.ok && unknown.error.code).toBe('ERR_DECODE_UNKNOWN_DEVICE');
  });
});

describe('decode: serial line framings', () => {
  const line = (payload: string, framing: NonNullable<RawMessage['framing']>, device?: string) =>
    decoder.decode({ source: 'serial:/dev/ttyUSB0', topic: '/dev/ttyUSB0', payload: Buffer.from(payload), receivedAt: NOW, framing, ...(device ? { device } : {}) });
  const ndjson = { kind: 'ndjson', deviceField: 'device' } as const;
  const csv = { kind: 'csv', columns: ['ts', 'device', 'temp', '-', 'vib_rms'], delimiter: ',', deviceField: 'device' } as const;
  const kv = { kind: 'kv', deviceField: 'id' } as const;

  const accepted: Array<[string, string, NonNullable<RawMessage['framing']>, string | undefined, { device: string; ts: number; values: Record<string, number> }]> = [
    ['ndjson naming its device', '{"device": "motor-1", "ts": 1732449600123, "temp": 71.2}', ndjson, undefined, { device: 'motor-1', ts: 1732449600123, values: { temp: 71.2 } }],
    ['ndjson on a port bound to a device', '{"temp": 70}', ndjson, 'motor-9', { device: 'motor-9', ts: NOW, values: { temp: 70 } }],
    ['csv with a skipped column', '1732449600123,motor-2,71.5,xx,0.4', csv, undefined, { device: 'motor-2', ts: 1732449600123, values: { temp: 71.5, vib_rms: 0.4 } }],
    ['csv with an empty cell (metric not measured)', '1732449600123,motor-2,,xx,0.4', csv, undefined, { device: 'motor-2', ts: 1732449600123, values: { vib_rms: 0.4 } }],
    ['kv with spaces', 'id=pump-3 ts=1732449600123 pressure=2.5 flow=10', kv, undefined, { device: 'pump-3', ts: 1732449600123, values: { pressure: 2.5, flow: 10 } }],
    ['kv with semicolons, no ts', 'pressure=2.5;flow=10', kv, 'pump-4', { device: 'pump-4', ts: NOW, values: { pressure: 2.5, flow: 10 } }],
  ];
  it.each(accepted)('%s', (_name, payload, framing, device, expected) => {
    const r = line(payload, framing, device);
    expect(r.ok ? r.reading : r.error.message).toMatchObject(expected);
  });

  const refused: Array<[string, string, NonNullable<RawMessage['framing']>, ErrorCode]> = [
    ['ndjson without a device', '{"temp": 1}', ndjson, 'ERR_DECODE_BAD_DEVICE_ID'],
    ['ndjson device that is not a string', '{"device": 7, "temp": 1}', ndjson, 'ERR_DECODE_WRONG_TYPE'],
    ['csv with too few cells', '1732449600123,motor-2,71.5', csv, 'ERR_DECODE_BAD_CSV'],
    ['csv with a non-number', '1732449600123,motor-2,hot,xx,0.4', csv, 'ERR_DECODE_WRONG_TYPE'],
    ['csv with a malformed device', '1732449600123,motor 2,1,xx,0.4', csv, 'ERR_DECODE_BAD_DEVICE_ID'],
    ['kv pair without =', 'id=pump-3 pressure', kv, 'ERR_DECODE_BAD_TEXT'],
    ['kv NaN', 'id=pump-3 pressure=nan', kv, 'ERR_DECODE_NON_FINITE'],
  ];
  it.each(refused)('%s → %s', (_name, payload, framing, code) => {
    const r = line(payload, framing);
    expect(r.ok ? 'accepted' : r.error.code).toBe(code);
  });
});
