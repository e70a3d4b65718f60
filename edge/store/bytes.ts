// Byte-level building blocks for compact records: LEB128 varints (unsigned and zigzag), float64,
// and fixed-width big-endian integers whose byte order is their sort order in LevelDB keys.

import { codedError } from '../errors/catalogue.js';

/** Largest magnitude a zigzag varint carries exactly: its zigzag form must stay below 2^53. */
export const MAX_ZIGZAG = 2 ** 52;

/** Appends to a growing buffer; `finish()` returns a copy of what was written. */
export class ByteWriter {
  #buf: Buffer;
  #pos = 0;

  constructor(capacity = 64) {
    this.#buf = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.#pos;
  }

  /** Start over, keeping the buffer (one writer serves record after record). */
  reset(): void {
    this.#pos = 0;
  }

  /** Forget everything written after the first `length` bytes. */
  truncate(length: number): void {
    if (!(length >= 0 && length <= this.#pos)) throw new TypeError(`cannot truncate ${this.#pos} bytes to ${length}`);
    this.#pos = length;
  }

  /** Unsigned LEB128 of a safe non-negative integer (1 byte below 128, at most 8 bytes). */
  uvarint(n: number): void {
    this.#room(8);
    while (n >= 0x80) {
      this.#buf[this.#pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#buf[this.#pos++] = n;
  }

  /** Signed integer with |n| <= MAX_ZIGZAG: 0, -1, 1, -2 … become 0, 1, 2, 3 … */
  zigzag(n: number): void {
    this.uvarint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  f64(v: number): void {
    this.#room(8);
    this.#buf.writeDoubleLE(v, this.#pos);
    this.#pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#pos);
    this.#pos += b.length;
  }

  finish(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#pos));
  }

  /** What was written, as a view (no copy): valid until the next write or reset. */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#pos + n));
    this.#buf.copy(next, 0, 0, this.#pos);
    this.#buf = next;
  }
}

/** Reads what ByteWriter wrote; a read past the end or a malformed varint throws ERR_STORE_CORRUPT. */
export class ByteReader {
  #pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  get done(): boolean {
    return this.#pos === this.buf.length;
  }

  /** The position of the next byte to read. */
  get pos(): number {
    return this.#pos;
  }

  /** Continue reading at byte `pos` (0 ≤ pos ≤ length). */
  seek(pos: number): void {
    if (!(pos >= 0 && pos <= this.buf.length)) throw new TypeError(`cannot seek to byte ${pos} of ${this.buf.length}`);
    this.#pos = pos;
  }

  uvarint(): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.#byte();
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 0x80;
    }
    throw this.corrupt('varint longer than 8 bytes');
  }

  zigzag(): number {
    const z = this.uvarint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f64(): number {
    if (this.#pos + 8 > this.buf.length) throw this.corrupt('record ends inside a float64');
    const v = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.#pos, 8).readDoubleLE(0);
    this.#pos += 8;
    return v;
  }

  /** The next `length` bytes, as a view (no copy). */
  view(length: number): Uint8Array {
    if (this.#pos + length > this.buf.length) throw this.corrupt('ends inside a record');
    const v = this.buf.subarray(this.#pos, this.#pos + length);
    this.#pos += length;
    return v;
  }

  /** Everything not read yet, as a view (no copy); the reader is then done. */
  rest(): Uint8Array {
    return this.view(this.buf.length - this.#pos);
  }

  utf8(length: number): string {
    if (this.#pos + length > this.buf.length) throw this.corrupt('record ends inside a name');
    const s = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.#pos, length).toString('utf8');
    this.#pos += length;
    return s;
  }

  corrupt(detail: string): Error {
    return codedError('ERR_STORE_CORRUPT', [this.what, `at byte ${this.#pos}`, detail]);
  }

  #byte(): number {
    if (this.#pos >= this.buf.length) throw this.corrupt('record ends early');
    return this.buf[this.#pos++]!;
  }
}

/** `n` (a safe non-negative integer below 2^(8·width)) as `width` big-endian bytes at `offset`. */
export function writeUintBE(target: Buffer, n: number, offset: number, width: number): void {
  if (!(Number.isSafeInteger(n) && n >= 0 && n < 2 ** (8 * width))) throw new TypeError(`${n} does not fit in ${width} bytes`);
  target.writeUIntBE(n, offset, width);
}

export function readUintBE(source: Uint8Array, offset: number, width: number): number {
  return Buffer.from(source.buffer, source.byteOffset, source.byteLength).readUIntBE(offset, width);
}
