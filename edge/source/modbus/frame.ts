// Modbus RTU frames for reading registers (functions 3 and 4): building requests and responses,
// and finding a response in whatever bytes the line delivered.
//
// A frame is: slave address, function code, data, CRC (Modbus over Serial Line V1.02 §2.5.1).
// The PDUs are from Modbus Application Protocol V1.1b3 §6.3 (read holding registers) and §6.4
// (read input registers); exception responses from §7.

import { hasValidCrc, withCrc } from './crc.js';

/** 3: read holding registers, 4: read input registers. */
export type ReadFunction = 3 | 4;

/** Application Protocol §6.3/§6.4: a read asks for 1 to 125 registers. */
export const MAX_READ_REGISTERS = 125;

/** Serial Line §2.5.1: an RTU frame is at most 256 bytes. */
export const MAX_FRAME_BYTES = 256;

/** Application Protocol §7: the exception codes a read may answer with. */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export interface ReadRequest {
  /** Slave address, 1..247 (Serial Line §2.2). */
  readonly unitId: number;
  readonly fn: ReadFunction;
  /** First register, zero-based. */
  readonly address: number;
  /** Registers to read, 1..125. */
  readonly count: number;
}

/** What the bytes received so far say about the answer to one request. */
export type ResponseMatch =
  | { readonly kind: 'registers'; readonly registers: number[] }
  | { readonly kind: 'exception'; readonly code: number }
  /** A frame of the right length and header whose CRC is wrong. */
  | { readonly kind: 'crc' }
  /** No complete answer yet: keep listening. `crcFailed` when a bad frame was seen on the way. */
  | { readonly kind: 'incomplete'; readonly crcFailed: boolean };

/** The 8-byte request frame: address, function, start address, quantity, CRC. */
export function encodeReadRequest(r: ReadRequest): Buffer {
  if (!Number.isInteger(r.unitId) || r.unitId < 1 || r.unitId > 247) throw new TypeError(`unit id ${r.unitId} is not 1..247`);
  if (!Number.isInteger(r.count) || r.count < 1 || r.count > MAX_READ_REGISTERS) throw new TypeError(`register count ${r.count} is not 1..${MAX_READ_REGISTERS}`);
  if (!Number.isInteger(r.address) || r.address < 0 || r.address + r.count > 0x10000) throw new TypeError(`registers ${r.address}+${r.count} are outside 0..65535`);
  const body = Buffer.alloc(6);
  body.writeUInt8(r.unitId, 0);
  body.writeUInt8(r.fn, 1);
  body.writeUInt16BE(r.address, 2);
  body.writeUInt16BE(r.count, 4);
  return withCrc(body);
}

/** The request in an 8-byte frame with a valid CRC, or undefined (any function code is returned). */
export function decodeRequestFrame(frame: Uint8Array): { unitId: number; fn: number; address: number; count: number } | undefined {
  if (frame.length !== 8 || !hasValidCrc(frame)) return undefined;
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  return { unitId: b[0]!, fn: b[1]!, address: b.readUInt16BE(2), count: b.readUInt16BE(4) };
}

/** A normal response: address, function, byte count, the registers high byte first, CRC. */
export function encodeReadResponse(unitId: number, fn: ReadFunction, registers: readonly number[]): Buffer {
  const body = Buffer.alloc(3 + registers.length * 2);
  body.writeUInt8(unitId, 0);
  body.writeUInt8(fn, 1);
  body.writeUInt8(registers.length * 2, 2);
  registers.forEach((value, i) => body.writeUInt16BE(value, 3 + i * 2));
  return withCrc(body);
}

/** An exception response: address, function + 0x80, exception code, CRC (Application Protocol §7). */
export function encodeException(unitId: number, fn: number, code: number): Buffer {
  return withCrc(Uint8Array.of(unitId, (fn | 0x80) & 0xff, code));
}

/**
 * Look through `rx` for the answer to `request`. Bytes before it are skipped, so garbage on the
 * line does not hide a good frame. A candidate (right address, function and byte count) whose CRC
 * fails is reported as `crc` only when no other candidate could still complete.
 */
export function matchResponse(rx: Uint8Array, request: ReadRequest): ResponseMatch {
  const normalLength = 5 + request.count * 2;
  let crcFailed = false;
  let waiting = false;
  for (let i = 0; i + 1 < rx.length; i++) {
    if (rx[i] !== request.unitId) continue;
    const fn = rx[i + 1];
    let length: number;
    if (fn === request.fn) {
      if (i + 2 >= rx.length) {
        waiting = true;
        break;
      }
      if (rx[i + 2] !== request.count * 2) continue;
      length = normalLength;
    } else if (fn === (request.fn | 0x80)) {
      length = 5;
    } else {
      continue;
    }
    if (i + length > rx.length) {
      waiting = true;
      continue;
    }
    const frame = rx.subarray(i, i + length);
    if (!hasValidCrc(frame)) {
      // Either a damaged answer or noise shaped like a header in front of the real one: keep looking.
      crcFailed = true;
      continue;
    }
    if (length === 5) return { kind: 'exception', code: frame[2]! };
    const registers: number[] = [];
    for (let r = 0; r < request.count; r++) registers.push((frame[3 + r * 2]! << 8) | frame[4 + r * 2]!);
    return { kind: 'registers', registers };
  }
  // The last byte may be the start of a frame still arriving.
  if (rx.length > 0 && rx[rx.length - 1] === request.unitId) waiting = true;
  return crcFailed && !waiting ? { kind: 'crc' } : { kind: 'incomplete', crcFailed };
}
