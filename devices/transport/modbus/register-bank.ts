// The simulator's Modbus registers: one 16-bit value per (unit, function, address), set by the
// scenario and read by the RTU slave. Unmapped registers answer exception 02.

import type { ReadFunction } from '../../../edge/source/modbus/frame.js';
import { encodeRegisters, unscaled, type RegisterLayout, type Scaling } from '../../../edge/source/modbus/registers.js';

/** Modbus Application Protocol V1.1b3 §7: an exception code instead of registers. */
export interface ModbusException {
  readonly exception: number;
}

/** Answers a read of `count` registers from `address`: the values (0..65535) or an exception. */
export type RegisterRead = (unitId: number, fn: ReadFunction, address: number, count: number) => readonly number[] | ModbusException;

/** Application Protocol §7: exception 02, a register outside what the unit maps. */
export const ILLEGAL_DATA_ADDRESS: ModbusException = { exception: 2 };

export class RegisterBank {
  readonly #values = new Map<string, number>();

  /** Set one register (0..65535). */
  setRegister(unitId: number, fn: ReadFunction, address: number, value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new RangeError(`register value ${value} is not 0..65535`);
    if (!Number.isInteger(address) || address < 0 || address > 0xffff) throw new RangeError(`register address ${address} is not 0..65535`);
    this.#values.set(key(unitId, fn, address), value);
  }

  /**
   * Store `value` the way the gateway's config describes it: raw = (value - offset) / scale,
   * laid out over one or two registers by type, word order and byte order.
   */
  setValue(unitId: number, fn: ReadFunction, address: number, value: number, layout: RegisterLayout, scaling: Scaling = { scale: 1, offset: 0 }): void {
    encodeRegisters(unscaled(value, scaling, layout.type), layout).forEach((word, i) => this.setRegister(unitId, fn, address + i, word));
  }

  /** Forget one register, so reads that touch it answer exception 02. */
  unmap(unitId: number, fn: ReadFunction, address: number): void {
    this.#values.delete(key(unitId, fn, address));
  }

  /** A RegisterRead over this bank: every register asked for must be mapped. */
  readonly read: RegisterRead = (unitId, fn, address, count) => {
    const out: number[] = [];
    for (let a = address; a < address + count; a++) {
      const value = this.#values.get(key(unitId, fn, a));
      if (value === undefined) return ILLEGAL_DATA_ADDRESS;
      out.push(value);
    }
    return out;
  };
}

function key(unitId: number, fn: number, address: number): string {
  return `${unitId}:${fn}:${address}`;
}
