// Which read requests a poll of one unit sends: its registers grouped, per function code, into as
// few requests as possible, and how each request's answer is turned back into metric values.

import type { ModbusPortConfig } from '../../config/schema.js';
import { MAX_READ_REGISTERS, type ReadFunction, type ReadRequest } from './frame.js';
import { decodeRegisters, order, registerCount, registerType, scaled, type RegisterLayout, type Scaling } from './registers.js';

export type UnitConfig = ModbusPortConfig['units'][number];

/** One configured metric, with its register span. */
export interface PlannedRegister extends RegisterLayout, Scaling {
  readonly metric: string;
  readonly fn: ReadFunction;
  readonly address: number;
  readonly count: 1 | 2;
}

/** One read request and the metrics its answer holds. */
export interface PlannedRead extends ReadRequest {
  readonly registers: readonly PlannedRegister[];
}

export interface UnitPlan {
  readonly device: string;
  readonly unitId: number;
  readonly reads: readonly PlannedRead[];
}

/**
 * Group a unit's registers into requests: per function code, registers sorted by address are
 * merged while they touch or overlap and the span stays within 125 registers (Modbus Application
 * Protocol V1.1b3 §6.3). Gaps are never bridged: reading an unmapped register in between would make
 * the whole request fail with exception 02. Duplicate metric names, or `ts`, are config mistakes.
 */
export function planUnit(unit: UnitConfig): UnitPlan {
  const seen = new Set<string>(['ts']);
  const registers = unit.registers.map((r): PlannedRegister => {
    if (seen.has(r.metric)) throw new TypeError(`unit ${unit.unitId} (${unit.device}): metric ${r.metric} is ${r.metric === 'ts' ? 'reserved for the poll time' : 'configured twice'}`);
    seen.add(r.metric);
    const type = registerType(r.type);
    const count = registerCount(type);
    if (r.address + count > 0x10000) throw new TypeError(`unit ${unit.unitId}: ${r.metric} at ${r.address} runs past register 65535`);
    return { metric: r.metric, fn: r.function, address: r.address, count, type, wordOrder: order(r.wordOrder), byteOrder: order(r.byteOrder), scale: r.scale, offset: r.offset };
  });
  const reads: PlannedRead[] = [];
  for (const fn of [3, 4] as const) {
    const sorted = registers.filter((r) => r.fn === fn).sort((a, b) => a.address - b.address);
    let group: PlannedRegister[] = [];
    let start = 0;
    let end = 0; // one past the last register of the group
    const flush = () => {
      if (group.length) reads.push({ unitId: unit.unitId, fn, address: start, count: end - start, registers: group });
    };
    for (const r of sorted) {
      const rEnd = r.address + r.count;
      if (group.length && r.address <= end && Math.max(end, rEnd) - start <= MAX_READ_REGISTERS) {
        group.push(r);
        end = Math.max(end, rEnd);
        continue;
      }
      flush();
      group = [r];
      start = r.address;
      end = rEnd;
    }
    flush();
  }
  return { device: unit.device, unitId: unit.unitId, reads };
}

/** The metric values in the answer to `read` (`words` holds its `count` registers). */
export function decodeRead(read: PlannedRead, words: readonly number[]): Array<[metric: string, value: number]> {
  if (words.length !== read.count) throw new TypeError(`expected ${read.count} registers, got ${words.length}`);
  return read.registers.map((r) => {
    const at = r.address - read.address;
    return [r.metric, scaled(decodeRegisters(words.slice(at, at + r.count), r), r)];
  });
}
