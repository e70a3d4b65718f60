// Numbers and names in the outbox's binary records: a tag, then the value in as few bytes as
// round-trip exactly. Tag 1 is an integer, stored as its difference from a base (a window start:
// epoch-sized instants shrink to 1–3 bytes); tags 2–7 a short decimal (ingest log's scheme, see
// store/reading-codec.ts); tag 0 a float64.

import { ByteReader, ByteWriter, MAX_ZIGZAG } from '../store/bytes.js';
import { decimalKind, POW10 } from '../store/reading-codec.js';

const F64 = 0;
const INTEGER = 1;

export function writeNumber(w: ByteWriter, v: number, base = 0): void {
  const kind = decimalKind(v);
  if (kind === INTEGER) {
    if (Number.isSafeInteger(v) && Number.isSafeInteger(base) && Math.abs(v - base) <= MAX_ZIGZAG) {
      w.uvarint(INTEGER);
      w.zigzag(v - base);
      return;
    }
  } else if (kind > INTEGER) {
    w.uvarint(kind);
    w.zigzag(Math.round(v * POW10[kind - 1]!));
    return;
  }
  w.uvarint(F64);
  w.f64(v);
}

export function readNumber(r: ByteReader, base = 0): number {
  const kind = r.uvarint();
  if (kind === F64) return r.f64();
  if (kind === INTEGER) return base + r.zigzag();
  const scale = POW10[kind - 1];
  if (scale === undefined) throw r.corrupt(`unknown number tag ${kind}`);
  return r.zigzag() / scale;
}

export function writeText(w: ByteWriter, s: string): void {
  const b = Buffer.from(s, 'utf8');
  w.uvarint(b.length);
  w.bytes(b);
}

export function readText(r: ByteReader): string {
  return r.utf8(r.uvarint());
}
