// Modbus pure logic, as tables: typed register decode/encode for every type × word order × byte
// order, scale and offset, the CRC of known frames, request grouping, and finding a response in noise.

import { describe, expect, it } from 'vitest';
import type { ModbusRegisterConfig } from '../../edge/config/schema.js';
import { crc16, hasValidCrc, withCrc } from '../../edge/source/modbus/crc.js';
import { decodeRequestFrame, encodeException, encodeReadRequest, encodeReadResponse, matchResponse, type ReadRequest } from '../../edge/source/modbus/frame.js';
import { decodeRead, planUnit } from '../../edge/source/modbus/plan.js';
import { readingPayload } from '../../edge/source/modbus/poll.js';
import { decodeRegisters, encodeRegisters, registerCount, scaled, unscaled, type Order, type RegisterLayout, type RegisterType } from '../../edge/source/modbus/registers.js';
import { prng } from '../helpers/prng.js';
import { register } from '../helpers/modbus.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ORDERS: readonly Order[] = ['big', 'little'];

describe('registers: decode and encode', () => {
  // [type, wordOrder, byteOrder, registers as on the wire, raw value]
  const cases: Array<[RegisterType, Order, Order, number[], number]> = [
    ['int16', 'big', 'big', [0xff85], -123],
    ['int16', 'big', 'little', [0x85ff], -123],
    ['int16', 'little', 'big', [0xff85], -123],
    ['int16', 'little', 'little', [0x85ff], -123],
    ['uint16', 'big', 'big', [0xff85], 65413],
    ['uint16', 'big', 'little', [0x85ff], 65413],
    ['uint16', 'little', 'big', [0x1234], 0x1234],
    ['uint16', 'little', 'little', [0x3412], 0x1234],
    ['int32', 'big', 'big', [0x1234, 0x5678], 0x12345678],
    ['int32', 'little', 'big', [0x5678, 0x1234], 0x12345678],
    ['int32', 'big', 'little', [0x3412, 0x7856], 0x12345678],
    ['int32', 'little', 'little', [0x7856, 0x3412], 0x12345678],
    ['int32', 'big', 'big', [0xffff, 0xfffe], -2],
    ['int32', 'little', 'big', [0xfffe, 0xffff], -2],
    ['int32', 'big', 'little', [0xffff, 0xfeff], -2],
    ['int32', 'little', 'little', [0xfeff, 0xffff], -2],
    ['uint32', 'big', 'big', [0xffff, 0xfffe], 0xfffffffe],
    ['uint32', 'little', 'big', [0xfffe, 0xffff], 0xfffffffe],
    ['uint32', 'big', 'little', [0x3412, 0x7856], 0x12345678],
    ['uint32', 'little', 'little', [0x7856, 0x3412], 0x12345678],
    ['float32', 'big', 'big', [0x3fc0, 0x0000], 1.5],
    ['float32', 'little', 'big', [0x0000, 0x3fc0], 1.5],
    ['float32', 'big', 'little', [0xc03f, 0x0000], 1.5],
    ['float32', 'little', 'little', [0x0000, 0xc03f], 1.5],
    ['float32', 'big', 'big', [0xc020, 0x0000], -2.5],
    ['float32', 'little', 'little', [0x0000, 0x20c0], -2.5],
  ];

  it.each(cases)('%s word %s byte %s: %j ⇄ %d', (type, wordOrder, byteOrder, words, raw) => {
    const layout = { type, wordOrder, byteOrder };
    expect(decodeRegisters(words, layout)).toBe(raw);
    expect(encodeRegisters(raw, layout)).toEqual(words);
  });

  const types: readonly RegisterType[] = ['int16', 'uint16', 'int32', 'uint32', 'float32'];
  const combos = types.flatMap((type) => ORDERS.flatMap((wordOrder) => ORDERS.map((byteOrder): RegisterLayout => ({ type, wordOrder, byteOrder }))));
  it.each(combos)('round-trips random values: %j', (layout) => {
    const random = prng(7);
    const f32 = new Float32Array(1);
    for (let i = 0; i < 200; i++) {
      const r = random();
      const raw = {
        int16: Math.floor(r * 0x10000) - 0x8000,
        uint16: Math.floor(r * 0x10000),
        int32: Math.floor(r * 0x100000000) - 0x80000000,
        uint32: Math.floor(r * 0x100000000),
        float32: ((f32[0] = (r - 0.5) * 1e6), f32[0]),
      }[layout.type];
      const words = encodeRegisters(raw, layout);
      expect(words).toHaveLength(registerCount(layout.type));
      for (const w of words) expect(w).toSatisfy((v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffff);
      expect(decodeRegisters(words, layout)).toBe(raw);
    }
  });

  it('refuses raw values an integer type cannot hold, and the wrong number of registers', () => {
    const layout = (type: RegisterType): RegisterLayout => ({ type, wordOrder: 'big', byteOrder: 'big' });
    expect(() => encodeRegisters(32768, layout('int16'))).toThrow(RangeError);
    expect(() => encodeRegisters(-1, layout('uint32'))).toThrow(RangeError);
    expect(() => encodeRegisters(1.5, layout('int32'))).toThrow(RangeError);
    expect(() => decodeRegisters([1], layout('float32'))).toThrow(TypeError);
    expect(() => decodeRegisters([0x10000], layout('uint16'))).toThrow(TypeError);
  });

  it.each([
    // [raw, scale, offset, value]
    [1234, 0.1, -40, 83.4],
    [-123, 0.01, 0, -1.23],
    [65413, 1, 0, 65413],
    [500, 2, 10, 1010],
  ])('scale/offset: raw %d × %d + %d = %d, and back', (raw, scale, offset, value) => {
    expect(scaled(raw, { scale, offset })).toBeCloseTo(value, 9);
    expect(unscaled(value, { scale, offset }, 'int32')).toBe(raw);
  });
});

describe('CRC-16/MODBUS', () => {
  it.each([
    ['01 03 00 00 00 0A', 'C5 CD'],
    ['01 03 00 00 00 01', '84 0A'],
    ['11 03 00 6B 00 03', '76 87'], // Modicon Modbus Protocol Reference Guide example
    ['01 04 00 00 00 01', '31 CA'],
    ['01 03 02 00 01', '79 84'],
    ['01 83 02', 'C0 F1'],
  ])('%s → %s (low byte first)', (body, crc) => {
    const frame = withCrc(hex(body));
    expect(frame.subarray(-2)).toEqual(hex(crc));
    expect(crc16(hex(body))).toBe(hex(crc).readUInt16LE(0));
    expect(hasValidCrc(frame)).toBe(true);
    frame[frame.length - 1]! ^= 0x01;
    expect(hasValidCrc(frame)).toBe(false);
  });
});

describe('frames', () => {
  const request: ReadRequest = { unitId: 1, fn: 3, address: 0, count: 1 };
  const good = encodeReadResponse(1, 3, [0x0001]);

  it('encodes a read request and decodes it back', () => {
    expect(encodeReadRequest({ unitId: 1, fn: 3, address: 0, count: 10 })).toEqual(hex('01 03 00 00 00 0A C5 CD'));
    expect(decodeRequestFrame(hex('11 03 00 6B 00 03 76 87'))).toEqual({ unitId: 0x11, fn: 3, address: 0x6b, count: 3 });
    expect(decodeRequestFrame(hex('11 03 00 6B 00 03 76 88'))).toBeUndefined();
    expect(() => encodeReadRequest({ unitId: 1, fn: 3, address: 0, count: 126 })).toThrow(TypeError);
    expect(() => encodeReadRequest({ unitId: 0, fn: 3, address: 0, count: 1 })).toThrow(TypeError);
  });

  const corrupt = Buffer.from(good);
  corrupt[corrupt.length - 1]! ^= 0xff;
  it.each([
    ['a whole response', good, { kind: 'registers', registers: [1] }],
    ['an exception', encodeException(1, 3, 2), { kind: 'exception', code: 2 }],
    ['noise, then a response', Buffer.concat([hex('00 ff 01 07 13'), good]), { kind: 'registers', registers: [1] }],
    ['noise that looks like a header, then a response', Buffer.concat([hex('01 03 07 01'), good]), { kind: 'registers', registers: [1] }],
    ['noise shaped like an exception, then a response', Buffer.concat([hex('01 83'), good]), { kind: 'registers', registers: [1] }],
    ['noise shaped like a whole header, then a response', Buffer.concat([hex('01 03 02'), good]), { kind: 'registers', registers: [1] }],
    ['half a response', good.subarray(0, 4), { kind: 'incomplete', crcFailed: false }],
    ['a bad CRC', corrupt, { kind: 'crc' }],
    ['a bad CRC, then the start of another frame', Buffer.concat([corrupt, hex('01 03')]), { kind: 'incomplete', crcFailed: true }],
    ['another unit answering', encodeReadResponse(2, 3, [1]), { kind: 'incomplete', crcFailed: false }],
    ['the wrong byte count', encodeReadResponse(1, 3, [1, 2]), { kind: 'incomplete', crcFailed: false }],
  ])('finds the answer in %s', (_name, rx, expected) => {
    expect(matchResponse(rx, request)).toEqual(expected);
  });
});

describe('request plan', () => {
  const reg = register;
  const plan = (registers: ModbusRegisterConfig[]) =>
    planUnit({ device: 'pump-1', unitId: 5, registers }).reads.map((r) => [r.fn, r.address, r.count, r.registers.map((x) => x.metric)]);

  it.each([
    ['contiguous registers in one request', [reg({ metric: 'a', address: 0 }), reg({ metric: 'b', address: 1, type: 'int32' }), reg({ metric: 'c', address: 3 })], [[3, 0, 4, ['a', 'b', 'c']]]],
    ['unsorted and overlapping', [reg({ metric: 'b', address: 11 }), reg({ metric: 'a', address: 10, type: 'float32' })], [[3, 10, 2, ['a', 'b']]]],
    ['a gap splits requests', [reg({ metric: 'a', address: 0 }), reg({ metric: 'b', address: 2 })], [[3, 0, 1, ['a']], [3, 2, 1, ['b']]]],
    ['function codes never share', [reg({ metric: 'a', address: 0, function: 4 }), reg({ metric: 'b', address: 1 })], [[3, 1, 1, ['b']], [4, 0, 1, ['a']]]],
    [
      'at most 125 registers per request',
      Array.from({ length: 64 }, (_, i) => reg({ metric: `m${i}`, address: i * 2, type: 'uint32' })),
      [
        [3, 0, 124, Array.from({ length: 62 }, (_, i) => `m${i}`)],
        [3, 124, 4, ['m62', 'm63']],
      ],
    ],
  ] as const)('%s', (_name, registers, expected) => {
    expect(plan([...registers])).toEqual(expected);
  });

  it('refuses duplicate metrics and the reserved name ts', () => {
    expect(() => plan([reg({ metric: 'a', address: 0 }), reg({ metric: 'a', address: 1 })])).toThrow(TypeError);
    expect(() => plan([reg({ metric: 'ts', address: 0 })])).toThrow(TypeError);
    expect(() => plan([reg({ metric: 'a', address: 65535, type: 'int32' })])).toThrow(TypeError);
  });

  it('decodes an answer into scaled metric values, and writes the reading', () => {
    const [read] = planUnit({
      device: 'pump-1',
      unitId: 5,
      registers: [reg({ metric: 'temp', address: 0, type: 'int16', scale: 0.1, offset: -40 }), reg({ metric: 'flow', address: 1, type: 'float32', wordOrder: 'little' })],
    }).reads;
    const values = decodeRead(read!, [1234, 0x0000, 0x3fc0]);
    expect(values.map(([m, v]) => [m, Number(v.toFixed(6))])).toEqual([['temp', 83.4], ['flow', 1.5]]);
    expect(readingPayload(1000, [['a', 1.5], ['b', -2]]).toString()).toBe('{"ts":1000,"a":1.5,"b":-2}');
    // Not JSON on purpose: the decoder dead-letters it as ERR_DECODE_NON_FINITE.
    expect(readingPayload(1000, [['a', Number.NaN]]).toString()).toBe('{"ts":1000,"a":NaN}');
  });
});
