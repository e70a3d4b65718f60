// Serial transport: a group of devices sharing one serial line, as sensors behind one RS-485
// converter do. The line is a pseudo-terminal pair (socat): this side writes real bytes into the
// device end; the gateway opens the other end as its serial port, framing ndjson, csv or kv.
//
// A line counts as delivered once the port's write completed. When the gateway does not read,
// the pty buffers fill, write() backs up and the group's devices stop being writable.

import { mkdirSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { codedError } from '../../edge/errors/catalogue.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import type { DeviceMessage } from '../message.js';
import { csvColumns, lineEncoder, type Encode, type LineFraming } from './codec.js';
import type { Delivered, Endpoint, Transport, TransportHealth } from './contract.js';
import { openPtyPair, type PtyPair } from './pty-pair.js';

export interface SerialTransportOptions {
  /** The group's name: the pty links are <ptyDir>/<name>-device and <name>-gateway. */
  readonly name: string;
  readonly devices: readonly string[];
  readonly framing: LineFraming;
  /** Metric names in line order (csv columns after ts and device). */
  readonly metrics: readonly string[];
  /** csv delimiter (default ,). */
  readonly delimiter?: string;
  /** Folder for the pty links (created if missing; default: a new temp folder, removed at close). */
  readonly ptyDir?: string;
}

export class SerialTransport extends Resource implements Transport {
  readonly name: string;
  readonly #o: SerialTransportOptions;
  readonly #encode: Encode;
  readonly #devices: ReadonlySet<string>;
  #pty: PtyPair | undefined;
  #port: SerialPort | undefined;
  #errors = 0;

  constructor(options: SerialTransportOptions) {
    super();
    this.#o = options;
    this.name = `serial ${options.name}`;
    this.#encode = lineEncoder(options.framing, options.metrics, options.delimiter);
    this.#devices = new Set(options.devices);
  }

  /** The path the gateway opens as its serial port (after open). */
  get gatewayPath(): string | undefined {
    return this.#pty?.gatewayPath;
  }

  endpoint(device: string): Endpoint {
    if (!this.#devices.has(device)) throw new TypeError(`device ${device} is not on ${this.name}`);
    // All devices of the group share the line, so they share its backpressure.
    const writable = () => this.#writable();
    return {
      get writable() {
        return writable();
      },
      send: (m: DeviceMessage, delivered: Delivered) => this.#write(m, delivered),
    };
  }

  health(): TransportHealth {
    return { devices: this.#devices.size, connected: this.#writable() ? this.#devices.size : 0, errors: this.#errors };
  }

  describe(): string[] {
    const o = this.#o;
    const extra = o.framing === 'csv' ? `, columns: [${csvColumns(o.metrics).join(', ')}]${o.delimiter && o.delimiter !== ',' ? `, delimiter: "${o.delimiter}"` : ''}` : '';
    return [`serial ${o.name}: ${this.#devices.size} device(s); gateway config: serial: [{ path: ${this.gatewayPath}, framing: ${o.framing}${extra} }]`];
  }

  protected async _open(): Promise<void> {
    if (this.#o.ptyDir !== undefined) mkdirSync(this.#o.ptyDir, { recursive: true });
    this.#pty = await openPtyPair({ name: this.#o.name, ...(this.#o.ptyDir !== undefined ? { dir: this.#o.ptyDir } : {}) });
    const port = new SerialPort({ path: this.#pty.devicePath, baudRate: 115200, autoOpen: false });
    port.on('error', () => this.#errors++);
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw codedError('ERR_SERIAL_OPEN', [this.#pty.devicePath, (err as Error).message], { cause: err });
    }
    this.#port = port;
  }

  protected async _close(): Promise<void> {
    const port = this.#port;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await this.#pty?.close();
  }

  #writable(): boolean {
    const port = this.#port;
    return port !== undefined && port.isOpen && !port.writableNeedDrain;
  }

  #write(m: DeviceMessage, delivered: Delivered): void {
    const port = this.#port;
    if (!port?.isOpen) {
      delivered(new Error(`${this.name} is not open`));
      return;
    }
    port.write(this.#encode(m), (err) => {
      if (err) this.#errors++;
      delivered(err ?? undefined);
    });
  }
}
