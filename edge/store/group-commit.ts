// Group commit for durable appends: queued writes share one LevelDB batch, written with
// `sync: true` (an fsync) when any of them asked to be durable, and each write's promise resolves
// once its batch is on disk. Commits start at least `intervalMs` apart, so there are at most
// 1000 / intervalMs syncs per second however fast writes come: each sync rewrites at least one
// flash page, so this, more than the bytes, is what an SD card feels. A write waits at most
// `intervalMs` plus one write; a full batch (`maxBatch`) or a flush goes at once. The owner turns
// a batch of writes into LevelDB operations (`build`), e.g. one segment value for all of them.
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

/** One queued write; seqs increase from one write to the next. */
export interface QueuedWrite {
  readonly seq: number;
  readonly durable: boolean;
}

/** A batch made ready for LevelDB: its puts and the bytes of keys (with prefixes) and values they hold. */
export interface BuiltBatch {
  readonly ops: readonly Put[];
  readonly bytes: number;
}

interface Entry<W extends QueuedWrite> {
  readonly write: W;
  readonly at: number;
  resolve?: (seq: number) => void;
  reject?: (err: Error) => void;
}

export interface GroupCommitOptions<W extends QueuedWrite, B extends BuiltBatch> {
  readonly db: Db;
  /** Turn writes (in seq order) into one LevelDB batch. Called again for a batch being retried. */
  readonly build: (writes: readonly W[]) => B;
  /** The batch is on disk (before any write's promise resolves). */
  readonly written?: (batch: B) => void;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Pick<IngestLogMetrics, 'bytes' | 'commits' | 'commitSize' | 'durable' | 'writeErrors'>;
  /** Least time between the starts of two commits (ms). */
  readonly intervalMs: number;
  /** Writes per batch at most; a full batch goes at once. */
  readonly maxBatch: number;
  /** Wait before retrying a failed batch (ms). */
  readonly retryMs: number;
  /** `drained()` resolves once at most this many writes wait. */
  readonly lowWater: number;
}

export class GroupCommit<W extends QueuedWrite, B extends BuiltBatch> {
  readonly #o: GroupCommitOptions<W, B>;
  #pending: Array<Entry<W>> = [];
  #writing: Array<Entry<W>> | undefined;
  #timer: TimerHandle | undefined;
  #closing = false;
  #flushWaiters: Array<{ seq: number; resolve: () => void; reject: (err: Error) => void }> = [];
  #drainWaiters: Array<() => void> = [];
  #last = -1; // seq of the newest write queued
  #lastStart = -Infinity; // clock time the last commit started
  committed = -1;
  bytes = 0;
  commits = 0;

  constructor(options: GroupCommitOptions<W, B>) {
    this.#o = options;
  }

  /** Writes queued or being written. */
  get queued(): number {
    return this.#pending.length + (this.#writing?.length ?? 0);
  }

  /** Queue a write (seqs must increase); resolves with its seq once on disk, or at once if not durable. */
  push(write: W): Promise<number> {
    const entry: Entry<W> = { write, at: this.#o.clock.now() };
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
    if (this.#timer === undefined) this.#armNext();
  }

  #armNext(): void {
    this.#arm(Math.max(0, this.#lastStart + this.#o.intervalMs - this.#o.clock.now()));
  }

  /** Not unref'd: a write waiting for its batch is work in progress that must keep the process alive. */
  #arm(ms: number): void {
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#commit();
    }, ms);
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
    this.#lastStart = this.#o.clock.now();
    let sync = false;
    for (const e of batch) if (e.write.durable) sync = true;
    let built: B;
    try {
      built = this.#o.build(batch.map((e) => e.write));
    } catch (err) {
      this.#failed(batch, err);
      return;
    }
    this.#o.db.batch(built.ops as Put[], { sync }).then(
      () => this.#written(batch, built, sync),
      (err: unknown) => this.#failed(batch, err),
    );
  }

  #written(batch: Array<Entry<W>>, built: B, sync: boolean): void {
    this.#writing = undefined;
    const m = this.#o.metrics;
    this.bytes += built.bytes;
    this.commits++;
    m.bytes.inc(built.bytes);
    m.commits.labels(String(sync)).inc();
    m.commitSize.observe(batch.length);
    this.committed = batch[batch.length - 1]!.write.seq;
    try {
      this.#o.written?.(built);
    } catch (err) {
      // The batch is on disk whatever the owner's hook did: the writes must still resolve.
      this.#o.log.error({ err }, 'group commit: the written hook threw');
    }
    const now = this.#o.clock.now();
    for (const e of batch) {
      if (e.resolve) {
        m.durable.observe((now - e.at) / 1000);
        e.resolve(e.write.seq);
      }
    }
    if (this.#flushWaiters.length > 0) {
      const ready = this.#flushWaiters.filter((w) => w.seq <= this.committed);
      this.#flushWaiters = this.#flushWaiters.filter((w) => w.seq > this.committed);
      for (const w of ready) w.resolve();
    }
    if (this.#drainWaiters.length > 0 && this.queued <= this.#o.lowWater) {
      for (const resolve of this.#drainWaiters.splice(0)) resolve();
    }
    // What gathered meanwhile goes once the interval is up, or at once if it fills a batch or is flushed.
    if (this.#pending.length >= this.#o.maxBatch || this.#flushWaiters.length > 0) this.#commit();
    else if (this.#pending.length > 0) this.#armNext();
  }

  #failed(batch: Array<Entry<W>>, err: unknown): void {
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
