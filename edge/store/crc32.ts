// CRC-32 (IEEE 802.3, the polynomial of zlib and gzip), for the frames of the recorder's segment
// files: a frame torn by a power cut, or bytes the card mangled, fail it. zlib.crc32 came in Node
// 20.15; the gateway runs on any Node 20. ~200 KB a second at 10,000 readings/s: a table does.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC-32 of `bytes` (an unsigned 32-bit number). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
