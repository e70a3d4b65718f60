// Where the ingest log keeps things in the gateway's LevelDB: three binary sublevels with short
// names (every key byte is written to the SD card with every reading) and fixed-width big-endian
// keys, so LevelDB's byte order is seq order, and device-then-event-time order in the index.

import type { AbstractSublevel } from 'abstract-level';
import type { Db } from './db.js';
import { readUintBE, writeUintBE } from './bytes.js';

export type BinarySublevel = AbstractSublevel<Db, string | Buffer | Uint8Array, Buffer, Buffer>;

export interface LogSublevels {
  /** seq (6 bytes) → encoded reading. */
  readonly records: BinarySublevel;
  /** `d`/`m` + ref (4 bytes) → name: the codec's dictionary. */
  readonly dictionary: BinarySublevel;
  /** device ref (4) + event time (6) + seq (6) → empty: the flight recorder's index. */
  readonly index: BinarySublevel;
}

export function logSublevels(db: Db): LogSublevels {
  const binary = (name: string): BinarySublevel => db.sublevel<Buffer, Buffer>(name, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  return { records: binary('il'), dictionary: binary('ild'), index: binary('ilx') };
}

const SEQ_BYTES = 6;
const TS_BYTES = 6;
const REF_BYTES = 4;
/** The largest seq a 6-byte key holds: 2.8e14, nearly 90 years at 100,000 readings/s. */
export const MAX_SEQ = 2 ** (8 * SEQ_BYTES) - 1;
/** Event times the index can hold: 0 … year 10889. */
export const MAX_INDEX_TS = 2 ** (8 * TS_BYTES) - 1;

export function seqKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(SEQ_BYTES);
  writeUintBE(key, seq, 0, SEQ_BYTES);
  return key;
}

export function seqOfKey(key: Uint8Array): number {
  return readUintBE(key, 0, SEQ_BYTES);
}

export function indexKey(deviceRef: number, ts: number, seq: number): Buffer {
  const key = Buffer.allocUnsafe(REF_BYTES + TS_BYTES + SEQ_BYTES);
  writeUintBE(key, deviceRef, 0, REF_BYTES);
  writeUintBE(key, ts, REF_BYTES, TS_BYTES);
  writeUintBE(key, seq, REF_BYTES + TS_BYTES, SEQ_BYTES);
  return key;
}

export function seqOfIndexKey(key: Uint8Array): number {
  return readUintBE(key, REF_BYTES + TS_BYTES, SEQ_BYTES);
}

/** Bytes a key of this sublevel really occupies: its prefix (e.g. `!il!`) is stored with every key. */
export function prefixBytes(sublevel: BinarySublevel): number {
  return Buffer.byteLength(sublevel.prefix);
}
