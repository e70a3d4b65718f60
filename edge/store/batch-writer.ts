// Group commit for LevelDB: puts and deletes from every store are gathered and written in one
// batch per flush interval, which spares SD cards and turns thousands of writes into one.

import type { AbstractSublevel } from 'abstract-level';
import type { Clock, TimerHandle } from '../clock/clock.js';
import { codedError } from '../errors/catalogue.js';
import type { Logger } from '../observe/log.js';
import type { Counter } from '../observe/metrics.js';
import type { Db } from './db.js';

/** Any sublevel of the gateway's database: string-valued (JSON stores) or binary (the outbox). */
export type AnySublevel<K extends string | Buffer, V extends string | Buffer> = AbstractSublevel<Db, string | Buffer | Uint8Array, K, V>;

// LevelDB encodes each op with its own sublevel's encodings, so stores of both kinds share one batch.
type Target = AnySublevel<string | Buffer, string | Buffer>;
type Op = { type: 'put'; sublevel: Target; key: string | Buffer; value: string | Buffer } | { type: 'del'; sublevel: Target; key: string | Buffer };

export interface BatchWriterOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  /** Longest time an op waits before being written (ms). */
  readonly flushIntervalMs: number;
  /** Pending ops that trigger an immediate flush. */
  readonly maxBatch?: number;
  readonly writeErrors: Counter;
}

export class BatchWriter {
  #pending: Op[] = [];
  #timer: TimerHandle | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(private readonly o: BatchWriterOptions) {}

  put<K extends string | Buffer, V extends string | Buffer>(sublevel: AnySublevel<K, V>, key: K, value: V): void {
    this.#push({ type: 'put', sublevel: sublevel as unknown as Target, key, value });
  }

  del<K extends string | Buffer, V extends string | Buffer>(sublevel: AnySublevel<K, V>, key: K): void {
    this.#push({ type: 'del', sublevel: sublevel as unknown as Target, key });
  }

  get pending(): number {
    return this.#pending.length;
  }

  /** Write everything queued so far; resolves once it is in LevelDB. */
  flush(): Promise<void> {
    if (this.#timer) {
      this.o.clock.clear(this.#timer);
      this.#timer = undefined;
    }
    const ops = this.#pending;
    this.#pending = [];
    // Batches are written one after another so a later delete never overtakes an earlier put.
    this.#inFlight = this.#inFlight.then(() => (ops.length ? this.#write(ops) : undefined));
    return this.#inFlight;
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  async #write(ops: Op[]): Promise<void> {
    try {
      await this.o.db.batch<string | Buffer, string | Buffer>(ops, {});
    } catch (err) {
      this.o.writeErrors.inc();
      const coded = codedError('ERR_STORE_WRITE', [(err as Error).message], { cause: err });
      this.o.log.error({ err: coded, ops: ops.length }, 'LevelDB batch failed; will retry');
      // Keep the ops for the next flush (ahead of newer ones) rather than losing them.
      this.#pending = ops.concat(this.#pending);
      this.#arm();
    }
  }

  #push(op: Op): void {
    if (this.#closed) throw new TypeError('BatchWriter is closed');
    this.#pending.push(op);
    if (this.#pending.length >= (this.o.maxBatch ?? 5000)) void this.flush();
    else this.#arm();
  }

  #arm(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = this.o.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.o.flushIntervalMs);
    this.#timer.unref();
  }
}
