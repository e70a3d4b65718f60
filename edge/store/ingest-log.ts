// The ingest log: every accepted reading is appended here, and `append` resolves only once it is on
// disk, so a source may acknowledge it (QoS 1 PUBACK) and a crash cannot lose it. After a crash the
// tail past the last checkpoint is replayed (`readFrom`); the flight recorder reads a device's
// recent readings back by event time (`around`).
//
// Appends go to disk by group commit (group-commit.ts): one synced LevelDB batch per few ms,
// batches strictly in order, so a dictionary entry (reading-codec.ts) always reaches disk with,
// or before, the first record using it.
//
// It lives in sublevels of the gateway's one database (see ingest-log-keys.ts), not a database
// of its own: LevelDB has one write-ahead log per database, so a synced batch also makes every
// earlier write durable — the outbox's summaries and the checkpoint are ordered with the log.
//
// Retention is by arrival (the gateway clock), not event time: records are in arrival order, so
// trimming deletes a prefix, and a device with a wrong clock can neither pin old records nor
// lose new ones. A record is deleted once it is below the replay floor (`truncateBefore`) and
// arrived more than `retentionMs` ago; the newest record is always kept, so seqs continue.

import type { Clock, TimerHandle } from '../clock/clock.js';
import type { Reading } from '../decode/reading.js';
import { codedError } from '../errors/catalogue.js';
import { Resource } from '../lifecycle/resource.js';
import type { Logger } from '../observe/log.js';
import type { Registry } from '../observe/metrics.js';
import type { Db } from './db.js';
import { GroupCommit, type Put } from './group-commit.js';
import { ingestLogMetrics, type IngestLogMetrics } from './ingest-log-metrics.js';
import {
  indexKey, logSublevels, MAX_INDEX_TS, MAX_SEQ, prefixBytes, seqKey, seqOfIndexKey, seqOfKey, type BinarySublevel, type LogSublevels,
} from './ingest-log-keys.js';
import { dictionaryEntry, dictionaryKey, ReadingCodec, type DictionaryEntry } from './reading-codec.js';

export interface IngestLogOptions {
  /** The gateway's database (edge/store/db.ts); the log uses its sublevels `il`, `ild`, `ilx`. */
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /** Appends arriving within this long share one synced batch (ms, default 2). */
  readonly commitIntervalMs?: number;
  /** Readings per batch at most; a full batch is written at once (default 4096). */
  readonly maxBatch?: number;
  /** Readings waiting for disk at which `full` turns true: pause the sources (default 20000). */
  readonly highWater?: number;
  /** Readings waiting for disk beyond which `append` refuses with ERR_STORE_LOG_FULL (default 4 × highWater). */
  readonly hardLimit?: number;
  /** Flight recorder: keep readings that arrived within this long (ms, default 300000). 0 keeps only what replay needs and writes no device index. */
  readonly retentionMs?: number;
  /** How often records no longer needed are deleted (ms, default 10000). */
  readonly trimIntervalMs?: number;
  /** Wait before retrying a failed batch (ms, default 500). */
  readonly retryMs?: number;
  /** Device and metric names given a dictionary ref, each (default 100000). */
  readonly maxDictionary?: number;
}

export interface AppendOptions {
  /** Resolve only once on disk (default true). false resolves at once; the reading is still logged. */
  readonly durable?: boolean;
}

export interface LoggedReading {
  readonly seq: number;
  readonly reading: Reading;
}

export interface IngestLogStats {
  readonly appends: number;
  /** Bytes of keys (with sublevel prefixes) and values handed to LevelDB. */
  readonly bytesWritten: number;
  readonly commits: number;
  /** Appended, not yet on disk. */
  readonly queued: number;
  /** Oldest seq held, the seq the next append gets, and the newest on disk (−1 for none). */
  readonly firstSeq: number;
  readonly nextSeq: number;
  readonly committedSeq: number;
}

type Del = { readonly type: 'del'; readonly sublevel: BinarySublevel; readonly key: Buffer };

const EMPTY = Buffer.alloc(0);

export class IngestLog extends Resource {
  readonly name = 'ingest-log';
  readonly #o: IngestLogOptions;
  readonly #subs: LogSublevels;
  readonly #prefix: { records: number; dictionary: number; index: number };
  readonly #codec: ReadingCodec;
  readonly #m: IngestLogMetrics;
  readonly #commit: GroupCommit;
  readonly #highWater: number;
  readonly #hardLimit: number;
  readonly #retention: number;
  #trimTimer: TimerHandle | undefined;
  #trimming: Promise<number> | undefined;
  #closing = false;
  #first = 0;
  #next = 0;
  #floor = 0;
  #appends = 0;

  constructor(options: IngestLogOptions) {
    super();
    this.#o = options;
    this.#subs = logSublevels(options.db);
    this.#prefix = { records: prefixBytes(this.#subs.records), dictionary: prefixBytes(this.#subs.dictionary), index: prefixBytes(this.#subs.index) };
    this.#codec = new ReadingCodec(options.maxDictionary !== undefined ? { maxDictionary: options.maxDictionary } : {});
    this.#m = ingestLogMetrics(options.metrics, () => this.queued);
    const intervalMs = options.commitIntervalMs ?? 2;
    const maxBatch = options.maxBatch ?? 4096;
    this.#highWater = options.highWater ?? 20_000;
    this.#hardLimit = options.hardLimit ?? 4 * this.#highWater;
    this.#retention = options.retentionMs ?? 300_000;
    if (!(intervalMs >= 0 && maxBatch >= 1 && this.#highWater >= 1 && this.#hardLimit >= this.#highWater && this.#retention >= 0)) {
      throw new TypeError('ingest log: commitIntervalMs and retentionMs must be >= 0, maxBatch and highWater >= 1, hardLimit >= highWater');
    }
    this.#commit = new GroupCommit({
      db: options.db,
      clock: options.clock,
      log: options.log,
      metrics: this.#m,
      intervalMs,
      maxBatch,
      retryMs: options.retryMs ?? 500,
      lowWater: Math.floor(this.#highWater / 2),
    });
  }

  /** Readings appended but not yet on disk. */
  get queued(): number {
    return this.#commit.queued;
  }

  /** True while `highWater` or more readings wait for disk: pause the sources until `drained()`. */
  get full(): boolean {
    return this.queued >= this.#highWater;
  }

  /**
   * The seq of the newest append (−1 before the first), known as soon as `append` returns: feed the
   * window engine right after appending, in append order, and this is the engine's log position.
   */
  get appendedSeq(): number {
    return this.#next - 1;
  }

  /** The newest seq on disk, −1 before the first. A checkpoint may only name a position up to it. */
  get committedSeq(): number {
    return this.#commit.committed;
  }

  get stats(): IngestLogStats {
    const c = this.#commit;
    return { appends: this.#appends, bytesWritten: c.bytes, commits: c.commits, queued: c.queued, firstSeq: this.#first, nextSeq: this.#next, committedSeq: c.committed };
  }

  /**
   * Append a reading; resolves with its seq once it is on disk (or at once with `durable: false`).
   * Rejects with ERR_STORE_LOG_FULL at the hard limit, ERR_NOT_OPEN when not open, or
   * ERR_STORE_WRITE if the log is closed while its batch keeps failing. A failing batch is
   * otherwise retried, and the promise waits.
   */
  append(reading: Reading, options: AppendOptions = {}): Promise<number> {
    if (this.status !== 'open' || this.#closing) return Promise.reject(codedError('ERR_NOT_OPEN', [this.name, this.#closing ? 'closing' : this.status]));
    if (this.queued >= this.#hardLimit) {
      this.#m.refused.inc();
      return Promise.reject(codedError('ERR_STORE_LOG_FULL', [this.queued, this.#hardLimit]));
    }
    const added: DictionaryEntry[] = [];
    const value = this.#codec.encode(reading, added); // a malformed reading throws TypeError here
    const seq = this.#next;
    if (seq > MAX_SEQ) throw new TypeError('ingest log seq space exhausted');
    this.#next++;
    const key = seqKey(seq);
    const ops: Put[] = [{ type: 'put', sublevel: this.#subs.records, key, value }];
    let bytes = this.#prefix.records + key.length + value.length;
    for (const e of added) {
      const put: Put = { type: 'put', sublevel: this.#subs.dictionary, key: dictionaryKey(e), value: Buffer.from(e.name, 'utf8') };
      ops.push(put);
      bytes += this.#prefix.dictionary + put.key.length + put.value.length;
    }
    const ix = this.#indexKeyOf(reading, seq);
    if (ix !== undefined) {
      ops.push({ type: 'put', sublevel: this.#subs.index, key: ix, value: EMPTY });
      bytes += this.#prefix.index + ix.length;
    }
    this.#appends++;
    this.#m.appends.inc();
    return this.#commit.push({ seq, ops, bytes, durable: options.durable ?? true });
  }

  /** Resolves when every reading appended so far is on disk (writing what waits now). */
  flush(): Promise<void> {
    return this.#commit.flush();
  }

  /** Resolves once the queue is at half the high-water mark or below (at once if it already is). */
  drained(): Promise<void> {
    return this.#commit.drained();
  }

  /**
   * The records from `seq` on, in order, as they are on disk: the tail to replay after a
   * checkpoint. Aborting `signal` ends the iteration with an AbortError; the LevelDB iterator is
   * closed either way.
   */
  async *readFrom(seq: number, options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<LoggedReading, void, undefined> {
    this.assertOpen();
    const it = this.#subs.records.iterator({ gte: seqKey(Math.max(0, seq)), ...(options.signal ? { signal: options.signal } : {}) });
    try {
      for await (const [key, value] of it) yield { seq: seqOfKey(key), reading: this.#codec.decode(value) };
    } finally {
      await it.close();
    }
  }

  /** Records before `seq` are no longer needed for replay (a checkpoint covers them). Never moves back. */
  truncateBefore(seq: number): void {
    if (seq > this.#floor) this.#floor = seq;
  }

  /**
   * A device's readings with event time in [from, to] (ms), oldest event time first, from the
   * flight recorder (at most `limit`). Readings still waiting for disk are written first.
   */
  async around(device: string, from: number, to: number, limit = 100_000): Promise<LoggedReading[]> {
    this.assertOpen();
    await this.flush();
    const ref = this.#codec.deviceRef(device);
    if (ref === undefined || this.#retention === 0 || to < from) return [];
    const clamp = (t: number) => Math.min(MAX_INDEX_TS, Math.max(0, Math.floor(t)));
    const keys = await this.#subs.index.keys({ gte: indexKey(ref, clamp(from), 0), lte: indexKey(ref, clamp(to), MAX_SEQ), limit }).all();
    const seqs = keys.map(seqOfIndexKey);
    const values = await this.#subs.records.getMany(seqs.map(seqKey));
    const out: LoggedReading[] = [];
    values.forEach((v, i) => {
      if (v !== undefined) out.push({ seq: seqs[i]!, reading: this.#codec.decode(v) });
    });
    return out;
  }

  /** Delete what neither replay nor the flight recorder needs; returns how many records. Runs on its own timer too. */
  trim(): Promise<number> {
    this.#trimming ??= this.#trim().finally(() => (this.#trimming = undefined));
    return this.#trimming;
  }

  protected async _open(): Promise<void> {
    const entries: DictionaryEntry[] = [];
    for await (const [key, value] of this.#subs.dictionary.iterator()) entries.push(dictionaryEntry(key, value));
    this.#codec.load(entries);
    const [first] = await this.#subs.records.keys({ limit: 1 }).all();
    const [last] = await this.#subs.records.keys({ limit: 1, reverse: true }).all();
    if (first !== undefined && last !== undefined) {
      this.#first = seqOfKey(first);
      this.#next = seqOfKey(last) + 1;
      this.#commit.committed = this.#next - 1;
    }
    this.#trimTimer = this.#o.clock.setInterval(() => void this.trim().catch((err: unknown) => this.#o.log.error({ err }, 'ingest log trim failed')), this.#o.trimIntervalMs ?? 10_000);
    this.#trimTimer.unref();
  }

  protected async _close(): Promise<void> {
    this.#closing = true;
    if (this.#trimTimer) this.#o.clock.clear(this.#trimTimer);
    await this.#trimming?.catch(() => {});
    await this.#commit.close();
  }

  #indexKeyOf(reading: Reading, seq: number): Buffer | undefined {
    if (this.#retention === 0) return undefined;
    const ref = this.#codec.deviceRef(reading.device);
    // A device written inline (dictionary full) or an event time outside 0 … year 10889 is not indexed.
    if (ref === undefined || !(reading.ts >= 0 && reading.ts <= MAX_INDEX_TS)) return undefined;
    return indexKey(ref, reading.ts, seq);
  }

  async #trim(): Promise<number> {
    // The newest record on disk always stays, so the seq carries on after a restart.
    const limit = Math.min(this.#floor, this.#commit.committed);
    if (limit <= this.#first) return 0;
    const cutoff = this.#o.clock.now() - this.#retention;
    const ops: Del[] = [];
    let deleted = 0;
    let next = this.#first;
    const it = this.#subs.records.iterator({ gte: seqKey(this.#first), lt: seqKey(limit) });
    try {
      for await (const [key, value] of it) {
        if (this.#retention > 0) {
          let reading: Reading | undefined;
          try {
            reading = this.#codec.decode(value);
          } catch (err) {
            this.#o.log.error({ err, seq: seqOfKey(key) }, 'ingest log record cannot be decoded; deleting it');
          }
          // Records are in arrival order: the first one still within retention ends the trim.
          if (reading && reading.receivedAt > cutoff) break;
          const ix = reading && this.#indexKeyOf(reading, seqOfKey(key));
          if (ix) ops.push({ type: 'del', sublevel: this.#subs.index, key: ix });
        }
        ops.push({ type: 'del', sublevel: this.#subs.records, key: Buffer.from(key) });
        deleted++;
        next = seqOfKey(key) + 1;
        if (ops.length >= 4096) await this.#o.db.batch(ops.splice(0), { sync: false });
      }
    } finally {
      await it.close();
    }
    if (ops.length > 0) await this.#o.db.batch(ops, { sync: false });
    this.#first = next;
    this.#m.trimmed.inc(deleted);
    return deleted;
  }
}
