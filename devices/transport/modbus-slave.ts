// The simulator's Modbus RTU slave: it opens the device end of a serial line (a pty pair) and
// answers function 3 and 4 reads for its unit ids from a register bank, byte for byte as a real
// device would, with faults to inject for tests (corrupted CRCs, silence, noise on the line).

import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';
import { Resource } from '../../edge/lifecycle/resource.js';
import { hangUpAware } from '../../edge/source/serial-io/hangup-binding.js';
import { decodeRequestFrame, encodeException, encodeReadResponse, MAX_FRAME_BYTES, MAX_READ_REGISTERS, type ReadFunction } from '../../edge/source/modbus/frame.js';
import type { RegisterLayout, Scaling } from '../../edge/source/modbus/registers.js';
import { RegisterBank, type RegisterRead } from './modbus/register-bank.js';

export { RegisterBank, ILLEGAL_DATA_ADDRESS, type ModbusException, type RegisterRead } from './modbus/register-bank.js';

export interface ModbusRtuSlaveOptions {
  /** The serial path to open, e.g. a PtyPair's devicePath. */
  readonly path: string;
  /** Slave addresses answered (1..247); requests for others are ignored, as on a shared bus. */
  readonly unitIds: readonly number[];
  /** Bits per second (default 9600; a pty ignores it). */
  readonly baudRate?: number;
  /** Where register values come from (default: `bank`, which setRegister/setValue fill). */
  readonly read?: RegisterRead;
}

/** Modbus over Serial Line V1.02 §2.5.1: every request this slave understands is 8 bytes. */
const REQUEST_BYTES = 8;

export class ModbusRtuSlave extends Resource {
  readonly name: string;
  /** The registers served unless a `read` callback was given. */
  readonly bank = new RegisterBank();
  readonly #o: ModbusRtuSlaveOptions;
  readonly #units: ReadonlySet<number>;
  #port: SerialPortStream | undefined;
  #rx: Buffer = Buffer.alloc(0);
  /** Faults still to inject, by unit id (`any` matches every unit). */
  readonly #corrupt = new Map<number | 'any', number>();
  readonly #drop = new Map<number | 'any', number>();
  #noise: Buffer[] = [];
  #requests = 0;
  #responses = 0;

  constructor(options: ModbusRtuSlaveOptions) {
    super();
    for (const id of options.unitIds) if (!Number.isInteger(id) || id < 1 || id > 247) throw new TypeError(`unit id ${id} is not 1..247`);
    this.#o = options;
    this.#units = new Set(options.unitIds);
    this.name = `modbus slave ${options.path}`;
  }

  /** Requests received for this slave's units (including those answered with silence). */
  get requests(): number {
    return this.#requests;
  }

  /** Frames written back (normal and exception responses). */
  get responses(): number {
    return this.#responses;
  }

  /** Whether the port is still open (false once the pty pair has gone). */
  get connected(): boolean {
    return this.#port?.isOpen ?? false;
  }

  setRegister(unitId: number, fn: ReadFunction, address: number, value: number): void {
    this.bank.setRegister(unitId, fn, address, value);
  }

  /** Store a typed, scaled value as the gateway's register config describes it (see RegisterBank.setValue). */
  setValue(unitId: number, fn: ReadFunction, address: number, value: number, layout: RegisterLayout, scaling?: Scaling): void {
    this.bank.setValue(unitId, fn, address, value, layout, scaling);
  }

  /** Flip a CRC byte in each of the next `n` responses (of `unitId` only, when given). */
  corruptNextResponses(n: number, unitId?: number): void {
    add(this.#corrupt, unitId ?? 'any', n);
  }

  /** Answer nothing to the next `n` requests (of `unitId` only, when given): the master times out. */
  dropNextResponses(n: number, unitId?: number): void {
    add(this.#drop, unitId ?? 'any', n);
  }

  /** Send `bytes` just before each of the next responses, one entry per response. */
  noiseBeforeNextResponses(...noise: Uint8Array[]): void {
    this.#noise.push(...noise.map((b) => Buffer.from(b)));
  }

  /** Put `bytes` on the line now, between frames. */
  async writeNoise(bytes: Uint8Array): Promise<void> {
    await this.#write(Buffer.from(bytes));
  }

  protected async _open(): Promise<void> {
    // Hang-up aware, so the pty pair going away closes the port instead of spinning on end-of-file.
    const port = new SerialPortStream({ binding: hangUpAware(SerialPort.binding), path: this.#o.path, baudRate: this.#o.baudRate ?? 9600, autoOpen: false });
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.#onData(chunk));
    port.on('end', () => port.isOpen && port.close());
    // A lost pty surfaces as 'close' (with an error); a simulated device just stops answering.
    port.on('error', () => {});
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  }

  protected async _close(): Promise<void> {
    const port = this.#port;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /**
   * Find requests in what arrived. Without timing the §2.5.1.1 silences (a pty has none), a request
   * is any 8 bytes with a valid CRC; bytes before one are noise and skipped.
   */
  #onData(chunk: Buffer): void {
    this.#rx = Buffer.concat([this.#rx, chunk]);
    let start = 0;
    while (this.#rx.length - start >= REQUEST_BYTES) {
      const request = decodeRequestFrame(this.#rx.subarray(start, start + REQUEST_BYTES));
      if (!request) {
        start++;
        continue;
      }
      start += REQUEST_BYTES;
      this.#answer(request);
    }
    this.#rx = this.#rx.subarray(Math.max(start, this.#rx.length - MAX_FRAME_BYTES));
  }

  #answer(request: { unitId: number; fn: number; address: number; count: number }): void {
    const { unitId, fn, address, count } = request;
    // Serial Line §2.1: unit 0 is broadcast, never answered; other addresses belong to other slaves.
    if (!this.#units.has(unitId)) return;
    this.#requests++;
    let response: Buffer;
    // Modbus Application Protocol V1.1b3 §6.3/§6.4 and the exception codes of §7.
    if (fn !== 3 && fn !== 4) {
      response = encodeException(unitId, fn, 1);
    } else if (count < 1 || count > MAX_READ_REGISTERS) {
      response = encodeException(unitId, fn, 3);
    } else if (address + count > 0x10000) {
      response = encodeException(unitId, fn, 2);
    } else {
      const result = (this.#o.read ?? this.bank.read)(unitId, fn, address, count);
      response = 'exception' in result ? encodeException(unitId, fn, result.exception) : encodeReadResponse(unitId, fn, result);
    }
    if (take(this.#drop, unitId)) return;
    if (take(this.#corrupt, unitId)) response[response.length - 1]! ^= 0xff;
    const noise = this.#noise.shift();
    this.#responses++;
    void this.#write(noise ? Buffer.concat([noise, response]) : response);
  }

  /** Write and drain; settles when the port closes too (a write to a vanished pty never completes). */
  #write(bytes: Buffer): Promise<void> {
    const port = this.#port;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        port.off('close', done);
        resolve();
      };
      port.once('close', done);
      port.write(bytes, (err) => (err ? done() : port.drain(done)));
    });
  }
}

function add(faults: Map<number | 'any', number>, key: number | 'any', n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`fault count ${n} is not a non-negative integer`);
  faults.set(key, (faults.get(key) ?? 0) + n);
}

/** Use up one fault for `unitId` (its own first, then one for any unit); true if there was one. */
function take(faults: Map<number | 'any', number>, unitId: number): boolean {
  for (const key of [unitId, 'any'] as const) {
    const left = faults.get(key) ?? 0;
    if (left > 0) {
      faults.set(key, left - 1);
      return true;
    }
  }
  return false;
}
