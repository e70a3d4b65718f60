// Group commit for durable appends: writes queued within `intervalMs` share one LevelDB batch,
// written with `sync: true` (an fsync) when any of them asked to be durable, and each write's
// promise resolves once its batch is on disk. While one batch is being written the next gathers,
// so the disk sees one sync per batch however fast writes come.
//
// Batches are written strictly one after another, and a failed batch is retried ahead of newer
// writes: what reaches disk is always a prefix of what was queued, in order.

import type { Clock, TimerHandle } from '../clock/clock.js';
import { codedError } from '../errors/catalogue.js';
import type { Logger } from '../observe/log.js';
import type { Db } from './db.js';
import type { IngestLogMetrics } from './ingest-log-metrics.js';
import type { BinarySublevel } from './ingest-log-keys.js';

export type Put = { readonly type: 'put'; readonly sublevel: BinarySublevel; readonly key: Buffer; readonly value: Buffer };

/** One queued write: the LevelDB puts of one seq, with the bytes they hold. */
export interface QueuedWrite {
  readonly seq: number;
  readonly ops: readonly Put[];
  readonly bytes: number;
  readonly durable: boolean;
}

interface Entry extends QueuedWrite {
  readonly at: number;
  resolve?: (seq: number) => void;
  reject?: (err: Error) => void;
}

export interface GroupCommitOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Pick<IngestLogMetrics, 'bytes' | 'commits' | 'commitSize' | 'durable' | 'writeErrors'>;
  /** Longest a write waits for company (ms). */
  readonly intervalMs: number;
  /** Writes per batch at most; a full batch goes at once. */
  readonly maxBatch: number;
  /** Wait before retrying a failed batch (ms). */
  readonly retryMs: number;
  /** `drained()` resolves once at most this many writes wait. */
  readonly lowWater: number;
}

export class GroupCommit {
  readonly #o: GroupCommitOptions;
  #pending: Entry[] = [];
  #writing: Entry[] | undefined;
  #timer: TimerHandle | undefined;
  #closing = false;
  #flushWaiters: Array<{ seq: number; resolve: () => void; reject: (err: Error) => void }> = [];
  #drainWaiters: Array<() => void> = [];
  #last = -1; // seq of the newest write queued
  committed = -1;
  bytes = 0;
  commits = 0;

  constructor(options: GroupCommitOptions) {
    this.#o = options;
  }

  /** Writes queued or being written. */
  get queued(): number {
    return this.#pending.length + (this.#writing?.length ?? 0);
  }

  /** Queue a write (seqs must increase); resolves with its seq once on disk, or at once if not durable. */
  push(write: QueuedWrite): Promise<number> {
    const entry: Entry = { ...write, at: this.#o.clock.now() };
    const done = write.durable ? new Promise<number>((resolve, reject) => ((entry.resolve = resolve), (entry.reject = reject))) : Promise.resolve(write.seq);
    this.#last = write.seq;
    this.#pending.push(entry);
    this.#schedule();
    return done;
  }

  /** Resolves when everything queued so far is on disk (writing what waits now). */
  flush(): Promise<void> {
    const target = this.#last;
    if (this.committed >= target) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.#flushWaiters.push({ seq: target, resolve, reject }));
    this.#commit();
    return done;
  }

  drained(): Promise<void> {
    if (this.queued <= this.#o.lowWater) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Write what is queued; if that fails now, waiting writes are rejected with ERR_STORE_WRITE instead of retried. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.flush().catch(() => {});
    if (this.#timer) this.#o.clock.clear(this.#timer);
  }

  #schedule(): void {
    if (this.#writing !== undefined) return; // the next batch goes when this one is written
    if (this.#pending.length >= this.#o.maxBatch) return this.#commit();
    if (this.#timer !== undefined) return;
    this.#arm(this.#o.intervalMs);
  }

  #arm(ms: number): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#commit();
    }, ms);
    this.#timer.unref();
  }

  #commit(): void {
    if (this.#writing !== undefined || this.#pending.length === 0) return;
    if (this.#timer !== undefined) {
      this.#o.clock.clear(this.#timer);
      this.#timer = undefined;
    }
    let batch = this.#pending;
    if (batch.length > this.#o.maxBatch) batch = this.#pending.splice(0, this.#o.maxBatch);
    else this.#pending = [];
    this.#writing = batch;
    const ops: Put[] = [];
    let sync = false;
    for (const e of batch) {
      for (const op of e.ops) ops.push(op);
      if (e.durable) sync = true;
    }
    this.#o.db.batch(ops, { sync }).then(
      () => this.#written(batch, sync),
      (err: unknown) => this.#failed(batch, err),
    );
  }

  #written(batch: Entry[], sync: boolean): void {
    this.#writing = undefined;
    const m = this.#o.metrics;
    const now = this.#o.clock.now();
    let bytes = 0;
    for (const e of batch) {
      bytes += e.bytes;
      if (e.resolve) {
        m.durable.observe((now - e.at) / 1000);
        e.resolve(e.seq);
      }
    }
    this.bytes += bytes;
    this.commits++;
    m.bytes.inc(bytes);
    m.commits.labels(String(sync)).inc();
    m.commitSize.observe(batch.length);
    this.committed = batch[batch.length - 1]!.seq;
    if (this.#flushWaiters.length > 0) {
      const ready = this.#flushWaiters.filter((w) => w.seq <= this.committed);
      this.#flushWaiters = this.#flushWaiters.filter((w) => w.seq > this.committed);
      for (const w of ready) w.resolve();
    }
    if (this.#drainWaiters.length > 0 && this.queued <= this.#o.lowWater) {
      for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
    // What gathered meanwhile has already waited one write: send it at once.
    if (this.#pending.length > 0) this.#commit();
  }

  #failed(batch: Entry[], err: unknown): void {
    this.#writing = undefined;
    this.#o.metrics.writeErrors.inc();
    const coded = codedError('ERR_STORE_WRITE', [(err as Error).message], { cause: err });
    if (this.#closing) {
      // Nobody will retry: everything still waiting fails with the error.
      const lost = batch.concat(this.#pending);
      this.#pending = [];
      for (const e of lost) e.reject?.(coded);
      for (const w of this.#flushWaiters.splice(0)) w.reject(coded);
      this.#o.log.error({ err: coded, writes: lost.length }, 'group commit failed while closing');
      return;
    }
    this.#o.log.error({ err: coded, writes: batch.length }, 'group commit failed; will retry');
    this.#pending = batch.concat(this.#pending);
    this.#arm(this.#o.retryMs);
  }
}
