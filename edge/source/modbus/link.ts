// One open connection to a Modbus RTU line, as its master: send a read request, resolve with the
// registers of the answer. One request at a time, as the line itself allows (Serial Line V1.02 §2.1).

import { SerialPortStream } from '@serialport/stream';
import type { Clock, TimerHandle } from '../../clock/clock.js';
import { codedError, type TributaryError } from '../../errors/catalogue.js';
import { Resource } from '../../lifecycle/resource.js';
import type { SerialBinding } from '../serial-io/hangup-binding.js';
import { EXCEPTION_NAMES, MAX_FRAME_BYTES, encodeReadRequest, matchResponse, type ReadRequest } from './frame.js';

type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';

/** The serial line settings from the config. */
export interface SerialLine {
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits: 5 | 6 | 7 | 8;
  readonly parity: string;
  readonly stopBits: 1 | 1.5 | 2;
}

export interface RtuLinkOptions extends SerialLine {
  /** How serialport reaches the hardware (the source passes the platform's, made hang-up aware). */
  readonly binding: SerialBinding;
  readonly clock: Clock;
  /** Silence kept after the last byte received before a request is sent (milliseconds). */
  readonly interFrameMs: number;
  /** Called once when the port closes or fails after it opened (e.g. the adapter was unplugged). */
  readonly onDown: (error: TributaryError) => void;
}

interface Pending {
  readonly request: ReadRequest;
  readonly resolve: (registers: number[]) => void;
  readonly reject: (error: TributaryError) => void;
  readonly timer: TimerHandle;
  crcFailed: boolean;
}

export class RtuLink extends Resource {
  readonly name: string;
  readonly #o: RtuLinkOptions;
  #port: SerialPortStream | undefined;
  #rx: Buffer = Buffer.alloc(0);
  #lastRxAt = Number.NEGATIVE_INFINITY;
  #pending: Pending | undefined;
  #quiet: { timer: TimerHandle; resolve: () => void } | undefined;
  #down = false;

  constructor(options: RtuLinkOptions) {
    super();
    if (!['none', 'even', 'odd', 'mark', 'space'].includes(options.parity)) throw new TypeError(`unknown parity ${options.parity}`);
    this.#o = options;
    this.name = `modbus link ${options.path}`;
  }

  /** Whether requests can be sent: open, and the port has not gone away. */
  get usable(): boolean {
    return this.status === 'open' && !this.#down && (this.#port?.isOpen ?? false);
  }

  /**
   * Send `request` and resolve with its registers. Rejects with ERR_MODBUS_TIMEOUT (no complete
   * answer within `timeoutMs`), ERR_MODBUS_CRC, ERR_MODBUS_EXCEPTION or ERR_MODBUS_IO.
   */
  async read(request: ReadRequest, timeoutMs: number): Promise<number[]> {
    if (this.#pending) throw new TypeError(`${this.name}: a request is already waiting for its answer`);
    const frame = encodeReadRequest(request);
    // Serial Line §2.5.1.1: frames are separated by at least 3.5 character times of silence.
    const quietMs = this.#o.interFrameMs > 0 ? this.#lastRxAt + this.#o.interFrameMs - this.#o.clock.now() : 0;
    if (quietMs > 0) await this.#keepQuiet(quietMs);
    const port = this.#port;
    if (!this.usable || !port) throw this.#io('port is not open');
    // On a pty (or behind a USB adapter) the §2.5.1.1 silences that delimit frames cannot be
    // timed, so resynchronise here instead: whatever arrived before this request is stale.
    this.#rx = Buffer.alloc(0);
    return new Promise<number[]>((resolve, reject) => {
      const timer = this.#o.clock.setTimeout(() => {
        const p = this.#pending;
        this.#settle(p?.crcFailed ? codedError('ERR_MODBUS_CRC', [request.unitId]) : codedError('ERR_MODBUS_TIMEOUT', [request.unitId, timeoutMs]));
      }, timeoutMs);
      this.#pending = { request, resolve, reject, timer, crcFailed: false };
      port.write(frame, (err) => {
        if (err) this.#settle(this.#io(err.message, err));
      });
    });
  }

  protected async _open(): Promise<void> {
    const o = this.#o;
    const port = new SerialPortStream({
      binding: o.binding,
      path: o.path,
      baudRate: o.baudRate,
      dataBits: o.dataBits,
      parity: o.parity as Parity,
      stopBits: o.stopBits,
      autoOpen: false,
    });
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.#onData(chunk));
    // Write and read failures: the request waiting fails; a disconnect also emits 'close'.
    port.on('error', (err: Error) => this.#settle(this.#io(err.message, err)));
    port.on('close', (err: Error | null) => this.#onClose(err));
    // A read of 0 bytes (end of file: the device hung up) ends the stream but leaves the port open.
    port.on('end', () => port.isOpen && port.close());
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(codedError('ERR_SERIAL_OPEN', [o.path, err.message], { cause: err })) : resolve())),
    );
  }

  protected async _close(): Promise<void> {
    this.#settle(this.#io('port closed'));
    if (this.#quiet) {
      this.#o.clock.clear(this.#quiet.timer);
      this.#quiet.resolve();
    }
    const port = this.#port;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  /** Wait `ms` on the clock; close() cuts it short. */
  async #keepQuiet(ms: number): Promise<void> {
    await new Promise<void>((resolve) => (this.#quiet = { timer: this.#o.clock.setTimeout(resolve, ms), resolve }));
    this.#quiet = undefined;
  }

  #onData(chunk: Buffer): void {
    this.#lastRxAt = this.#o.clock.now();
    this.#rx = Buffer.concat([this.#rx, chunk]);
    // Noise with no request waiting is bounded; the next request discards it anyway.
    if (this.#rx.length > 2 * MAX_FRAME_BYTES) this.#rx = this.#rx.subarray(this.#rx.length - MAX_FRAME_BYTES);
    const p = this.#pending;
    if (!p) return;
    const match = matchResponse(this.#rx, p.request);
    switch (match.kind) {
      case 'registers':
        return this.#settle(undefined, match.registers);
      case 'exception': {
        const r = p.request;
        return this.#settle(codedError('ERR_MODBUS_EXCEPTION', [r.unitId, match.code, EXCEPTION_NAMES[match.code] ?? 'unknown exception', r.fn, r.address]));
      }
      case 'crc':
        return this.#settle(codedError('ERR_MODBUS_CRC', [p.request.unitId]));
      case 'incomplete':
        p.crcFailed = match.crcFailed;
    }
  }

  #onClose(err: Error | null): void {
    this.#down = true;
    const error = this.#io(err?.message ?? 'port closed', err ?? undefined);
    this.#settle(error);
    if (this.status === 'open') this.#o.onDown(error);
  }

  /** Finish the request waiting, if any: with `registers`, or rejected with `error`. */
  #settle(error: TributaryError | undefined, registers?: number[]): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    this.#o.clock.clear(p.timer);
    if (error) p.reject(error);
    else p.resolve(registers!);
  }

  #io(what: string, cause?: unknown): TributaryError {
    return codedError('ERR_MODBUS_IO', [this.#o.path, what], { cause });
  }
}
