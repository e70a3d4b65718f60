// Log segments: every group commit of the ingest log is stored as ONE LevelDB value holding all of
// its records, plus a small meta value (count, event-time and arrival ranges). One put per commit
// instead of one per reading keeps LevelDB's per-operation cost (keys, prefixes, JS encoding) off
// the hot path, and the key overhead is shared by the hundreds of readings a commit carries.
//
// Segment value: uvarint record count, then per record: uvarint length and the record's bytes.
// Meta value: uvarint count, then zigzag minTs, maxTs − minTs, minReceivedAt, maxReceivedAt − minReceivedAt.

import type { Reading } from '../decode/reading.js';
import { ByteReader, ByteWriter } from './bytes.js';

/** What the log remembers of each segment without reading it. */
export interface SegmentMeta {
  readonly firstSeq: number;
  readonly count: number;
  /** Event-time range of its readings (ms). */
  readonly minTs: number;
  readonly maxTs: number;
  /** Arrival range (gateway clock, ms): retention goes by maxReceivedAt. */
  readonly minReceivedAt: number;
  readonly maxReceivedAt: number;
}

export function encodeSegment(records: readonly Uint8Array[]): Buffer {
  let size = 5;
  for (const r of records) size += r.length + 3;
  const w = new ByteWriter(size);
  w.uvarint(records.length);
  for (const r of records) {
    w.uvarint(r.length);
    w.bytes(r);
  }
  return w.finish();
}

/**
 * Walks the records of a segment value without allocating per record: `next()` moves to the next
 * record, the bytes [start, end) of the value. The flight recorder peeks each record's device ref
 * through `reader` and makes a view (`record()`) only of the ones it wants. Throws ERR_STORE_CORRUPT
 * for a truncated segment or bytes after its last record.
 */
export class SegmentWalker {
  readonly #value: Uint8Array;
  readonly #r: ByteReader;
  #left: number;
  /** The current record: bytes [start, end) of the value, the `index`th of the segment (−1 before the first). */
  start = 0;
  end = 0;
  index = -1;

  constructor(value: Uint8Array) {
    this.#value = value;
    this.#r = new ByteReader(value, 'ingest-log segment');
    this.#left = this.#r.uvarint();
  }

  /** Move to the next record; false past the last one. */
  next(): boolean {
    const r = this.#r;
    if (this.index >= 0) r.seek(this.end);
    if (this.#left === 0) {
      if (!r.done) throw r.corrupt('bytes after the last record');
      return false;
    }
    const length = r.uvarint();
    if (r.pos + length > this.#value.length) throw r.corrupt('ends inside a record');
    this.start = r.pos;
    this.end = r.pos + length;
    this.#left--;
    this.index++;
    return true;
  }

  /**
   * A reader at the current record's first byte, to peek at it. It reads on into the next record
   * rather than stopping at `end`: peek only what every record has, and decode `record()` for the rest.
   */
  get reader(): ByteReader {
    this.#r.seek(this.start);
    return this.#r;
  }

  /** The current record, as a view into the value (no copy). */
  record(): Uint8Array {
    return this.#value.subarray(this.start, this.end);
  }
}

/** The meta of a segment of `readings` starting at `firstSeq`. */
export function segmentMeta(firstSeq: number, readings: ReadonlyArray<Pick<Reading, 'ts' | 'receivedAt'>>): SegmentMeta {
  let minTs = Infinity;
  let maxTs = -Infinity;
  let minReceivedAt = Infinity;
  let maxReceivedAt = -Infinity;
  for (const r of readings) {
    if (r.ts < minTs) minTs = r.ts;
    if (r.ts > maxTs) maxTs = r.ts;
    if (r.receivedAt < minReceivedAt) minReceivedAt = r.receivedAt;
    if (r.receivedAt > maxReceivedAt) maxReceivedAt = r.receivedAt;
  }
  return { firstSeq, count: readings.length, minTs, maxTs, minReceivedAt, maxReceivedAt };
}

export function encodeMeta(meta: SegmentMeta): Buffer {
  const w = new ByteWriter(32);
  w.uvarint(meta.count);
  w.zigzag(meta.minTs);
  w.zigzag(meta.maxTs - meta.minTs);
  w.zigzag(meta.minReceivedAt);
  w.zigzag(meta.maxReceivedAt - meta.minReceivedAt);
  return w.finish();
}

export function decodeMeta(firstSeq: number, value: Uint8Array): SegmentMeta {
  const r = new ByteReader(value, 'ingest-log segment meta');
  const count = r.uvarint();
  const minTs = r.zigzag();
  const maxTs = minTs + r.zigzag();
  const minReceivedAt = r.zigzag();
  const maxReceivedAt = minReceivedAt + r.zigzag();
  if (!r.done) throw r.corrupt('bytes after the meta');
  return { firstSeq, count, minTs, maxTs, minReceivedAt, maxReceivedAt };
}
