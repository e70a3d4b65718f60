// Reads line-framed readings from one serial port (RS-232/485 adapters, USB CDC devices) and
// emits each line as raw bytes; outlives an adapter that is absent or unplugged by reopening the
// port with backoff on the injected clock, so one missing adapter never stops the gateway.

import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';
import type { TimerHandle } from '../../clock/clock.js';
import type { SerialPortConfig } from '../../config/schema.js';
import { codedError } from '../../errors/catalogue.js';
import { Resource } from '../../lifecycle/resource.js';
import type { Framing, RawMessage, Source, SourceContext, SourceHealth } from '../contract.js';
import { reconnectDelay, type BackoffOptions } from '../mqtt-client/backoff.js';
import { lineFraming } from './framing.js';
import { hangUpAware, type SerialBinding } from '../serial-io/hangup-binding.js';
import { LineSplitter } from './line-splitter.js';
import { serialMetrics, type SerialMetrics } from './metrics.js';

export type { SerialBinding };

export interface SerialLineSourceOptions {
  /**
   * How serialport reaches the hardware, used as given (default: the platform's `SerialPort.binding`,
   * made to report a hung-up port, see ../serial-io/hangup-binding.ts); tests may pass a mock.
   */
  readonly binding?: SerialBinding;
  /** Random numbers in [0, 1) for the reconnect jitter (default Math.random). */
  readonly random?: () => number;
}

export class SerialLineSource extends Resource implements Source {
  readonly name: string;
  readonly #config: SerialPortConfig;
  readonly #ctx: SourceContext;
  readonly #binding: SerialBinding;
  readonly #random: () => number;
  readonly #backoff: BackoffOptions;
  readonly #framing: Framing;
  readonly #m: SerialMetrics;
  readonly #splitter: LineSplitter;
  /** The port of the current connection or attempt; events from any older one are ignored. */
  #port: SerialPortStream | undefined;
  #attempting: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #connected = false;
  /**
   * Retries since the port last delivered bytes: the backoff exponent. Reset by data, not by a
   * successful open, so a port that opens and dies at once backs off instead of flapping.
   */
  #failures = 0;
  #reconnects = 0;
  #everOpened = false;
  /** Whether this outage's first ERR_SERIAL_OPEN was logged (at warn; the rest go to debug). */
  #openFailureLogged = false;
  #lastError: string | undefined;
  #paused = false;
  #stopping = false;

  constructor(config: SerialPortConfig, ctx: SourceContext, options: SerialLineSourceOptions = {}) {
    super();
    this.name = `serial:${config.path}`;
    this.#config = config;
    this.#ctx = ctx;
    this.#binding = options.binding ?? hangUpAware(SerialPort.binding);
    this.#random = options.random ?? Math.random;
    this.#backoff = { initialMs: config.reconnectInitialMs, maxMs: config.reconnectMaxMs };
    this.#framing = lineFraming(config);
    this.#m = serialMetrics(ctx.metrics, config.path);
    this.#m.setConnected(false);
    this.#splitter = new LineSplitter(config.maxLineBytes, {
      line: (bytes) => {
        this.#m.lines.inc();
        ctx.emit(this.#message(bytes));
      },
      tooLong: (head) => {
        this.#m.dropped.line_too_long.inc();
        ctx.reject(this.#message(head), codedError('ERR_SERIAL_LINE_TOO_LONG', [config.maxLineBytes]));
      },
      empty: () => this.#m.emptyLines.inc(),
    });
  }

  /** Whether the port is open now. */
  get connected(): boolean {
    return this.#connected;
  }

  /** `lastError` is the most recent failure, kept after recovery so /healthz shows why it dropped. */
  health(): SourceHealth {
    return {
      ok: this.#connected,
      path: this.#config.path,
      connected: this.#connected,
      reconnects: this.#reconnects,
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  /**
   * Stop reading the port; the OS and the stream buffer what arrives (then the device's own flow
   * control, if any, takes over). Lines already cut from the chunk in hand are still emitted.
   * An unplug is noticed only on resume, as nothing reads the port meanwhile.
   */
  pause(): void {
    this.#paused = true;
    this.#port?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#port?.resume();
  }

  /** Resolves after the first attempt whether or not the port opened: retries continue until close(). */
  protected async _open(): Promise<void> {
    this.#attempting = this.#tryOpen();
    await this.#attempting;
  }

  protected async _close(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) this.#ctx.clock.clear(this.#timer);
    this.#timer = undefined;
    await this.#attempting;
    // A deliberate close is not a fault of the device: drop the line in progress, but count it.
    if (this.#splitter.takePartial()) this.#m.dropped.dropped_at_close.inc();
    const port = this.#port;
    this.#port = undefined;
    if (port?.isOpen) {
      await new Promise<void>((resolve) =>
        port.close((err) => {
          if (err) this.#ctx.log.warn({ path: this.#config.path, err: err.message }, 'serial port close failed');
          resolve();
        }),
      );
    }
    this.#setConnected(false);
    this.#ctx.log.info({ path: this.#config.path }, 'serial port source closed');
  }

  /** One attempt to open the port; never rejects (a failure schedules the next attempt). */
  #tryOpen(): Promise<void> {
    const c = this.#config;
    const port = new SerialPortStream({
      binding: this.#binding,
      path: c.path,
      baudRate: c.baudRate,
      dataBits: c.dataBits,
      parity: c.parity,
      stopBits: c.stopBits,
      autoOpen: false,
    });
    this.#port = port;
    // Without a listener an 'error' event would crash the process; these are logged, not fatal.
    port.on('error', (err: Error) => {
      this.#lastError = err.message;
      this.#ctx.log.warn({ path: c.path, err: err.message }, 'serial port error');
    });
    return new Promise<void>((resolve) => {
      port.open((err) => {
        if (err) this.#openFailed(port, err);
        else this.#opened(port);
        resolve();
      });
    });
  }

  #opened(port: SerialPortStream): void {
    const reopened = this.#everOpened;
    this.#everOpened = true;
    this.#openFailureLogged = false;
    this.#setConnected(true);
    // pause() before the 'data' listener keeps the stream from flowing.
    if (this.#paused) port.pause();
    port.on('data', (chunk: Buffer) => {
      if (port !== this.#port || this.#stopping) return;
      this.#failures = 0;
      this.#m.bytes.inc(chunk.length);
      this.#splitter.push(chunk);
    });
    port.on('close', (err: Error | null) => this.#lost(port, err));
    // A binding whose read reports 0 bytes ends the stream but leaves the port open: close it.
    port.on('end', () => port.isOpen && port.close());
    this.#ctx.log.info({ path: this.#config.path, baudRate: this.#config.baudRate }, reopened ? 'serial port reopened' : 'serial port open');
  }

  #openFailed(port: SerialPortStream, err: Error): void {
    if (port === this.#port) this.#port = undefined;
    const error = codedError('ERR_SERIAL_OPEN', [this.#config.path, err.message], { cause: err });
    this.#lastError = error.message;
    // Once per outage at warn; while an adapter stays away, each retry would only repeat it.
    const level = this.#openFailureLogged ? 'debug' : 'warn';
    this.#openFailureLogged = true;
    this.#ctx.log[level]({ code: error.code, path: this.#config.path, err: err.message }, error.message);
    this.#schedule();
  }

  /** The port closed without close() being called: unplugged, or a read failed. */
  #lost(port: SerialPortStream, err: Error | null): void {
    if (port !== this.#port || this.#stopping) return;
    this.#port = undefined;
    this.#setConnected(false);
    const partial = this.#splitter.takePartial();
    if (partial) {
      this.#m.dropped.partial_line.inc();
      this.#ctx.reject(this.#message(partial), codedError('ERR_SERIAL_PARTIAL_LINE', [this.#config.path]));
    }
    this.#lastError = err?.message ?? 'port closed';
    this.#ctx.log.warn({ path: this.#config.path, err: this.#lastError }, 'serial port lost; reopening with backoff');
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopping || this.#timer) return;
    const delay = reconnectDelay(this.#failures++, this.#backoff, this.#random);
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopping) return;
      this.#reconnects++;
      this.#m.reconnects.inc();
      this.#attempting = this.#tryOpen();
    }, delay);
  }

  #setConnected(connected: boolean): void {
    this.#connected = connected;
    this.#m.setConnected(connected);
  }

  #message(payload: Buffer): RawMessage {
    const c = this.#config;
    return {
      source: this.name,
      topic: c.path,
      ...(c.device !== undefined ? { device: c.device } : {}),
      payload,
      receivedAt: this.#ctx.clock.now(),
      framing: this.#framing,
    };
  }
}
