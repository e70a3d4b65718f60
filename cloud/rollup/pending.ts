// Pending roll-up work: what an ingest batch asks of the roll-ups (windows to merge, buckets to
// rebuild). It is written durably in the same atomic write as the batch's summaries, and a roll-up
// pass later applies every pending entry at once and deletes them in the same write as the
// buckets — so a crash in between loses nothing, and a hot bucket is written once per pass rather
// than once per batch.

import type { RollupInput } from './engine.js';
import { PARTIAL_FIELDS } from './bucket.js';
import type { WindowPlace } from './series.js';
import { emptyPartials } from '../../edge/features/partials.js';

export interface PendingRollup {
  /** Brand-new windows, merged incrementally. */
  readonly adds: readonly RollupInput[];
  /** Windows (old and new versions) whose buckets are rebuilt. */
  readonly recompute: readonly WindowPlace[];
}

// Bytes: two uint32 counts, then per window its start (and, for an add, its 13 partials) as
// little-endian float64s followed by device, metric, site and line as uint16-length-prefixed UTF-8.
// Compact and allocation-light: a pass may hold a second of a busy fleet's work.

const placeBytes = (w: WindowPlace) => 8 + 8 + Buffer.byteLength(w.device) + Buffer.byteLength(w.metric) + Buffer.byteLength(w.site) + Buffer.byteLength(w.line);

export function encodePending(p: PendingRollup): Buffer {
  let size = 8;
  for (const w of p.adds) size += placeBytes(w) + PARTIAL_FIELDS.length * 8;
  for (const w of p.recompute) size += placeBytes(w);
  const buf = Buffer.allocUnsafe(size);
  let at = buf.writeUInt32LE(p.adds.length, 0);
  at = buf.writeUInt32LE(p.recompute.length, at);
  const place = (w: WindowPlace) => {
    at = buf.writeDoubleLE(w.windowStart, at);
    for (const name of [w.device, w.metric, w.site, w.line]) {
      const len = buf.write(name, at + 2, 'utf8');
      at = buf.writeUInt16LE(len, at) + len;
    }
  };
  for (const w of p.adds) {
    place(w);
    for (const f of PARTIAL_FIELDS) at = buf.writeDoubleLE(w.partials[f], at);
  }
  for (const w of p.recompute) place(w);
  return buf;
}

export function decodePending(bytes: Uint8Array): PendingRollup {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const adds = buf.readUInt32LE(0);
  const recomputes = buf.readUInt32LE(4);
  let at = 8;
  const name = () => {
    const len = buf.readUInt16LE(at);
    const s = buf.toString('utf8', at + 2, at + 2 + len);
    at += 2 + len;
    return s;
  };
  const place = (): WindowPlace => {
    const windowStart = buf.readDoubleLE(at);
    at += 8;
    return { windowStart, device: name(), metric: name(), site: name(), line: name() };
  };
  const out: { adds: RollupInput[]; recompute: WindowPlace[] } = { adds: [], recompute: [] };
  for (let i = 0; i < adds; i++) {
    const w = place();
    const partials = emptyPartials(0);
    for (const f of PARTIAL_FIELDS) {
      partials[f] = buf.readDoubleLE(at);
      at += 8;
    }
    out.adds.push({ ...w, partials });
  }
  for (let i = 0; i < recomputes; i++) out.recompute.push(place());
  return out;
}

/** Several pending entries, in the order they were written, as one. */
export function concatPending(entries: readonly PendingRollup[]): PendingRollup {
  return { adds: entries.flatMap((e) => e.adds), recompute: entries.flatMap((e) => e.recompute) };
}

export const pendingSize = (p: PendingRollup): number => p.adds.length + p.recompute.length;
