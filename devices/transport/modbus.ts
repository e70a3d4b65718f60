// Modbus transport: a group of devices as Modbus RTU units on one serial line (a pty pair), each
// serving its latest reading from input registers for the gateway to poll, as a PLC or a meter
// does. Device n of the group (1-based) is unit id n.
//
// Register map, the same for every unit: metric i of the kind (in its declared order) is a
// float32 at input registers (function 4) 2i and 2i+1, high word first, bytes big-endian
// (Modbus Application Protocol V1.1b3 §4.2). Until a device's first reading, its registers are
// unmapped and a poll gets exception 02.
//
// A reading counts as delivered once it is in the registers; how many of them the gateway sees
// depends on its poll interval, not on this side, so the counts do not match the gateway's 1:1.

import { mkdirSync } from 'node:fs';
import { Resource } from '../../edge/lifecycle/resource.js';
import type { DeviceMessage } from '../message.js';
import type { Delivered, Endpoint, Transport, TransportHealth } from './contract.js';
import { ModbusRtuSlave } from './modbus-slave.js';
import { openPtyPair, type PtyPair } from './pty-pair.js';

/** Modbus Serial Line V1.02 §2.2: unit addresses 1-247. */
export const MAX_UNITS = 247;

export interface ModbusTransportOptions {
  /** The group's name: the pty links are <ptyDir>/<name>-device and <name>-gateway. */
  readonly name: string;
  /** At most 247; the n-th (1-based) is unit id n. */
  readonly devices: readonly string[];
  /** Metric names in register order. */
  readonly metrics: readonly string[];
  /** Folder for the pty links (created if missing; default: a new temp folder, removed at close). */
  readonly ptyDir?: string;
}

export interface RegisterMapEntry {
  readonly metric: string;
  readonly function: 4;
  readonly address: number;
  readonly type: 'float32';
}

/** Where each metric lives, as the gateway's modbus[].units[].registers should say. */
export function registerMap(metrics: readonly string[]): RegisterMapEntry[] {
  return metrics.map((metric, i) => ({ metric, function: 4, address: 2 * i, type: 'float32' }));
}

const LAYOUT = { type: 'float32', wordOrder: 'big', byteOrder: 'big' } as const;

export class ModbusTransport extends Resource implements Transport {
  readonly name: string;
  readonly #o: ModbusTransportOptions;
  readonly #units: ReadonlyMap<string, number>;
  readonly #map: readonly RegisterMapEntry[];
  #pty: PtyPair | undefined;
  #slave: ModbusRtuSlave | undefined;

  constructor(options: ModbusTransportOptions) {
    super();
    if (options.devices.length > MAX_UNITS) throw new TypeError(`a Modbus line has at most ${MAX_UNITS} units, got ${options.devices.length}`);
    this.#o = options;
    this.name = `modbus ${options.name}`;
    this.#units = new Map(options.devices.map((d, i) => [d, i + 1]));
    this.#map = registerMap(options.metrics);
  }

  /** The path the gateway opens as its Modbus port (after open). */
  get gatewayPath(): string | undefined {
    return this.#pty?.gatewayPath;
  }

  /** Requests the slave has answered or ignored for its units so far. */
  get requests(): number {
    return this.#slave?.requests ?? 0;
  }

  endpoint(device: string): Endpoint {
    const unitId = this.#units.get(device);
    if (unitId === undefined) throw new TypeError(`device ${device} is not on ${this.name}`);
    const connected = () => this.#slave?.connected ?? false;
    return {
      // Writing registers is a memory store: only a closed line stops it.
      get writable() {
        return connected();
      },
      send: (m: DeviceMessage, delivered: Delivered) => this.#store(unitId, m, delivered),
    };
  }

  health(): TransportHealth {
    return { devices: this.#units.size, connected: this.#slave?.connected ? this.#units.size : 0, errors: 0 };
  }

  describe(): string[] {
    const ids = [...this.#units];
    const registers = this.#map.map((r) => `{ metric: ${r.metric}, function: 4, address: ${r.address}, type: float32 }`).join(', ');
    return [
      `modbus ${this.#o.name}: gateway config: modbus: [{ path: ${this.gatewayPath}, units: [...] }] with units ${ids[0]![0]} (unitId 1) to ` +
        `${ids.at(-1)![0]} (unitId ${ids.length}), each with registers: [${registers}]`,
    ];
  }

  protected async _open(): Promise<void> {
    if (this.#o.ptyDir !== undefined) mkdirSync(this.#o.ptyDir, { recursive: true });
    this.#pty = await openPtyPair({ name: this.#o.name, ...(this.#o.ptyDir !== undefined ? { dir: this.#o.ptyDir } : {}) });
    this.#slave = new ModbusRtuSlave({ path: this.#pty.devicePath, unitIds: [...this.#units.values()], baudRate: 115200 });
    await this.#slave.open();
  }

  protected async _close(): Promise<void> {
    await this.#slave?.close();
    await this.#pty?.close();
  }

  #store(unitId: number, m: DeviceMessage, delivered: Delivered): void {
    const slave = this.#slave;
    if (!slave?.connected) {
      delivered(new Error(`${this.name} is not open`));
      return;
    }
    for (const r of this.#map) {
      const v = m.values[r.metric];
      if (v !== undefined) slave.bank.setValue(unitId, r.function, r.address, v, LAYOUT);
    }
    delivered();
  }
}
