// Payload codecs: a device message as the bytes the gateway's decoder reads (README "The reading
// format"): a JSON object for MQTT, one line in the serial port's framing (ndjson, csv, kv).
//
// A malformed message is rendered so that the gateway's decoder must refuse it, with the defect's
// natural reason for that framing (a truncated JSON object does not parse; a truncated csv line
// has too few fields).

import type { Defect, DeviceMessage } from '../message.js';

export type LineFraming = 'ndjson' | 'csv' | 'kv';

/** Bytes 0xFF 0xFE never occur in UTF-8, so a payload starting with them is refused as not UTF-8. */
const NOT_UTF8 = Buffer.from([0xff, 0xfe]);

/** What one transport writes for one message. */
export type Encode = (message: DeviceMessage) => string | Buffer;

/** MQTT payload: `{"ts":…,"metric":value,…}`. */
export const encodeJson: Encode = (m) => json(m, undefined);

/** A serial line in `framing`, naming the device (the gateway's deviceField `device`), with `\n`. */
export function lineEncoder(framing: LineFraming, metrics: readonly string[], delimiter = ','): Encode {
  switch (framing) {
    case 'ndjson':
      return (m) => withNewline(json(m, m.device));
    case 'csv':
      return (m) => withNewline(csv(m, metrics, delimiter));
    case 'kv':
      return (m) => withNewline(kv(m));
  }
}

/** The gateway's csv columns for a group's lines: `[ts, device, ...metrics]`. */
export function csvColumns(metrics: readonly string[]): string[] {
  return ['ts', 'device', ...metrics];
}

function json(m: DeviceMessage, device: string | undefined): string | Buffer {
  const head = device === undefined ? '{' : `{"device":${JSON.stringify(device)},`;
  const ts = m.defect === 'bad-timestamp' ? '"yesterday"' : String(m.ts);
  let body = `${head}"ts":${ts}`;
  if (m.defect !== 'no-metrics') {
    let first = true;
    for (const key in m.values) {
      body += `,"${key}":${first ? corrupt(m.values[key]!, m.defect, true) : m.values[key]}`;
      first = false;
    }
  }
  body += '}';
  return finish(body, m.defect);
}

function csv(m: DeviceMessage, metrics: readonly string[], delimiter: string): string | Buffer {
  const ts = m.defect === 'bad-timestamp' ? 'yesterday' : String(m.ts);
  const cells = [ts, m.device];
  metrics.forEach((name, i) => {
    const v = m.values[name];
    cells.push(m.defect === 'no-metrics' || v === undefined ? '' : i === 0 ? corrupt(v, m.defect, false) : String(v));
  });
  // A truncated line ends after the device: too few fields for the configured columns.
  return finish((m.defect === 'truncated' ? cells.slice(0, 2) : cells).join(delimiter), m.defect === 'truncated' ? undefined : m.defect);
}

function kv(m: DeviceMessage): string | Buffer {
  const ts = m.defect === 'bad-timestamp' ? 'yesterday' : String(m.ts);
  let line = `device=${m.device} ts=${ts}`;
  if (m.defect !== 'no-metrics') {
    let first = true;
    for (const key in m.values) {
      // A truncated line stops mid-pair: the first metric's key without its `=value`.
      if (m.defect === 'truncated') return `${line} ${key}`;
      line += ` ${key}=${first ? corrupt(m.values[key]!, m.defect, false) : m.values[key]}`;
      first = false;
    }
  }
  return finish(line, m.defect);
}

/** The first metric's value as written, spoilt by the defects that act on a value. */
function corrupt(v: number, defect: Defect | undefined, quoted: boolean): string {
  if (defect === 'non-finite') return 'NaN';
  if (defect === 'wrong-type') return quoted ? `"${v}"` : 'hot';
  return String(v);
}

/** Apply the defects that act on the whole payload. */
function finish(text: string, defect: Defect | undefined): string | Buffer {
  if (defect === 'truncated') return text.slice(0, Math.max(2, text.length >> 1));
  if (defect === 'not-utf8') return Buffer.concat([NOT_UTF8, Buffer.from(text)]);
  return text;
}

function withNewline(payload: string | Buffer): string | Buffer {
  return typeof payload === 'string' ? `${payload}\n` : Buffer.concat([payload, Buffer.from('\n')]);
}
