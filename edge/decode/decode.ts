// Decodes raw bytes into a validated Reading, or says exactly why not (a coded dead-letter reason).
//
// A framing parser (framing/) turns the payload into fields; this module finds the device,
// then validates what every framing shares: metric count, timestamp, clock skew. Failures are
// returned, not thrown: bad input is ordinary traffic on a gateway.

import { isUtf8 } from 'node:buffer';
import { codedError, type ErrorCode, type TributaryError } from '../errors/catalogue.js';
import type { Framing, RawMessage } from '../source/contract.js';
import { parseCsv } from './framing/csv.js';
import { parseJson } from './framing/json.js';
import { parseKv } from './framing/kv.js';
import type { ParseResult } from './framing/parsed.js';
import { parseText } from './framing/text.js';
import { DEVICE_ID_PATTERN, type Reading } from './reading.js';
import { parseTimestamp } from './timestamp.js';

export interface DecodeOptions {
  /** MQTT readings arrive on `<topicPrefix>/<device>`. */
  readonly topicPrefix: string;
  /** Larger payloads are refused unread (bytes). */
  readonly maxPayloadBytes: number;
  /** Timestamps further ahead of the gateway clock than this are refused (ms). */
  readonly maxClockSkewMs: number;
  readonly maxMetricsPerReading: number;
  /** When set, only these device ids are accepted. */
  readonly knownDevices?: ReadonlySet<string>;
}

export type DecodeResult = { readonly ok: true; readonly reading: Reading } | { readonly ok: false; readonly error: TributaryError; readonly device?: string };

const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [

export class Decoder {
  readonly #prefix: string;

  constructor(readonly options: DecodeOptions) {
    this.#prefix = `${options.topicPrefix}/`;
  }

  decode(msg: RawMessage): DecodeResult {
    const framing = msg.framing ?? AUTO;
    // MQTT names the device in the topic; a line framing may name it in the line instead.
    let device = msg.device ?? (framing.kind === 'auto' ? this.#deviceFromTopic(msg.topic) : undefined);
    if (device !== undefined && !DEVICE_ID_PATTERN.test(device)) return fail('ERR_DECODE_BAD_DEVICE_ID', [JSON.stringify(device)]);
    if (framing.kind === 'auto' && device === undefined) return fail('ERR_DECODE_BAD_DEVICE_ID', [JSON.stringify(msg.topic)]);
    if (device !== undefined && this.options.knownDevices && !this.options.knownDevices.has(device)) return fail('ERR_DECODE_UNKNOWN_DEVICE', [device], device);
    const size = msg.payload.length;
    if (size > this.options.maxPayloadBytes) return fail('ERR_DECODE_PAYLOAD_TOO_LARGE', [size, this.options.maxPayloadBytes], device);
    if (!isUtf8(msg.payload)) return fail('ERR_DECODE_NOT_UTF8', [], device);
    const parsed = parse(msg.payload.toString('utf8').trim(), framing);
    if ('fail' in parsed) return fail(parsed.fail, parsed.args, device);
    if (device === undefined) {
      // Line framings whose port has no configured device: the line must name one.
      device = parsed.device;
      if (device === undefined || !DEVICE_ID_PATTERN.test(device)) return fail('ERR_DECODE_BAD_DEVICE_ID', [JSON.stringify(device ?? `(no ${'deviceField' in framing ? framing.deviceField : 'device'} field)`)]);
      if (this.options.knownDevices && !this.options.knownDevices.has(device)) return fail('ERR_DECODE_UNKNOWN_DEVICE', [device], device);
    }
    return this.#finish(device, parsed.tsField, parsed.values, parsed.count, msg.receivedAt);
  }

  #deviceFromTopic(topic: string): string | undefined {
    if (!topic.startsWith(this.#prefix)) return undefined;
    const device = topic.slice(this.#prefix.length);
    return device.includes('/') ? undefined : device;
  }

  #finish(device: string, tsField: unknown, values: Record<string, number>, count: number, receivedAt: number): DecodeResult {
    if (count === 0) return fail('ERR_DECODE_NO_METRICS', [], device);
    if (count > this.options.maxMetricsPerReading) return fail('ERR_DECODE_TOO_MANY_METRICS', [count, this.options.maxMetricsPerReading], device);
    let ts = receivedAt;
    const tsFromArrival = tsField === undefined;
    if (!tsFromArrival) {
      const parsed = parseTimestamp(tsField);
      if (!parsed.ok) return parsed.wrongType ? fail('ERR_DECODE_WRONG_TYPE', ['ts', parsed.why], device) : fail('ERR_DECODE_BAD_TIMESTAMP', [parsed.why], device);
      ts = parsed.ms;
      if (ts - receivedAt > this.options.maxClockSkewMs) return fail('ERR_DECODE_FUTURE_TIMESTAMP', [ts - receivedAt, this.options.maxClockSkewMs], device);
    }
    return { ok: true, reading: { device, ts, tsFromArrival, receivedAt, values } };
  }
}

const AUTO: Framing = { kind: 'auto' };

function parse(text: string, framing: Framing): ParseResult {
  switch (framing.kind) {
    case 'auto': {
      const c = text.charCodeAt(0);
      return c === OPEN_BRACE || c === OPEN_BRACKET ? parseJson(text) : parseText(text);
    }
    case 'ndjson':
      return parseJson(text, framing.deviceField);
    case 'csv':
      return parseCsv(text, framing.columns, framing.delimiter, framing.deviceField);
    case 'kv':
      return parseKv(text, framing.deviceField);
  }
}

function fail(code: ErrorCode, args: readonly unknown[], device?: string): DecodeResult {
  return device === undefined ? { ok: false, error: codedError(code, args) } : { ok: false, error: codedError(code, args), device };
}

/** The short reason label a decode error is counted under: ERR_DECODE_NOT_JSON → not_json. */
export function reasonOf(code: ErrorCode): string {
  return code.replace(/^ERR_(DECODE_)?/, '').toLowerCase();
}
