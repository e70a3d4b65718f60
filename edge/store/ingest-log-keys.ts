// Where the ingest log keeps things in the gateway's LevelDB: three binary sublevels with short
// names (key bytes are written to the SD card too) and 6-byte big-endian seq keys, so LevelDB's
// byte order is seq order.

import type { AbstractSublevel } from 'abstract-level';
import type { Db } from './db.js';
import { readUintBE, writeUintBE } from './bytes.js';

export type BinarySublevel = AbstractSublevel<Db, string | Buffer | Uint8Array, Buffer, Buffer>;

export interface LogSublevels {
  /** first seq of a segment (6 bytes) → the segment: its records (log-segment.ts). */
  readonly segments: BinarySublevel;
  /** first seq of a segment → its meta: count, event-time and arrival ranges. */
  readonly metas: BinarySublevel;
  /** `d`/`m` + ref (4 bytes) → name: the codec's dictionary (reading-codec.ts). */
  readonly dictionary: BinarySublevel;
}

export function logSublevels(db: Db): LogSublevels {
  const binary = (name: string): BinarySublevel => db.sublevel<Buffer, Buffer>(name, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  return { segments: binary('il'), metas: binary('ils'), dictionary: binary('ild') };
}

const SEQ_BYTES = 6;
/** The largest seq a 6-byte key holds: 2.8e14, nearly 90 years at 100,000 readings/s. */
export const MAX_SEQ = 2 ** (8 * SEQ_BYTES) - 1;

export function seqKey(seq: number): Buffer {
  const key = Buffer.allocUnsafe(SEQ_BYTES);
  writeUintBE(key, seq, 0, SEQ_BYTES);
  return key;
}

export function seqOfKey(key: Uint8Array): number {
  return readUintBE(key, 0, SEQ_BYTES);
}

/** Bytes a key of this sublevel really occupies: its prefix (e.g. `!il!`) is stored with every key. */
export function prefixBytes(sublevel: BinarySublevel): number {
  return Buffer.byteLength(sublevel.prefix);
}
