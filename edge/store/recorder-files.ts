// The flight recorder's minutes of raw readings, in segment files outside LevelDB.
//
// The ingest log keeps a reading in LevelDB only while replay may need it (above the last
// checkpoint). What the flight recorder keeps for `retentionMs` (5 minutes by default) lives here:
// every segment the log commits is appended, as it is, to the newest of a few files in
// `<dataDir>/recorder/`, and whole files are deleted once everything in them is older than the
// retention. In LevelDB those minutes (~40 MB at 10,000 readings/s) were rewritten by every
// compaction that reached them (SD card wear), and read through `mmap`: every page a compaction or
// a flight-recorder search touched stayed in the gateway's RSS while its table file was open, up to
// the size of the log (README, Memory). Here a file is written once, read with `pread` into a
// buffer that is let go after the search (the pages stay in the page cache, outside the process),
// and deleted whole.
//
// Durability: a segment is appended after its LevelDB batch is on disk, without a sync of its own;
// the ingest log syncs these files (`sync`) before it deletes segments from LevelDB, so every
// committed reading is in LevelDB, in a synced file, or both (or counted as dropped: a failed
// write, a disk too slow to keep up). At open, a frame torn by a
// power cut (short, or failing its CRC) ends its file there and the file is cut back to it; the log
// then appends again what LevelDB still holds past the last good frame.
//
// File: frames back to back, named by the first seq they hold (`<seq, 16 digits>.seg`).
// Frame: u32 LE body length, u32 LE CRC-32 of the body, then the body: u48 LE first seq, the
// segment's device filter (FILTER_WORDS u32 LE, segment-index.ts), u16 LE meta length, the meta
// (log-segment.ts encodeMeta), and the segment value (log-segment.ts encodeSegment).

import { mkdir, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Turn, TURN_BUDGET_MS } from '../analysis/turn.js';
import { codedError } from '../errors/catalogue.js';
import type { Logger } from '../observe/log.js';
import type { Registry } from '../observe/metrics.js';
import { crc32 } from './crc32.js';
import { decodeMeta, encodeMeta, type SegmentMeta } from './log-segment.js';
import { FILTER_WORDS, SegmentIndex } from './segment-index.js';

const HEADER = 8;
/** Body bytes before the meta: first seq, device filter, meta length. */
const FIXED = 6 + 4 * FILTER_WORDS + 2;
/** A body longer than this is damage, not a segment (a group commit holds at most 4,096 records). */
const MAX_BODY = 64 * 2 ** 20;
/** Searches read neighbouring frames in one `pread` when the gap between them is at most this... */
const RUN_GAP = 64 * 1024;
/** ...and the read at most this long. */
const RUN_MAX = 2 ** 20;
/** Bytes waiting to be written beyond which new segments are dropped (counted), not queued. */
const MAX_QUEUED = 16 * 2 ** 20;
const NAME = /^\d{16}\.seg$/;
/** Bytes at which a new file is begun (a tenth of 5 minutes at 10,000 readings/s is ~6.6 MB). */
const FILE_BYTES = 8 * 2 ** 20;

export interface RecorderFilesOptions {
  /** The files' directory (created if missing). */
  readonly dir: string;
  readonly log: Logger;
  readonly metrics: Registry;
  /** A new file is begun once the newest holds FILE_BYTES, or its first segment arrived this long before the one being appended (ms, gateway clock). */
  readonly fileMs: number;
}

interface SegmentFile {
  readonly name: string;
  readonly handle: FileHandle;
  /** Bytes written. */
  size: number;
  /** Segments held: the next `segments` positions of the index after those of the files before. */
  segments: number;
  firstReceivedAt: number;
  lastReceivedAt: number;
  /** The last seq it holds. */
  lastSeq: number;
  /** Written since the last fsync. */
  dirty: boolean;
  /** Searches reading it: a deleted file's handle is closed when the last one is done. */
  readers: number;
  deleted: boolean;
}

/** One `pread` of a search: neighbouring frames of one file. */
interface Run {
  readonly file: SegmentFile;
  readonly start: number;
  end: number;
  readonly frames: Array<{ readonly offset: number; readonly length: number; readonly firstSeq: number }>;
}

/** A segment read back: its first seq and its value (a view into the read's buffer). */
export interface ReadSegment {
  readonly firstSeq: number;
  readonly value: Uint8Array;
}

function recorderMetrics(registry: Registry, held: () => number) {
  return {
    written: registry.counter('tributary_log_recorder_bytes_written_total', "Bytes written to the flight recorder's segment files"),
    dropped: registry.counter(
      'tributary_log_recorder_dropped_total',
      "Log segments the flight recorder's files do not hold: write_failed (the files are set aside until a restart), queue_full (the disk fell behind), damaged (a frame cut at open: torn by a power cut, or failing its CRC)",
      ['reason'],
    ),
    held: registry.gauge('tributary_log_recorder_bytes', "Bytes in the flight recorder's segment files", [], (g) => g.set(held())),
  };
}

export class RecorderFiles {
  readonly #o: RecorderFilesOptions;
  readonly #m: ReturnType<typeof recorderMetrics>;
  /** Every segment held, oldest first, with where it lies in its file. */
  readonly #index = new SegmentIndex();
  /** Oldest first; the last is the one appended to. */
  readonly #files: SegmentFile[] = [];
  /** Writes, syncs and deletions, one after another. */
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  /** The last seq handed to `append` (−1: none). */
  #lastSeq = -1;
  /** Set on a failed write: appends are dropped until the next open. */
  #failed = false;

  constructor(options: RecorderFilesOptions) {
    this.#o = options;
    this.#m = recorderMetrics(options.metrics, () => this.bytes);
  }

  /** A write or sync failed: nothing more is written until the next open. */
  get failed(): boolean {
    return this.#failed;
  }

  /** The last seq appended (queued or written), −1 for none. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** The first seq held, undefined when empty. */
  get firstSeq(): number | undefined {
    return this.#index.at(0)?.firstSeq;
  }

  /** Bytes in the files. */
  get bytes(): number {
    let n = 0;
    for (const f of this.#files) n += f.size;
    return n;
  }

  /** Positions (for `read`) of the segments meeting [from, to] that may hold one of `devices` (refs). */
  positions(from: number, to: number, devices?: readonly number[]): number[] {
    return this.#index.positions(from, to, devices);
  }

  /** Read the files back: the index, from every good frame; a damaged tail is cut off. */
  async open(): Promise<void> {
    await mkdir(this.#o.dir, { recursive: true });
    const names = (await readdir(this.#o.dir)).filter((n) => NAME.test(n)).sort();
    for (const name of names) {
      const handle = await open(join(this.#o.dir, name), 'a+');
      const file = segmentFile(name, handle);
      const size = (await handle.stat()).size;
      await this.#scan(file, size);
      if (file.segments === 0) {
        await handle.close();
        await unlink(join(this.#o.dir, name));
        continue;
      }
      this.#files.push(file);
    }
  }

  /**
   * Queue a committed segment for its file. Returns at once; `written` resolves once it is there
   * (and searchable), `sync` once it is on disk.
   */
  append(meta: SegmentMeta, filter: Uint32Array, value: Uint8Array): void {
    if (meta.firstSeq <= this.#lastSeq) throw new RangeError(`segment ${meta.firstSeq} after ${this.#lastSeq}: out of order`);
    this.#lastSeq = meta.firstSeq + meta.count - 1;
    if (this.#failed) return void this.#m.dropped.labels('write_failed').inc();
    const frame = encodeFrame(meta, filter, value);
    if (this.#queued + frame.length > MAX_QUEUED) return void this.#m.dropped.labels('queue_full').inc();
    this.#queued += frame.length;
    this.#chain = this.#chain.then(async () => {
      this.#queued -= frame.length;
      if (this.#failed) return void this.#m.dropped.labels('write_failed').inc();
      try {
        const file = await this.#fileFor(meta);
        const { bytesWritten } = await file.handle.write(frame, 0, frame.length, null);
        if (bytesWritten !== frame.length) throw new Error(`wrote ${bytesWritten} of ${frame.length} bytes`);
        this.#index.push(meta, filter, { offset: file.size, length: frame.length });
        file.size += frame.length;
        file.segments++;
        file.dirty = true;
        file.firstReceivedAt = Math.min(file.firstReceivedAt, meta.minReceivedAt);
        file.lastReceivedAt = Math.max(file.lastReceivedAt, meta.maxReceivedAt);
        file.lastSeq = meta.firstSeq + meta.count - 1;
        this.#m.written.inc(frame.length);
      } catch (err) {
        // A torn frame at the end of the file is cut off at the next open; until then nothing more is written.
        this.#failed = true;
        this.#m.dropped.labels('write_failed').inc();
        this.#o.log.error({ err, dir: this.#o.dir }, "flight recorder: writing its segment files failed; they take no more readings until a restart (the ingest log keeps what replay needs)");
      }
    });
  }

  /** Resolves once every segment appended so far is in its file (or dropped). */
  written(): Promise<void> {
    return this.#chain;
  }

  /**
   * Write and fsync everything appended so far. Resolves with the last seq the files hold on disk
   * from here on: what LevelDB may let go of; −1 once a write or sync has failed (`failed`).
   */
  sync(): Promise<number> {
    const target = this.#lastSeq; // what is appended later may not be synced by this call
    const done = this.#chain.then(async () => {
      for (const f of this.#files) {
        if (!f.dirty) continue;
        await f.handle.sync();
        f.dirty = false;
      }
    });
    this.#chain = done.catch((err: unknown) => {
      this.#failed = true;
      this.#o.log.error({ err, dir: this.#o.dir }, 'flight recorder: syncing its segment files failed; they take no more readings until a restart');
    });
    return this.#chain.then(() => (this.#failed ? -1 : target));
  }

  /**
   * Delete the files all of whose readings arrived at or before `cutoff` (gateway clock) and have
   * seqs below `below` (the log's LevelDB keeps the rest for replay), never the newest. Returns
   * the readings deleted.
   */
  trim(cutoff: number, below: number): Promise<number> {
    const run = this.#chain.then(async () => {
      let n = 0;
      let segments = 0;
      const files = this.#files;
      while (n < files.length - 1 && files[n]!.lastReceivedAt <= cutoff && files[n]!.lastSeq < below) segments += files[n++]!.segments;
      if (n === 0) return 0;
      let readings = 0;
      for (let i = 0; i < segments; i++) readings += this.#index.at(i)!.count;
      const gone = this.#files.splice(0, n);
      this.#index.dropOldest(segments);
      for (const f of gone) {
        f.deleted = true;
        await unlink(join(this.#o.dir, f.name));
        if (f.readers === 0) await f.handle.close();
      }
      return readings;
    });
    this.#chain = run.then(
      () => undefined,
      (err: unknown) => this.#o.log.error({ err, dir: this.#o.dir }, 'flight recorder: deleting old segment files failed'),
    );
    return run;
  }

  /**
   * Hand `fn` the segments at `positions` (ascending, from `positions()` or `from()`, taken in the
   * same turn of the loop: a trim shifts them), in that order; neighbouring frames are read in one
   * `pread`. A segment's value is a view into one buffer the reads share: valid only until `fn`
   * returns (copy or decode what is kept). One buffer, not one per read: a pass over a storm's
   * snippets reads tens of megabytes, which as buffers of their own waited for V8 to collect them.
   * Segments appended but not yet `written()` are not held yet. Rejects with ERR_STORE_CORRUPT
   * when a frame does not read back as the index says. `restMs`: background work (Turn).
   */
  async read(positions: readonly number[], fn: (segment: ReadSegment) => void, options: { readonly restMs?: number } = {}): Promise<void> {
    const plan = this.#plan(positions);
    const files = new Set(plan.map((run) => run.file));
    for (const f of files) f.readers++;
    let buffer = Buffer.allocUnsafe(Math.min(RUN_MAX, Math.max(0, ...plan.map((run) => run.end - run.start))));
    const turn = new Turn(TURN_BUDGET_MS, options.restMs);
    try {
      for (const run of plan) {
        if (run.end - run.start > buffer.length) buffer = Buffer.allocUnsafe(run.end - run.start); // one frame larger than a run
        const { bytesRead } = await run.file.handle.read(buffer, 0, run.end - run.start, run.start);
        for (const frame of run.frames) {
          // A run of up to 1 MiB is ~25,000 records for `fn` to look at: 20-40 ms in one block of
          // the loop on the development VM. The buffer is not read into again before the run is done.
          if (turn.due()) await turn.next();
          const at = frame.offset - run.start;
          if (at + frame.length > bytesRead) throw codedError('ERR_STORE_CORRUPT', ['flight recorder', `segment ${frame.firstSeq} in ${join(this.#o.dir, run.file.name)}`, 'its frame is past the end of the file']);
          const body = buffer.subarray(at + HEADER, at + frame.length);
          const firstSeq = bodySeq(body);
          if (firstSeq !== frame.firstSeq) throw codedError('ERR_STORE_CORRUPT', ['flight recorder', `segment ${frame.firstSeq} in ${join(this.#o.dir, run.file.name)}`, `it reads back as segment ${firstSeq}`]);
          fn({ firstSeq, value: body.subarray(FIXED + bodyMetaLength(body)) });
        }
      }
    } finally {
      for (const f of files) if (--f.readers === 0 && f.deleted) await f.handle.close();
    }
  }

  /** Positions of the segments holding seqs from `seq` on, up to (not including) the segment starting at `before`. */
  from(seq: number, before = Infinity): number[] {
    const index = this.#index;
    let lo = 0;
    let hi = index.length;
    // The first segment whose last seq is >= seq.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = index.at(mid)!;
      if (m.firstSeq + m.count - 1 < seq) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let i = lo; i < index.length && index.at(i)!.firstSeq < before; i++) out.push(i);
    return out;
  }

  /** Write out and sync what is queued, and close the files. */
  async close(): Promise<void> {
    await this.sync();
    for (const f of this.#files.splice(0)) {
      f.deleted = true; // closed by the last search reading it
      if (f.readers === 0) await f.handle.close();
    }
  }

  async #fileFor(meta: SegmentMeta): Promise<SegmentFile> {
    const last = this.#files.at(-1);
    if (last !== undefined && last.size < FILE_BYTES && meta.minReceivedAt - last.firstReceivedAt < this.#o.fileMs) return last;
    if (last?.dirty) {
      await last.handle.sync();
      last.dirty = false;
    }
    const name = `${String(meta.firstSeq).padStart(16, '0')}.seg`;
    const handle = await open(join(this.#o.dir, name), 'a+');
    const file = segmentFile(name, handle);
    this.#files.push(file);
    return file;
  }

  #plan(positions: readonly number[]): Run[] {
    const runs: Run[] = [];
    let f = 0;
    let fileStart = 0;
    for (const i of positions) {
      while (f < this.#files.length && i >= fileStart + this.#files[f]!.segments) fileStart += this.#files[f++]!.segments;
      const file = this.#files[f];
      if (file === undefined) break;
      const { offset, length } = this.#index.location(i);
      const frame = { offset, length, firstSeq: this.#index.at(i)!.firstSeq };
      const run = runs.at(-1);
      if (run !== undefined && run.file === file && offset - run.end <= RUN_GAP && offset + length - run.start <= RUN_MAX) {
        run.end = offset + length;
        run.frames.push(frame);
      } else {
        runs.push({ file, start: offset, end: offset + length, frames: [frame] });
      }
    }
    return runs;
  }

  /** Index the good frames of `file` (`size` bytes); cut the file back to the end of the last one. */
  async #scan(file: SegmentFile, size: number): Promise<void> {
    let buffer = Buffer.allocUnsafe(Math.min(size, RUN_MAX));
    let bufStart = 0;
    let bufLength = 0;
    let pos = 0;
    let reason: string | undefined;
    // Bytes [pos, pos + n) in the buffer, reading on as needed; false past the end of the file.
    const have = async (n: number): Promise<boolean> => {
      if (pos + n > size) return false;
      if (pos + n <= bufStart + bufLength) return true;
      if (n > buffer.length) buffer = Buffer.allocUnsafe(n);
      const { bytesRead } = await file.handle.read(buffer, 0, Math.min(buffer.length, size - pos), pos);
      bufStart = pos;
      bufLength = bytesRead;
      return pos + n <= bufStart + bufLength;
    };
    let lastSeq = this.#lastSeq;
    while (pos < size) {
      if (!(await have(HEADER))) {
        reason = 'a torn frame header';
        break;
      }
      const length = buffer.readUInt32LE(pos - bufStart);
      const crc = buffer.readUInt32LE(pos - bufStart + 4);
      if (length < FIXED || length > MAX_BODY) {
        reason = `a frame of ${length} bytes`;
        break;
      }
      if (!(await have(HEADER + length))) {
        reason = 'a torn frame';
        break;
      }
      const body = buffer.subarray(pos - bufStart + HEADER, pos - bufStart + HEADER + length);
      if (crc32(body) !== crc) {
        reason = 'a frame failing its CRC';
        break;
      }
      const firstSeq = bodySeq(body);
      const metaLength = bodyMetaLength(body);
      let meta: SegmentMeta;
      try {
        meta = decodeMeta(firstSeq, body.subarray(FIXED, FIXED + metaLength));
      } catch {
        reason = 'a frame whose meta does not decode';
        break;
      }
      if (firstSeq <= lastSeq) {
        reason = `segment ${firstSeq} after seq ${lastSeq}`;
        break;
      }
      const filter = new Uint32Array(FILTER_WORDS);
      for (let w = 0; w < FILTER_WORDS; w++) filter[w] = body.readUInt32LE(6 + 4 * w);
      this.#index.push(meta, filter, { offset: pos, length: HEADER + length });
      file.segments++;
      file.firstReceivedAt = Math.min(file.firstReceivedAt, meta.minReceivedAt);
      file.lastReceivedAt = Math.max(file.lastReceivedAt, meta.maxReceivedAt);
      lastSeq = file.lastSeq = firstSeq + meta.count - 1;
      pos += HEADER + length;
    }
    file.size = pos;
    this.#lastSeq = lastSeq;
    if (reason !== undefined) {
      this.#m.dropped.labels('damaged').inc();
      this.#o.log.warn({ file: join(this.#o.dir, file.name), at: pos, of: size, reason }, 'flight recorder: a damaged frame ends its segment file; the file is cut back to the last good one');
      await file.handle.truncate(pos);
      await file.handle.sync();
    }
  }
}

function segmentFile(name: string, handle: FileHandle): SegmentFile {
  return { name, handle, size: 0, segments: 0, firstReceivedAt: Infinity, lastReceivedAt: -Infinity, lastSeq: -1, dirty: false, readers: 0, deleted: false };
}

/** The first seq a frame's body holds. */
const bodySeq = (body: Buffer): number => body.readUIntLE(0, 6);
/** The length of the meta in a frame's body (the segment value follows it). */
const bodyMetaLength = (body: Buffer): number => body.readUInt16LE(FIXED - 2);

function encodeFrame(meta: SegmentMeta, filter: Uint32Array, value: Uint8Array): Buffer {
  if (filter.length !== FILTER_WORDS) throw new TypeError(`a device filter has ${FILTER_WORDS} words, got ${filter.length}`);
  const metaBytes = encodeMeta(meta);
  const length = FIXED + metaBytes.length + value.length;
  const frame = Buffer.allocUnsafe(HEADER + length);
  frame.writeUInt32LE(length, 0);
  frame.writeUIntLE(meta.firstSeq, HEADER, 6);
  for (let w = 0; w < FILTER_WORDS; w++) frame.writeUInt32LE(filter[w]!, HEADER + 6 + 4 * w);
  frame.writeUInt16LE(metaBytes.length, HEADER + FIXED - 2);
  frame.set(metaBytes, HEADER + FIXED);
  frame.set(value, HEADER + FIXED + metaBytes.length);
  frame.writeUInt32LE(crc32(frame.subarray(HEADER)), 4);
  return frame;
}
