// Simulator payloads against the gateway's real decoder: good readings decode to exactly what
// was sent, in every framing; every defect of a malformed message is refused, with a reason.

import { describe, expect, it } from 'vitest';
import { DEFECTS, type DeviceMessage } from '../../devices/message.js';
import { csvColumns, encodeJson, lineEncoder, type LineFraming } from '../../devices/transport/codec.js';
import { Decoder, reasonOf } from '../../edge/decode/decode.js';
import type { Framing, RawMessage } from '../../edge/source/contract.js';

const NOW = Date.UTC(2024, 10, 24, 12);
const metrics = ['vib_rms', 'bearing_temp', 'current'];
const good: DeviceMessage = { device: 'motor-007', kind: 'good', ts: NOW - 1000, values: { vib_rms: 1.234, bearing_temp: 55.2, current: 12.05 } };
const decoder = new Decoder({ topicPrefix: 'sensors', maxPayloadBytes: 4096, maxClockSkewMs: 60_000, maxMetricsPerReading: 64 });

function mqtt(payload: string | Buffer): RawMessage {
  return { source: 'mqtt-broker', topic: 'sensors/motor-007', payload: Buffer.from(payload), receivedAt: NOW };
}

function serialFraming(framing: LineFraming): Framing {
  return framing === 'csv' ? { kind: 'csv', columns: csvColumns(metrics), delimiter: ',', deviceField: 'device' } : { kind: framing, deviceField: 'device' };
}

function line(framing: LineFraming, payload: string | Buffer): RawMessage {
  const bytes = Buffer.from(payload);
  expect(bytes.at(-1)).toBe(0x0a); // one line each
  expect(bytes.subarray(0, -1).includes(0x0a)).toBe(false);
  return { source: 'serial', topic: '/dev/pts/9', payload: bytes.subarray(0, -1), receivedAt: NOW, framing: serialFraming(framing) };
}

describe('MQTT JSON payloads', () => {
  it('decode to the device, timestamp and values sent', () => {
    expect(encodeJson(good)).toBe('{"ts":1732449599000,"vib_rms":1.234,"bearing_temp":55.2,"current":12.05}');
    const r = decoder.decode(mqtt(encodeJson(good)));
    expect(r).toEqual({ ok: true, reading: { device: 'motor-007', ts: good.ts, tsFromArrival: false, receivedAt: NOW, values: good.values } });
  });

  it.each(DEFECTS)('malformed (%s) is refused', (defect) => {
    const r = decoder.decode(mqtt(encodeJson({ ...good, kind: 'malformed', defect })));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(reasonOf(r.error.code)).toBe(
      { truncated: 'not_json', 'non-finite': 'non_finite', 'wrong-type': 'wrong_type', 'bad-timestamp': 'bad_timestamp', 'no-metrics': 'no_metrics', 'not-utf8': 'not_utf8' }[defect],
    );
  });
});

describe.each(['ndjson', 'csv', 'kv'] as const)('serial %s lines', (framing) => {
  const encode = lineEncoder(framing, metrics);

  it('decode to the device, timestamp and values sent', () => {
    const r = decoder.decode(line(framing, encode(good)));
    expect(r).toEqual({ ok: true, reading: { device: 'motor-007', ts: good.ts, tsFromArrival: false, receivedAt: NOW, values: good.values } });
  });

  it.each(DEFECTS)('malformed (%s) is refused', (defect) => {
    const r = decoder.decode(line(framing, encode({ ...good, kind: 'malformed', defect })));
    expect(r.ok, String(encode({ ...good, kind: 'malformed', defect }))).toBe(false);
  });
});
