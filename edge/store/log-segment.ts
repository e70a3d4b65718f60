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

/** The records of a segment value, as views into it. Throws ERR_STORE_CORRUPT. */
export function segmentRecords(value: Uint8Array): Uint8Array[] {
  const r = new ByteReader(value, 'ingest-log segment');
  const n = r.uvarint();
  const out: Uint8Array[] = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) out[i] = r.view(r.uvarint());
  if (!r.done) throw r.corrupt('bytes after the last record');
  return out;
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
