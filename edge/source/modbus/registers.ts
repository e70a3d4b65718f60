// Typed values in Modbus registers: how the gateway decodes a reading from 16-bit registers and how
// the simulator encodes one into them. One pure module so both sides mirror each other exactly.
//
// Modbus Application Protocol V1.1b3 §4.2: a register is 16 bits, sent high byte first. Nothing
// specifies how 32-bit values span two registers, so devices differ: `wordOrder` says which
// register holds the high word, `byteOrder` whether the bytes inside each register are swapped.

export type RegisterType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32';
export type Order = 'big' | 'little';

const REGISTER_TYPES: readonly RegisterType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32'];

/** How one value is laid out over its register(s). */
export interface RegisterLayout {
  readonly type: RegisterType;
  /** 32-bit types: `big` when the first register holds the high word. Ignored for 16-bit types. */
  readonly wordOrder: Order;
  /** `big` (the Modbus order) or `little` (the two bytes of every register swapped). */
  readonly byteOrder: Order;
}

/** value = raw * scale + offset. */
export interface Scaling {
  readonly scale: number;
  readonly offset: number;
}

/** Narrow a configured type name; an unknown name is a programmer mistake (the schema lists them). */
export function registerType(name: string): RegisterType {
  if (!(REGISTER_TYPES as readonly string[]).includes(name)) throw new TypeError(`unknown Modbus register type ${name}; expected one of ${REGISTER_TYPES.join(', ')}`);
  return name as RegisterType;
}

/** Narrow a configured order name (`big` or `little`). */
export function order(name: string): Order {
  if (name !== 'big' && name !== 'little') throw new TypeError(`unknown Modbus word/byte order ${name}; expected big or little`);
  return name;
}

/** How many 16-bit registers a value of `type` occupies. */
export function registerCount(type: RegisterType): 1 | 2 {
  return type === 'int16' || type === 'uint16' ? 1 : 2;
}

/** The raw (unscaled) value held in `words` (exactly registerCount(type) registers, each 0..65535). */
export function decodeRegisters(words: readonly number[], layout: RegisterLayout): number {
  const bytes = toBigEndianBytes(words, layout);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (layout.type) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'float32':
      return view.getFloat32(0);
  }
}

/**
 * The registers that hold raw value `raw`. Integer types take an integer in range (RangeError
 * otherwise); float32 rounds to the nearest single-precision value.
 */
export function encodeRegisters(raw: number, layout: RegisterLayout): number[] {
  const size = registerCount(layout.type) * 2;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  if (layout.type === 'float32') {
    view.setFloat32(0, raw);
  } else {
    const [min, max] = RANGES[layout.type];
    if (!Number.isInteger(raw) || raw < min || raw > max) throw new RangeError(`${raw} does not fit a Modbus ${layout.type} (${min}..${max})`);
    if (layout.type === 'int16' || layout.type === 'uint16') view.setUint16(0, raw & 0xffff);
    else view.setUint32(0, raw >>> 0);
  }
  return fromBigEndianBytes(bytes, layout);
}

/** The reading a raw register value stands for. */
export function scaled(raw: number, scaling: Scaling): number {
  return raw * scaling.scale + scaling.offset;
}

/** The raw value for a reading (the inverse of scaled); integer types round to the nearest integer. */
export function unscaled(value: number, scaling: Scaling, type: RegisterType): number {
  if (scaling.scale === 0) throw new RangeError('scale 0 has no inverse');
  const raw = (value - scaling.offset) / scaling.scale;
  return type === 'float32' ? raw : Math.round(raw);
}

const RANGES = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
} as const satisfies Record<Exclude<RegisterType, 'float32'>, readonly [number, number]>;

/** Registers in wire order → the value's bytes, most significant first. */
function toBigEndianBytes(words: readonly number[], layout: RegisterLayout): Uint8Array {
  const count = registerCount(layout.type);
  if (words.length !== count) throw new TypeError(`${layout.type} takes ${count} register(s), got ${words.length}`);
  const ordered = count === 2 && layout.wordOrder === 'little' ? [words[1]!, words[0]!] : words;
  const bytes = new Uint8Array(count * 2);
  ordered.forEach((word, i) => {
    if (!Number.isInteger(word) || word < 0 || word > 0xffff) throw new TypeError(`register value ${word} is not 0..65535`);
    const [hi, lo] = layout.byteOrder === 'little' ? [word & 0xff, word >>> 8] : [word >>> 8, word & 0xff];
    bytes[i * 2] = hi;
    bytes[i * 2 + 1] = lo;
  });
  return bytes;
}

/** The value's bytes, most significant first → registers in wire order (the inverse of the above). */
function fromBigEndianBytes(bytes: Uint8Array, layout: RegisterLayout): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const [hi, lo] = [bytes[i]!, bytes[i + 1]!];
    words.push(layout.byteOrder === 'little' ? (lo << 8) | hi : (hi << 8) | lo);
  }
  return words.length === 2 && layout.wordOrder === 'little' ? [words[1]!, words[0]!] : words;
}
