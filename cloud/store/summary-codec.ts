// Stored summaries as compact bytes: numbers as little-endian float64s, then the names as
// length-prefixed UTF-8, then any other fields the summary carries (e.g. a model score) as JSON.
// About a third of the JSON, and quicker to make: at tens of thousands of summaries a second the
// size of each value shows in LevelDB's write time.

import type { Features } from '../../edge/features/summary.js';
import { decodePartials, PARTIAL_FIELDS } from '../rollup/bucket.js';
import type { StoredSummary } from './contract.js';

const FORMAT = 1;
export const FEATURE_FIELDS = ['count', 'sum', 'min', 'max', 'mean', 'std', 'rms', 'first', 'last', 'slope', 'peakToPeak'] as const satisfies ReadonlyArray<keyof Features>;
const HEAD = 9; // format, flags, revision, start, end, size, slide, emittedAt, receivedAt
/** Where the partials start in the bytes (the PostgreSQL store cuts them out in SQL). */
export const PARTIALS_OFFSET = HEAD * 8;
const NUMBERS = (HEAD + PARTIAL_FIELDS.length + FEATURE_FIELDS.length) * 8;
const RETRACTED = 1;
const ROLLED_UP = 2;
const HAS_SLIDE = 4;
/** Fields with a place of their own; any others go into the JSON tail. */
const KNOWN: ReadonlySet<string> = new Set(['id', 'revision', 'gateway', 'device', 'metric', 'window', 'features', 'partials', 'emittedAt', 'retracted', 'site', 'line', 'rolledUp', 'receivedAt']);

/** Copy the fields of `from` that have no place of their own (e.g. a model score) onto `to`. */
export function copyExtraFields(from: object, to: object): void {
  for (const k in from) {
    if (!KNOWN.has(k)) (to as Record<string, unknown>)[k] = (from as Record<string, unknown>)[k];
  }
}

export function encodeSummary(s: StoredSummary): Buffer {
  const w = s.window;
  const names = [s.id, s.gateway, s.device, s.metric, w.kind, s.site, s.line];
  let extras: Record<string, unknown> | undefined;
  for (const k in s) {
    if (!KNOWN.has(k) && (s as unknown as Record<string, unknown>)[k] !== undefined) (extras ??= {})[k] = (s as unknown as Record<string, unknown>)[k];
  }
  const tail = extras === undefined ? '' : JSON.stringify(extras);
  let size = NUMBERS + Buffer.byteLength(tail);
  for (const n of names) size += 2 + Buffer.byteLength(n);
  const buf = Buffer.allocUnsafe(size);
  const flags = (s.retracted ? RETRACTED : 0) | (s.rolledUp ? ROLLED_UP : 0) | (w.slide === undefined ? 0 : HAS_SLIDE);
  const head = [FORMAT, flags, s.revision, w.start, w.end, w.size, w.slide ?? 0, s.emittedAt, s.receivedAt];
  let at = 0;
  for (const v of head) at = buf.writeDoubleLE(v, at);
  for (const f of PARTIAL_FIELDS) at = buf.writeDoubleLE(s.partials[f], at);
  for (const f of FEATURE_FIELDS) at = buf.writeDoubleLE(s.features[f], at);
  for (const n of names) {
    const len = buf.write(n, at + 2, 'utf8');
    buf.writeUInt16LE(len, at);
    at += 2 + len;
  }
  if (tail) buf.write(tail, at, 'utf8');
  return buf;
}

export function decodeSummary(buf: Buffer): StoredSummary {
  const num = (i: number) => buf.readDoubleLE(i * 8);
  if (num(0) !== FORMAT) throw new TypeError(`stored summary format ${num(0)} is not ${FORMAT}`);
  const flags = num(1);
  const partials = decodePartials(buf.subarray(HEAD * 8, (HEAD + PARTIAL_FIELDS.length) * 8));
  const features = decodeFeatures(buf.subarray((HEAD + PARTIAL_FIELDS.length) * 8, NUMBERS));
  let at = NUMBERS;
  const names: string[] = [];
  for (let i = 0; i < 7; i++) {
    const len = buf.readUInt16LE(at);
    names.push(buf.toString('utf8', at + 2, at + 2 + len));
    at += 2 + len;
  }
  const [id, gateway, device, metric, kind, site, line] = names as [string, string, string, string, StoredSummary['window']['kind'], string, string];
  const base = { kind, start: num(3), end: num(4), size: num(5) };
  const extras = at < buf.length ? (JSON.parse(buf.toString('utf8', at)) as Record<string, unknown>) : {};
  return {
    ...extras,
    id,
    revision: num(2),
    gateway,
    device,
    metric,
    window: flags & HAS_SLIDE ? { ...base, slide: num(6) } : base,
    features,
    partials,
    emittedAt: num(7),
    ...(flags & RETRACTED ? { retracted: true } : {}),
    site,
    line,
    rolledUp: (flags & ROLLED_UP) !== 0,
    receivedAt: num(8),
  };
}

export function encodeFeatures(f: Features): Buffer {
  const buf = Buffer.allocUnsafe(FEATURE_FIELDS.length * 8);
  FEATURE_FIELDS.forEach((k, i) => buf.writeDoubleLE(f[k], i * 8));
  return buf;
}

export function decodeFeatures(buf: Buffer): Features {
  const f = {} as Record<(typeof FEATURE_FIELDS)[number], number>;
  FEATURE_FIELDS.forEach((k, i) => (f[k] = buf.readDoubleLE(i * 8)));
  return f;
}
