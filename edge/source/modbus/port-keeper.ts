// Keeps one serial port open as an RtuLink: the first attempt at open(), and whenever the port
// is absent or disappears (a USB adapter unplugged), another after a backoff delay, until close().

import type { Clock, TimerHandle } from '../../clock/clock.js';
import { codedError, TributaryError } from '../../errors/catalogue.js';
import { Resource } from '../../lifecycle/resource.js';
import type { Logger } from '../../observe/log.js';
import { reconnectDelay, type BackoffOptions } from '../mqtt-client/backoff.js';
import type { SerialBinding } from '../serial-io/hangup-binding.js';
import { RtuLink, type SerialLine } from './link.js';

export interface PortKeeperOptions {
  readonly line: SerialLine;
  readonly binding: SerialBinding;
  readonly clock: Clock;
  readonly log: Logger;
  /** Passed to each RtuLink (milliseconds). */
  readonly interFrameMs: number;
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  /** The port is open: `link` takes requests until onDown(). */
  readonly onUp: (link: RtuLink) => void;
  /** The port went away; a reopen is scheduled. */
  readonly onDown: () => void;
}

export class PortKeeper extends Resource {
  readonly name: string;
  readonly #o: PortKeeperOptions;
  #link: RtuLink | undefined;
  #connecting: Promise<void> | undefined;
  /** The close of a link that was lost, so close() can wait for it. */
  #retiring: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #attempt = 0;
  /** Whether this outage was logged at warn already: each further failed attempt goes to debug. */
  #outageLogged = false;
  #lastError: TributaryError | undefined;
  #stopping = false;

  constructor(options: PortKeeperOptions) {
    super();
    this.#o = options;
    this.name = `modbus port ${options.line.path}`;
  }

  /** The open link, or undefined while the port is being retried. */
  get link(): RtuLink | undefined {
    return this.#link;
  }

  /** Why the port is not open now (ERR_SERIAL_OPEN, or ERR_MODBUS_IO when it was lost). */
  get lastError(): TributaryError | undefined {
    return this.#link ? undefined : this.#lastError;
  }

  /** Resolves after the first attempt, whether or not the port is there. */
  protected async _open(): Promise<void> {
    await this.#connect();
  }

  protected async _close(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) this.#o.clock.clear(this.#timer);
    this.#timer = undefined;
    await this.#connecting;
    const link = this.#link;
    this.#link = undefined;
    await Promise.all([link?.close(), this.#retiring]);
  }

  #connect(): Promise<void> {
    this.#connecting = this.#attemptOpen().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #attemptOpen(): Promise<void> {
    const { line, binding, clock, interFrameMs } = this.#o;
    const link: RtuLink = new RtuLink({ ...line, binding, clock, interFrameMs, onDown: (err) => this.#lost(link, err) });
    try {
      await link.open();
    } catch (err) {
      this.#lastError = err instanceof TributaryError ? err : codedError('ERR_SERIAL_OPEN', [line.path, String(err)], { cause: err });
      if (this.#stopping) return;
      const delayMs = this.#retry();
      const level = this.#outageLogged ? 'debug' : 'warn';
      this.#outageLogged = true;
      this.#o.log[level]({ code: this.#lastError.code, err: this.#lastError.message, path: line.path, delayMs, attempt: this.#attempt }, 'Modbus serial port unavailable');
      return;
    }
    if (this.#stopping) return link.close();
    this.#link = link;
    this.#attempt = 0;
    this.#outageLogged = false;
    this.#lastError = undefined;
    this.#o.log.info({ path: line.path }, 'Modbus serial port open');
    this.#o.onUp(link);
  }

  #lost(link: RtuLink, error: TributaryError): void {
    if (this.#link !== link) return;
    this.#link = undefined;
    this.#lastError = error;
    this.#retiring = link.close();
    this.#o.onDown();
    if (this.#stopping) return;
    const delayMs = this.#retry();
    this.#outageLogged = true;
    this.#o.log.warn({ code: error.code, err: error.message, path: this.#o.line.path, delayMs }, 'Modbus serial port lost; reopening');
  }

  /** Schedule the next attempt; returns its delay. */
  #retry(): number {
    const delayMs = reconnectDelay(this.#attempt++, this.#o.backoff, this.#o.random);
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#stopping) void this.#connect();
    }, delayMs);
    return delayMs;
  }
}
