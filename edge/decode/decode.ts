// Decodes raw bytes into a validated Reading, or says exactly why not (a coded dead-letter reason).
//
// Two payload forms share one validator: JSON objects (`{"ts": 1732406400123, "temp": 71.2}`)
// and the compact text form for constrained devices (`1732406400123,temp=71.2,vib_rms=0.41`).
// Failures are returned, not thrown: bad input is ordinary traffic on a gateway.

import { isUtf8 } from 'node:buffer';
import { codedError, type ErrorCode, type TributaryError } from '../errors/catalogue.js';
import type { RawMessage } from '../source/contract.js';
import { DEVICE_ID_PATTERN, METRIC_NAME_PATTERN, type Reading } from './reading.js';
import { parseTimestamp } from './timestamp.js';

export interface DecodeOptions {
  /** Readings arrive on `<topicPrefix>/<device>`. */
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

const NUMBER_TEXT = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
const NON_FINITE_TEXT = /^[-+]?(?:nan|inf|infinity)$/i;
const NON_FINITE_JSON = /(?<![A-Za-z_"])(?:-?Infinity|NaN)(?![A-Za-z_"])/;
const OPEN_BRACE = 0x7b; // {
const OPEN_BRACKET = 0x5b; // [

export class Decoder {
  readonly #prefix: string;

  constructor(readonly options: DecodeOptions) {
    this.#prefix = `${options.topicPrefix}/`;
  }

  decode(msg: RawMessage): DecodeResult {
    const device = msg.device ?? this.#deviceFromTopic(msg.topic);
    if (device === undefined || !DEVICE_ID_PATTERN.test(device)) return fail('ERR_DECODE_BAD_DEVICE_ID', [JSON.stringify(device ?? msg.topic)]);
    if (this.options.knownDevices && !this.options.knownDevices.has(device)) return fail('ERR_DECODE_UNKNOWN_DEVICE', [device], device);
    const size = msg.payload.length;
    if (size > this.options.maxPayloadBytes) return fail('ERR_DECODE_PAYLOAD_TOO_LARGE', [size, this.options.maxPayloadBytes], device);
    if (!isUtf8(msg.payload)) return fail('ERR_DECODE_NOT_UTF8', [], device);
    const text = msg.payload.toString('utf8').trim();
    const c = text.charCodeAt(0);
    return c === OPEN_BRACE || c === OPEN_BRACKET ? this.#json(text, device, msg.receivedAt) : this.#text(text, device, msg.receivedAt);
  }

  #deviceFromTopic(topic: string): string | undefined {
    if (!topic.startsWith(this.#prefix)) return undefined;
    const device = topic.slice(this.#prefix.length);
    return device.includes('/') ? undefined : device;
  }

  #json(text: string, device: string, receivedAt: number): DecodeResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      // JSON has no NaN or Infinity, so devices that print them produce unparseable JSON: say why.
      const m = NON_FINITE_JSON.exec(text);
      if (m) return fail('ERR_DECODE_NON_FINITE', [m[0]], device);
      return fail('ERR_DECODE_NOT_JSON', [(err as Error).message], device);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return fail('ERR_DECODE_WRONG_TYPE', ['payload', 'expected a JSON object'], device);
    const obj = parsed as Record<string, unknown>;
    const values: Record<string, number> = {};
    let count = 0;
    let tsField: unknown;
    for (const key in obj) {
      const v = obj[key];
      if (key === 'ts') {
        tsField = v;
        continue;
      }
      if (typeof v !== 'number') return fail('ERR_DECODE_WRONG_TYPE', [key, `expected a number, got ${v === null ? 'null' : typeof v}`], device);
      if (!Number.isFinite(v)) return fail('ERR_DECODE_NON_FINITE', [key], device);
      if (!METRIC_NAME_PATTERN.test(key)) return fail('ERR_DECODE_BAD_METRIC_NAME', [JSON.stringify(key)], device);
      values[key] = v;
      count++;
    }
    return this.#finish(device, tsField, values, count, receivedAt);
  }

  #text(text: string, device: string, receivedAt: number): DecodeResult {
    if (text.length === 0) return fail('ERR_DECODE_NO_METRICS', [], device);
    const parts = text.split(',');
    let tsField: string | undefined;
    let i = 0;
    if (!parts[0]!.includes('=')) {
      tsField = parts[0]!.trim();
      i = 1;
    }
    const values: Record<string, number> = {};
    let count = 0;
    for (; i < parts.length; i++) {
      const part = parts[i]!;
      const eq = part.indexOf('=');
      if (eq <= 0) return fail('ERR_DECODE_BAD_TEXT', [`"${part}" is not metric=value`], device);
      const key = part.slice(0, eq).trim();
      const raw = part.slice(eq + 1).trim();
      if (!METRIC_NAME_PATTERN.test(key)) return fail('ERR_DECODE_BAD_METRIC_NAME', [JSON.stringify(key)], device);
      if (NON_FINITE_TEXT.test(raw)) return fail('ERR_DECODE_NON_FINITE', [key], device);
      if (!NUMBER_TEXT.test(raw)) return fail('ERR_DECODE_WRONG_TYPE', [key, `expected a number, got "${raw}"`], device);
      const v = Number(raw);
      if (!Number.isFinite(v)) return fail('ERR_DECODE_NON_FINITE', [key], device);
      if (key in values) return fail('ERR_DECODE_BAD_TEXT', [`metric ${key} appears twice`], device);
      values[key] = v;
      count++;
    }
    return this.#finish(device, tsField, values, count, receivedAt);
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

function fail(code: ErrorCode, args: readonly unknown[], device?: string): DecodeResult {
  return device === undefined ? { ok: false, error: codedError(code, args) } : { ok: false, error: codedError(code, args), device };
}

/** The short reason label a decode error is counted under: ERR_DECODE_NOT_JSON → not_json. */
export function reasonOf(code: ErrorCode): string {
  return code.replace(/^ERR_(DECODE_)?/, '').toLowerCase();
}
