// The lifecycle shared by everything that owns a socket, file or timer:
// opening → open → closing → closed, with idempotent open()/close() and `await using` support.

import { codedError } from '../errors/catalogue.js';

export type Status = 'new' | 'opening' | 'open' | 'closing' | 'closed';

export abstract class Resource implements AsyncDisposable {
  #status: Status = 'new';
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /** A short name used in errors and logs, e.g. `mqtt-broker :1883`. */
  abstract readonly name: string;

  get status(): Status {
    return this.#status;
  }

  /** Open the resource. Calling it again while opening or open returns the same promise. */
  open(): Promise<void> {
    if (this.#status === 'closing' || this.#status === 'closed') {
      return Promise.reject(codedError('ERR_NOT_OPEN', [this.name, this.#status]));
    }
    this.#opening ??= (async () => {
      this.#status = 'opening';
      try {
        await this._open();
        this.#status = 'open';
      } catch (err) {
        this.#status = 'closing';
        await this._close().catch(() => {});
        this.#status = 'closed';
        throw err;
      }
    })();
    return this.#opening;
  }

  /** Close the resource and its children. Idempotent; safe to call before or during open. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#status === 'new') {
        this.#status = 'closed';
        return;
      }
      await this.#opening?.catch(() => {});
      if (this.#status === 'closed') return;
      this.#status = 'closing';
      try {
        await this._close();
      } finally {
        this.#status = 'closed';
      }
    })();
    return this.#closing;
  }

  /** Throw ERR_NOT_OPEN unless the resource is open. */
  protected assertOpen(): void {
    if (this.#status !== 'open') throw codedError('ERR_NOT_OPEN', [this.name, this.#status]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected abstract _open(): Promise<void>;
  protected abstract _close(): Promise<void>;
}
