// A compact binary encoding of readings for the ingest log, with a per-log dictionary of device
// and metric names so a record carries small numbers instead of names.
//
// Record (format 1):  flags u8 · device ref · receivedAt zigzag · (ts − receivedAt) zigzag ·
// metric count · per metric: tag uvarint (name ref · 8 + kind) and the value.
//   flags: bit 0 = tsFromArrival, bits 4-7 = format (1).
//   ref 0 = the name follows inline (uvarint length, UTF-8) — used once a dictionary is full.
//   kind 0 = float64 LE (8 bytes); kind k in 1..7 = a decimal with k−1 fractional digits,
//   zigzag mantissa m, value m / 10^(k−1): 71.2 takes 3 bytes instead of 9. It is used only when
//   that division gives back exactly the same double, so every value round-trips bit for bit.
//
// The dictionary survives restarts because a new entry is written in the same LevelDB batch as
// the first record that uses it (see `encode`'s `added`); `load` restores them at open.

import { codedError } from '../errors/catalogue.js';
import type { Reading } from '../decode/reading.js';
import { ByteReader, ByteWriter, MAX_ZIGZAG, readUintBE, writeUintBE } from './bytes.js';

const FORMAT = 1;
/** Powers of ten for short decimals: a value with d fractional digits is stored as mantissa / POW10[d]. */
export const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6] as const;

export type NameSpace = 'device' | 'metric';

/** A dictionary entry to persist: `ref` (≥ 1) stands for `name` in records of this log. */
export interface DictionaryEntry {
  readonly space: NameSpace;
  readonly ref: number;
  readonly name: string;
}

export interface ReadingCodecOptions {
  /** Names per space (devices, metrics) given a ref; later names are written inline (default 100000). */
  readonly maxDictionary?: number;
}

class Names {
  readonly #refs = new Map<string, number>();
  readonly #names: string[] = [''];

  constructor(private readonly max: number) {}

  get size(): number {
    return this.#names.length - 1;
  }

  /** The ref of `name`; a new name gets the next ref (reported in `added`) unless the dictionary is full (0). */
  ref(space: NameSpace, name: string, added: DictionaryEntry[]): number {
    const known = this.#refs.get(name);
    if (known !== undefined) return known;
    if (this.size >= this.max) return 0;
    const ref = this.#names.length;
    this.#names.push(name);
    this.#refs.set(name, ref);
    added.push({ space, ref, name });
    return ref;
  }

  peek(name: string): number | undefined {
    return this.#refs.get(name);
  }

  name(ref: number): string | undefined {
    return this.#names[ref];
  }

  load(ref: number, name: string): void {
    // Entries are written with their first record, so refs may arrive in any order but never twice.
    if (this.#names[ref] !== undefined && this.#names[ref] !== name) throw codedError('ERR_STORE_CORRUPT', ['dictionary', ref, `two names for one ref (${this.#names[ref]}, ${name})`]);
    while (this.#names.length <= ref) this.#names.push(undefined as unknown as string);
    this.#names[ref] = name;
    this.#refs.set(name, ref);
  }
}

export class ReadingCodec {
  readonly #devices: Names;
  readonly #metrics: Names;
  readonly #w = new ByteWriter(256);
  readonly #quotedNames = new Map<string, string>();
  readonly #maxQuoted: number;

  constructor(options: ReadingCodecOptions = {}) {
    const max = options.maxDictionary ?? 100_000;
    this.#devices = new Names(max);
    this.#metrics = new Names(max);
    this.#maxQuoted = max;
  }

  /** Restore entries written by earlier runs. */
  load(entries: Iterable<DictionaryEntry>): void {
    for (const e of entries) (e.space === 'device' ? this.#devices : this.#metrics).load(e.ref, e.name);
  }

  /** Names held per space. */
  get dictionarySize(): { devices: number; metrics: number } {
    return { devices: this.#devices.size, metrics: this.#metrics.size };
  }

  /** The device's ref, or undefined when it has none (never seen, or written inline). */
  deviceRef(device: string): number | undefined {
    return this.#devices.peek(device) || undefined;
  }

  /**
   * Encode one reading. Names seen for the first time get refs, and their entries are pushed onto
   * `added`: write them in the same batch as this record, or the record cannot be decoded later.
   */
  encode(reading: Reading, added: DictionaryEntry[]): Buffer {
    // Checked before any name gets a ref, so a refused reading leaves the dictionary untouched.
    const delta = reading.ts - reading.receivedAt;
    if (!(Number.isSafeInteger(reading.receivedAt) && Math.abs(reading.receivedAt) <= MAX_ZIGZAG && Number.isSafeInteger(delta) && Math.abs(delta) <= MAX_ZIGZAG)) {
      throw new TypeError(`reading times must be whole ms: ts ${reading.ts}, receivedAt ${reading.receivedAt}`);
    }
    const w = this.#w;
    w.reset();
    w.uvarint((FORMAT << 4) | (reading.tsFromArrival ? 1 : 0));
    const device = this.#devices.ref('device', reading.device, added);
    w.uvarint(device);
    this.#inline(w, device, reading.device);
    w.zigzag(reading.receivedAt);
    w.zigzag(delta);
    const names = Object.keys(reading.values);
    w.uvarint(names.length);
    for (const metric of names) {
      const v = reading.values[metric]!;
      const kind = decimalKind(v);
      const ref = this.#metrics.ref('metric', metric, added);
      w.uvarint(ref * 8 + kind);
      this.#inline(w, ref, metric);
      if (kind === 0) w.f64(v);
      else w.zigzag(Math.round(v * POW10[kind - 1]!));
    }
    return w.finish();
  }

  /**
   * The device ref of the encoded record at the reader's position, without decoding the rest (0: the
   * name is inline); the reader is left after it. Takes a reader, not bytes, so that scanning a
   * segment of records costs no allocation per record (log-segment.ts SegmentWalker).
   */
  peekDeviceRef(r: ByteReader): number {
    r.uvarint(); // flags
    return r.uvarint();
  }

  /**
   * Right after peekDeviceRef gave `ref`: the device's name when the record spells it (ref 0), else
   * undefined; the reader is left after it, at the times (peekTs).
   */
  peekInlineDevice(r: ByteReader, ref: number): string | undefined {
    return ref === 0 ? r.utf8(r.uvarint()) : undefined;
  }

  /** Right after peekInlineDevice: the record's event time; the reader is left before its values. */
  peekTs(r: ByteReader): number {
    return r.zigzag() + r.zigzag(); // receivedAt, then ts − receivedAt
  }

  /** Decode a record. Throws ERR_STORE_CORRUPT for bytes this codec did not write. */
  decode(bytes: Uint8Array): Reading {
    const r = new ByteReader(bytes, 'ingest-log');
    const flags = readFlags(r);
    const device = this.#readName(r, this.#devices, r.uvarint(), 'device');
    const receivedAt = r.zigzag();
    const ts = receivedAt + r.zigzag();
    const n = r.uvarint();
    const values: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint();
      const kind = tag % 8;
      const metric = this.#readName(r, this.#metrics, (tag - kind) / 8, 'metric');
      values[metric] = readValue(r, kind);
    }
    if (!r.done) throw r.corrupt('bytes after the last metric');
    return { device, ts, tsFromArrival: (flags & 1) === 1, receivedAt, values };
  }

  /**
   * A record as the JSON text of an uplink raw reading (`{"ts":…,"receivedAt":…,"values":{…}}`,
   * with `"tsFromArrival":true` between them when set) and its event time, without making the
   * reading: the flight recorder's snippets go out as text, and a reading object per row was most of
   * what cutting them allocated. JSON.parse of the text equals the row snippet-parts.ts makes of
   * `decode`'s reading. Throws ERR_STORE_CORRUPT like decode.
   */
  rowJson(bytes: Uint8Array): { ts: number; json: string } {
    const r = new ByteReader(bytes, 'ingest-log');
    const flags = readFlags(r);
    this.#readName(r, this.#devices, r.uvarint(), 'device');
    const receivedAt = r.zigzag();
    const ts = receivedAt + r.zigzag();
    const n = r.uvarint();
    let json = `{"ts":${ts},"receivedAt":${receivedAt},${(flags & 1) === 1 ? '"tsFromArrival":true,' : ''}"values":{`;
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint();
      const kind = tag % 8;
      const metric = this.#readName(r, this.#metrics, (tag - kind) / 8, 'metric');
      const v = readValue(r, kind);
      json += `${i > 0 ? ',' : ''}${this.#quoted(metric)}:${Number.isFinite(v) ? v : 'null'}`;
    }
    if (!r.done) throw r.corrupt('bytes after the last metric');
    return { ts, json: `${json}}}` };
  }

  /** A metric's name as a JSON string, kept for the names the dictionary holds. */
  #quoted(name: string): string {
    let quoted = this.#quotedNames.get(name);
    if (quoted === undefined) {
      quoted = JSON.stringify(name);
      if (this.#quotedNames.size < this.#maxQuoted) this.#quotedNames.set(name, quoted);
    }
    return quoted;
  }

  /** Ref 0 means the name itself follows. */
  #inline(w: ByteWriter, ref: number, name: string): void {
    if (ref === 0) {
      const b = Buffer.from(name, 'utf8');
      w.uvarint(b.length);
      w.bytes(b);
    }
  }

  #readName(r: ByteReader, names: Names, ref: number, space: NameSpace): string {
    if (ref === 0) return r.utf8(r.uvarint());
    const name = names.name(ref);
    if (name === undefined) throw r.corrupt(`${space} ref ${ref} is not in the dictionary`);
    return name;
  }

}

/** A record's flags, its format checked (ERR_STORE_CORRUPT for one this codec did not write). */
function readFlags(r: ByteReader): number {
  const flags = r.uvarint();
  if (flags >> 4 !== FORMAT) throw r.corrupt(`unknown record format ${flags >> 4}`);
  return flags;
}

/** A metric's value as `encode` wrote it for its kind (decimalKind). */
function readValue(r: ByteReader, kind: number): number {
  return kind === 0 ? r.f64() : r.zigzag() / POW10[kind - 1]!;
}

/** 0 for float64, or 1 + the fewest fractional digits (≤ 6) with which the value round-trips exactly. */
export function decimalKind(v: number): number {
  if (Object.is(v, -0)) return 0;
  for (let d = 0; d < POW10.length; d++) {
    const m = Math.round(v * POW10[d]!);
    if (Math.abs(m) > MAX_ZIGZAG) return 0;
    if (m / POW10[d]! === v) return d + 1;
  }
  return 0;
}

/** Storage key of a dictionary entry: `d` or `m`, then the ref as 4 big-endian bytes. */
export function dictionaryKey(entry: DictionaryEntry): Buffer {
  const key = Buffer.alloc(5);
  key[0] = entry.space === 'device' ? 0x64 : 0x6d;
  writeUintBE(key, entry.ref, 1, 4);
  return key;
}

/** The entry a stored dictionary key and value stand for. Throws ERR_STORE_CORRUPT. */
export function dictionaryEntry(key: Uint8Array, value: Uint8Array): DictionaryEntry {
  if (key.length !== 5 || (key[0] !== 0x64 && key[0] !== 0x6d)) throw codedError('ERR_STORE_CORRUPT', ['dictionary', Buffer.from(key).toString('hex'), 'malformed key']);
  return { space: key[0] === 0x64 ? 'device' : 'metric', ref: readUintBE(key, 1, 4), name: Buffer.from(value).toString('utf8') };
}
