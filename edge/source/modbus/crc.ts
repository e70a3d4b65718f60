// The Modbus RTU frame check: CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF), shared by the
// gateway's master and the simulator's slave so both sides agree on every frame.
//
// Modbus over Serial Line V1.02 §2.5.1.2 and §6.2.2: the CRC covers every byte of the frame before
// it and is appended low-order byte first.

const TABLE = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[n] = crc;
  }
  return table;
}

/** CRC-16/MODBUS of `bytes` (as a number; the low byte goes on the wire first). */
export function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) crc = (crc >>> 8) ^ TABLE[(crc ^ byte) & 0xff]!;
  return crc;
}

/** `body` with its CRC appended, low byte first: a complete RTU frame. */
export function withCrc(body: Uint8Array): Buffer {
  const frame = Buffer.alloc(body.length + 2);
  frame.set(body);
  frame.writeUInt16LE(crc16(body), body.length);
  return frame;
}

/** Whether `frame` (body + 2 CRC bytes) carries a correct CRC. */
export function hasValidCrc(frame: Uint8Array): boolean {
  if (frame.length < 3) return false;
  const end = frame.length - 2;
  const expected = crc16(frame.subarray(0, end));
  return frame[end] === (expected & 0xff) && frame[end + 1] === expected >>> 8;
}
