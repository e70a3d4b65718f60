// The ingest log: every accepted reading is appended here, and `append` resolves only once it is on
// disk, so a source may acknowledge it (QoS 1 PUBACK) and a crash cannot lose it. After a crash the
// tail past the last checkpoint is replayed (`readFrom`); the flight recorder reads a device's
// recent readings back by event time (`around`).
//
// Appends go to disk by group commit (group-commit.ts): at most one synced LevelDB batch per few ms,
// batches strictly in order, so a dictionary entry (reading-codec.ts) always reaches disk with,
// or before, the first record using it. Each batch is stored as one segment value holding all
// its records (log-segment.ts): one LevelDB put per commit, not per reading.
//
// It lives in sublevels of the gateway's one database (see ingest-log-keys.ts), not a database
// of its own: LevelDB has one write-ahead log per database, so a synced batch also makes every
// earlier write durable — the outbox's summaries and the checkpoint are ordered with the log.
//
// LevelDB holds a segment while replay may need it: it is deleted once all its records are below
// the replay floor (`truncateBefore`); the segment holding the newest record is always kept, so
// seqs continue after a restart. With a retention (`retentionMs`, the flight recorder's minutes),
// every committed segment is also appended to the recorder's segment files (recorder-files.ts),
// which are synced before LevelDB lets go of a segment, and deleted file by file once everything in
// them arrived more than `retentionMs` ago. Retention is by arrival (the gateway clock), not event
// time: a device with a wrong clock can neither pin old records nor lose new ones. The flight
// recorder (`around`) reads the segments whose event-time range meets the query and whose device
// filter (segment-index.ts) may hold the device, and picks the device's records, checking each
// record's device ref before decoding the rest.

import { join } from 'node:path';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { Reading } from '../decode/reading.js';
import { codedError } from '../errors/catalogue.js';
import { Resource } from '../lifecycle/resource.js';
import type { Logger } from '../observe/log.js';
import type { Registry } from '../observe/metrics.js';
import { ByteReader, ByteWriter } from './bytes.js';
import type { Db } from './db.js';
import { GroupCommit, type BuiltBatch, type Put } from './group-commit.js';
import { ingestLogMetrics, type IngestLogMetrics } from './ingest-log-metrics.js';
import { logSublevels, MAX_SEQ, prefixBytes, seqKey, seqOfKey, type BinarySublevel, type LogSublevels } from './ingest-log-keys.js';
import { decodeMeta, encodeMeta, encodeSegment, segmentMeta, SegmentWalker, type SegmentMeta } from './log-segment.js';
import { dictionaryEntry, dictionaryKey, ReadingCodec, type DictionaryEntry } from './reading-codec.js';
import { RecorderFiles } from './recorder-files.js';
import { deviceFilter, SegmentIndex } from './segment-index.js';

export interface IngestLogOptions {
  /** The gateway's database (edge/store/db.ts); the log uses its sublevels `il`, `ils`, `ild`. */
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /**
   * Group commits start at least this far apart (ms, default 5): at most 1000 / commitIntervalMs
   * fsyncs per second, which bounds the flash pages an SD card rewrites. An append waits at most
   * this long plus one write; a full batch goes at once.
   */
  readonly commitIntervalMs?: number;
  /** Readings per batch at most; a full batch is written at once (default 4096). */
  readonly maxBatch?: number;
  /** Readings waiting for disk at which `full` turns true: pause the sources (default 20000). */
  readonly highWater?: number;
  /** Readings waiting for disk beyond which `append` refuses with ERR_STORE_LOG_FULL (default 4 × highWater). */
  readonly hardLimit?: number;
  /** Flight recorder: keep readings that arrived within this long (ms, default 300000), in segment files. 0 keeps only what replay needs. */
  readonly retentionMs?: number;
  /** The flight recorder's segment files (default `recorder` in the database's directory). */
  readonly recorderDir?: string;
  /** How often records no longer needed are deleted (ms, default 10000). */
  readonly trimIntervalMs?: number;
  /** Wait before retrying a failed batch (ms, default 500). */
  readonly retryMs?: number;
  /** Device and metric names given a dictionary ref, each (default 100000). */
  readonly maxDictionary?: number;
  /**
   * Readings that just reached disk, in seq order, before their appends resolve: feed the window
   * engine from here and it only ever holds logged readings, so no summary can contain a reading
   * a crash could lose, and its log position is the last seq fed.
   */
  readonly onCommitted?: (entries: readonly LoggedReading[]) => void;
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

interface LogWrite {
  readonly seq: number;
  readonly durable: boolean;
  readonly reading: Reading;
  readonly record: Buffer;
  /** Dictionary entries this record introduced: written in the same batch. */
  readonly added: readonly DictionaryEntry[];
}

interface LogBatch extends BuiltBatch {
  readonly meta: SegmentMeta;
  readonly value: Buffer;
  /** The device refs of its records (segment-index.ts), kept in memory only. */
  readonly filter: Uint32Array;
  readonly writes: readonly LogWrite[];
}

/** One device's readings in an event-time range (ms, inclusive), at most `limit` (default 100000). */
export interface AroundQuery {
  readonly device: string;
  readonly from: number;
  readonly to: number;
  readonly limit?: number;
}

/** Segments fetched per LevelDB getMany while searching the flight recorder. */
const SEARCH_CHUNK = 32;
/**
 * Segments deleted per LevelDB batch when trimming (two deletes each). A batch's operations are
 * encoded on the event loop, ~10 µs each: a trim of 10 s of segments (~1,400 at 5,000 readings/s)
 * in one batch held the loop 18–29 ms on the development VM, every 10 s.
 */
export const TRIM_BATCH = 100;

/**
 * What `findAround` found for one query: the matching records copied out of their segments as they
 * are on disk (a few dozen bytes each, in one buffer off the JS heap), decoded by `readings()`, or
 * made into the text of the uplink's raw readings by `rowsJson()`.
 * The flight recorder holds a pass's finds (up to 50) while it cuts their snippets a turn of the
 * loop each; readings decoded up front and held that long outlived V8's young generation, and were about
 * a quarter of what the gateway promoted to its old generation in the e2e benchmark.
 */
export class FoundReadings {
  readonly #codec: ReadingCodec;
  readonly #limit: number;
  readonly #records = new ByteWriter(256);
  readonly #seqs: number[] = [];

  /** @internal made by IngestLog.findAround */
  constructor(codec: ReadingCodec, limit: number) {
    this.#codec = codec;
    this.#limit = limit;
  }

  /** Records found (before the query's limit applies). */
  get count(): number {
    return this.#seqs.length;
  }

  /** @internal */
  add(seq: number, record: Uint8Array): void {
    this.#seqs.push(seq);
    this.#records.uvarint(record.length);
    this.#records.bytes(record);
  }

  /** The readings, oldest event time first (arrival order among equal times), at most the query's limit. */
  readings(): LoggedReading[] {
    return this.#inOrder((seq, bytes) => ({ seq, reading: this.#codec.decode(bytes) }), (x) => x.reading.ts);
  }

  /** `readings()` as the JSON text of each uplink raw reading (ReadingCodec.rowJson): the same order and limit, no reading made. */
  rowsJson(): string[] {
    return this.#inOrder((seq, bytes) => ({ seq, row: this.#codec.rowJson(bytes) }), (x) => x.row.ts).map((x) => x.row.json);
  }

  /** Each record made into a T, sorted by event time then seq, at most the query's limit. */
  #inOrder<T extends { readonly seq: number }>(make: (seq: number, bytes: Uint8Array) => T, ts: (x: T) => number): T[] {
    const r = new ByteReader(this.#records.view(), 'ingest-log search');
    const out = this.#seqs.map((seq) => make(seq, r.view(r.uvarint())));
    out.sort((a, b) => ts(a) - ts(b) || a.seq - b.seq);
    return out.length > this.#limit ? out.slice(0, this.#limit) : out;
  }
}

export class IngestLog extends Resource {
  readonly name = 'ingest-log';
  readonly #o: IngestLogOptions;
  readonly #subs: LogSublevels;
  readonly #prefix: { segments: number; metas: number; dictionary: number };
  readonly #codec: ReadingCodec;
  readonly #m: IngestLogMetrics;
  readonly #commit: GroupCommit<LogWrite, LogBatch>;
  readonly #highWater: number;
  readonly #hardLimit: number;
  readonly #retention: number;
  /** Every segment in LevelDB, oldest first: what trimming (and without files, the flight recorder) decides by. */
  readonly #segments = new SegmentIndex();
  /** The flight recorder's copy, for `retentionMs` (none at 0). */
  readonly #files: RecorderFiles | undefined;
  #trimTimer: TimerHandle | undefined;
  #trimming: Promise<number> | undefined;
  #closing = false;
  #next = 0;
  #floor = 0;
  #appends = 0;

  constructor(options: IngestLogOptions) {
    super();
    this.#o = options;
    this.#subs = logSublevels(options.db);
    this.#prefix = { segments: prefixBytes(this.#subs.segments), metas: prefixBytes(this.#subs.metas), dictionary: prefixBytes(this.#subs.dictionary) };
    this.#codec = new ReadingCodec(options.maxDictionary !== undefined ? { maxDictionary: options.maxDictionary } : {});
    this.#m = ingestLogMetrics(options.metrics, () => this.queued);
    const intervalMs = options.commitIntervalMs ?? 5;
    const maxBatch = options.maxBatch ?? 4096;
    this.#highWater = options.highWater ?? 20_000;
    this.#hardLimit = options.hardLimit ?? 4 * this.#highWater;
    this.#retention = options.retentionMs ?? 300_000;
    if (!(intervalMs >= 0 && maxBatch >= 1 && this.#highWater >= 1 && this.#hardLimit >= this.#highWater && this.#retention >= 0)) {
      throw new TypeError('ingest log: commitIntervalMs and retentionMs must be >= 0, maxBatch and highWater >= 1, hardLimit >= highWater');
    }
    // A file per tenth of the retention: deleting whole files keeps at most ~10 % more than asked.
    this.#files =
      this.#retention > 0
        ? new RecorderFiles({ dir: options.recorderDir ?? join(options.db.location, 'recorder'), log: options.log, metrics: options.metrics, fileMs: Math.max(1000, this.#retention / 10) })
        : undefined;
    this.#commit = new GroupCommit<LogWrite, LogBatch>({
      db: options.db,
      build: (writes) => this.#build(writes),
      written: (batch) => {
        this.#segments.push(batch.meta, batch.filter);
        this.#files?.append(batch.meta, batch.filter, batch.value);
        options.onCommitted?.(batch.writes.map((w) => ({ seq: w.seq, reading: w.reading })));
      },
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
    return {
      appends: this.#appends,
      bytesWritten: c.bytes,
      commits: c.commits,
      queued: c.queued,
      firstSeq: Math.min(this.#files?.firstSeq ?? Infinity, this.#segments.at(0)?.firstSeq ?? this.#next),
      nextSeq: this.#next,
      committedSeq: c.committed,
    };
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
    const record = this.#codec.encode(reading, added); // a malformed reading throws TypeError here
    const seq = this.#next;
    if (seq > MAX_SEQ) throw new TypeError('ingest log seq space exhausted');
    this.#next++;
    this.#appends++;
    this.#m.appends.inc();
    return this.#commit.push({ seq, durable: options.durable ?? true, reading, record, added });
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
    const from = Math.max(0, seq);
    await this.#files?.written();
    // The segment holding `from` starts at or before it.
    const [start] = await this.#subs.segments.keys({ lte: seqKey(from), reverse: true, limit: 1 }).all();
    // The iterator reads a snapshot: a trim meanwhile cannot take a segment from under it.
    const it = this.#subs.segments.iterator({ gte: start ?? seqKey(from), ...(options.signal ? { signal: options.signal } : {}) });
    const codec = this.#codec;
    function* walk(first: number, value: Uint8Array): Generator<LoggedReading> {
      const records = new SegmentWalker(value);
      while (records.next()) {
        if (first + records.index < from) continue;
        options.signal?.throwIfAborted(); // a segment holds many records: do not wait for the next one
        yield { seq: first + records.index, reading: codec.decode(records.record()) };
      }
    }
    try {
      let entry = await it.next();
      // What LevelDB has let go of before its first segment is in the recorder's files (the resend
      // guard reads that far back). After a failed write they miss what came since; LevelDB has
      // kept that (#trim).
      const hotFirst = entry ? seqOfKey(entry[0]) : this.#next;
      if (this.#files !== undefined && from < hotFirst) {
        const positions = this.#files.from(from, hotFirst);
        for (let c = 0; c < positions.length; c += SEARCH_CHUNK) {
          const readings: LoggedReading[] = [];
          await this.#files.read(positions.slice(c, c + SEARCH_CHUNK), ({ firstSeq, value }) => readings.push(...walk(firstSeq, value)));
          yield* readings;
        }
      }
      for (; entry !== undefined; entry = await it.next()) yield* walk(seqOfKey(entry[0]), entry[1]);
    } finally {
      await it.close();
    }
  }

  /** Records before `seq` are no longer needed for replay (a checkpoint covers them). Never moves back. */
  truncateBefore(seq: number): void {
    if (seq > this.#floor) this.#floor = seq;
  }

  /**
   * A device's readings with event time in [from, to] (ms), oldest event time first, from what the
   * log still holds (at most `limit`). Readings still waiting for disk are written first.
   */
  async around(device: string, from: number, to: number, limit = 100_000): Promise<LoggedReading[]> {
    return (await this.aroundMany([{ device, from, to, limit }]))[0]!;
  }

  /**
   * `around` for several queries in ONE pass over the log: the segments meeting any query's range
   * are read once, each record checked against the queries of its device. The flight recorder cuts
   * the snippets of many alerts at once this way (an alert storm must not read the log once per alert).
   */
  async aroundMany(queries: readonly AroundQuery[]): Promise<LoggedReading[][]> {
    return (await this.findAround(queries)).map((found) => found.readings());
  }

  /**
   * aroundMany's search, its finds left undecoded until asked (FoundReadings). Only segments whose
   * device filter may hold a queried device are read, and in those a record is picked by its device
   * ref and event time alone: records of other devices and times cost no allocation. `restMs`: the
   * search is background work, resting that long each time it gives the loop up (Turn).
   */
  async findAround(queries: readonly AroundQuery[], options: { readonly restMs?: number } = {}): Promise<FoundReadings[]> {
    this.assertOpen();
    await this.flush();
    const out = queries.map((q) => new FoundReadings(this.#codec, q.limit ?? 100_000));
    // A device without a ref can only be in records that spell its name (ref 0): the same ref the
    // segment filters were built with (#build), so a query for such a device keeps every segment
    // holding any inline name.
    const byRef = new Map<number, number[]>();
    let from = Infinity;
    let to = -Infinity;
    queries.forEach((q, i) => {
      if (q.to < q.from) return;
      const ref = this.#codec.deviceRef(q.device) ?? 0;
      const list = byRef.get(ref);
      if (list) list.push(i);
      else byRef.set(ref, [i]);
      from = Math.min(from, q.from);
      to = Math.max(to, q.to);
    });
    if (byRef.size === 0) return out;
    const codec = this.#codec;
    const pick = (firstSeq: number, value: Uint8Array): void => {
      const records = new SegmentWalker(value);
      while (records.next()) {
        const r = records.reader;
        const ref = codec.peekDeviceRef(r);
        const wanted = byRef.get(ref);
        if (wanted === undefined) continue;
        const name = codec.peekInlineDevice(r, ref);
        const ts = codec.peekTs(r);
        for (const k of wanted) {
          const q = queries[k]!;
          if ((name === undefined || name === q.device) && ts >= q.from && ts <= q.to) out[k]!.add(firstSeq + records.index, records.record());
        }
      }
    };
    if (this.#files !== undefined && !this.#files.failed) {
      // Every committed segment is appended to the files; once written there, they have it all.
      await this.#files.written();
      await this.#files.read(this.#files.positions(from, to, [...byRef.keys()]), ({ firstSeq, value }) => pick(firstSeq, value), options);
      return out;
    }
    const candidates = this.#segments.overlapping(from, to, [...byRef.keys()]);
    for (let c = 0; c < candidates.length; c += SEARCH_CHUNK) {
      const chunk = candidates.slice(c, c + SEARCH_CHUNK);
      const values = await this.#subs.segments.getMany(chunk.map((seq) => seqKey(seq)));
      values.forEach((value, j) => {
        if (value !== undefined) pick(chunk[j]!, value); // undefined: trimmed meanwhile
      });
    }
    return out;
  }

  /** Delete what neither replay nor the flight recorder needs; returns how many records left the log. Runs on its own timer too. */
  trim(): Promise<number> {
    this.#trimming ??= this.#trim().finally(() => (this.#trimming = undefined));
    return this.#trimming;
  }

  protected async _open(): Promise<void> {
    const entries: DictionaryEntry[] = [];
    for await (const [key, value] of this.#subs.dictionary.iterator()) entries.push(dictionaryEntry(key, value));
    this.#codec.load(entries);
    for await (const [key, value] of this.#subs.metas.iterator()) this.#segments.push(decodeMeta(seqOfKey(key), value));
    const last = this.#segments.at(-1);
    if (last !== undefined) this.#next = last.firstSeq + last.count;
    if (this.#files !== undefined) {
      await this.#files.open();
      // What LevelDB holds past the files' last good frame (a crash before their sync, a log kept
      // in LevelDB by an older version) is appended again.
      // One range read, in step with the index (segments and metas are written and deleted together).
      const after = this.#files.lastSeq;
      let i = 0;
      while (i < this.#segments.length && this.#segments.at(i)!.firstSeq <= after) i++;
      for await (const [key, value] of this.#subs.segments.iterator({ gte: seqKey(after + 1) })) {
        const m = this.#segments.at(i);
        const seq = seqOfKey(key);
        if (m === undefined) break; // every indexed segment refilled; what follows has no meta
        if (seq < m.firstSeq) continue; // records without a meta: not in the log's index, as before
        if (seq > m.firstSeq) break;
        this.#files.append(m, this.#segments.filter(i), value);
        if (++i % 64 === 0) await this.#files.written(); // a whole log moving over must not overflow the write queue
      }
      if (i < this.#segments.length) throw codedError('ERR_STORE_CORRUPT', ['ingest log', `segment ${this.#segments.at(i)!.firstSeq}`, 'it has a meta but no records']);
      await this.#files.sync();
      // Seqs go on after the newest record anywhere, even if LevelDB lost its tail.
      this.#next = Math.max(this.#next, this.#files.lastSeq + 1);
    }
    this.#commit.committed = this.#next - 1;
    this.#trimTimer = this.#o.clock.setInterval(() => void this.trim().catch((err: unknown) => this.#o.log.error({ err }, 'ingest log trim failed')), this.#o.trimIntervalMs ?? 10_000);
    this.#trimTimer.unref();
  }

  protected async _close(): Promise<void> {
    this.#closing = true;
    if (this.#trimTimer) this.#o.clock.clear(this.#trimTimer);
    await this.#trimming?.catch(() => {});
    await this.#commit.close();
    await this.#files?.close();
  }

  /** One segment and its meta for the whole batch, with the dictionary entries it introduced. */
  #build(writes: readonly LogWrite[]): LogBatch {
    const meta = segmentMeta(writes[0]!.seq, writes.map((w) => w.reading));
    const key = seqKey(meta.firstSeq);
    const value = encodeSegment(writes.map((w) => w.record));
    const metaValue = encodeMeta(meta);
    // The ref each record was encoded with: a device that had none then has none now (a full
    // dictionary stays full), so this is the ref in the record, 0 for an inline name.
    const filter = deviceFilter(writes.map((w) => this.#codec.deviceRef(w.reading.device) ?? 0));
    const ops: Put[] = [
      { type: 'put', sublevel: this.#subs.segments, key, value },
      { type: 'put', sublevel: this.#subs.metas, key, value: metaValue },
    ];
    let bytes = this.#prefix.segments + key.length + value.length + this.#prefix.metas + key.length + metaValue.length;
    for (const w of writes) {
      for (const e of w.added) {
        const put: Put = { type: 'put', sublevel: this.#subs.dictionary, key: dictionaryKey(e), value: Buffer.from(e.name, 'utf8') };
        ops.push(put);
        bytes += this.#prefix.dictionary + put.key.length + put.value.length;
      }
    }
    return { ops, bytes, meta, value, filter, writes };
  }

  async #trim(): Promise<number> {
    const now = this.#o.clock.now();
    const files = this.#files;
    // What the files hold on disk LevelDB may let go of. Without files, or once writing them has
    // failed (until a restart), LevelDB keeps the retention itself.
    const cold = files !== undefined && !files.failed;
    const synced = !cold ? Infinity : this.#canTrim() ? await files.sync() : -1;
    const cutoff = cold ? Infinity : now - this.#retention;
    const committed = this.#commit.committed;
    const segments = this.#segments;
    let n = 0;
    let records = 0;
    for (; n < segments.length; n++) {
      const m = segments.at(n)!;
      const last = m.firstSeq + m.count - 1;
      // Needed for replay, holding the newest record (so seqs continue), not yet in a synced file, or within retention: stop.
      if (last >= this.#floor || last >= committed || last > synced || m.maxReceivedAt > cutoff) break;
      records += m.count;
    }
    // Oldest first, TRIM_BATCH at a time; the loop runs between batches. Appends may add segments
    // meanwhile, at the other end: the ones to trim stay the oldest.
    for (let left = n; left > 0; ) {
      const k = Math.min(TRIM_BATCH, left);
      const ops: Del[] = [];
      for (let i = 0; i < k; i++) {
        const key = seqKey(segments.at(i)!.firstSeq);
        ops.push({ type: 'del', sublevel: this.#subs.segments, key }, { type: 'del', sublevel: this.#subs.metas, key });
      }
      await this.#o.db.batch(ops, { sync: false });
      segments.dropOldest(k);
      left -= k;
    }
    // With the files, what LevelDB let go of is still in them: it leaves the log when its file goes.
    const below = segments.at(0)?.firstSeq ?? this.#next;
    const left = (cold ? 0 : records) + (files !== undefined ? await files.trim(now - this.#retention, below) : 0);
    this.#m.trimmed.inc(left);
    return left;
  }

  /** Whether LevelDB's oldest segment is below the replay floor and not the newest: worth a sync of the files. */
  #canTrim(): boolean {
    const m = this.#segments.at(0);
    return m !== undefined && m.firstSeq + m.count - 1 < Math.min(this.#floor, this.#commit.committed);
  }
}
