// The flight recorder's segment files (edge/store/recorder-files.ts) under a real ingest log on a
// real LevelDB and real files in a temp dir: LevelDB lets go of what replay no longer needs while
// the files keep the retention; searches and the resend guard's tail read the files; a torn or
// damaged frame is cut off at open and what LevelDB still holds is appended again; a log kept by
// an older version (all in LevelDB) moves over; whole files go once old; a failed write leaves
// LevelDB keeping the retention itself.

import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Reading } from '../../edge/decode/reading.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { openDb, type Db } from '../../edge/store/db.js';
import { IngestLog, type IngestLogOptions, type LoggedReading } from '../../edge/store/ingest-log.js';
import { logSublevels } from '../../edge/store/ingest-log-keys.js';
import { encodeSegment, segmentMeta } from '../../edge/store/log-segment.js';
import { RecorderFiles } from '../../edge/store/recorder-files.js';
import { FILTER_WORDS } from '../../edge/store/segment-index.js';
import { metric, Teardown } from '../helpers/mqtt.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const T = Date.UTC(2024, 10, 24, 12, 0, 0);
const INTERVAL = 5;
const RETENTION = 60_000; // files of 6 s each

interface Opened {
  readonly db: Db;
  readonly log: IngestLog;
  readonly clock: FakeClock;
  readonly registry: Registry;
  close(): Promise<void>;
}

async function openLog(dir: TempDir, options: Partial<IngestLogOptions> = {}, clock = new FakeClock(T)): Promise<Opened> {
  const db = await openDb(dir.path);
  const registry = new Registry();
  const log = new IngestLog({ db, clock, log: silentLogger(), metrics: registry, commitIntervalMs: INTERVAL, retentionMs: RETENTION, trimIntervalMs: 3_600_000, ...options });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await log.close();
    await db.close();
  };
  teardown.defer(close);
  await log.open();
  return { db, log, clock, registry, close };
}

const reading = (device: string, ts: number, receivedAt: number): Reading => ({ device, ts, tsFromArrival: false, receivedAt, values: { temp: 20 + (ts % 7) } });

async function all(it: AsyncIterable<LoggedReading>): Promise<LoggedReading[]> {
  const out: LoggedReading[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** `segments` group commits of `perSegment` readings of devices d-0..d-3, `stepMs` apart in arrival; the seqs. */
async function fill(o: Opened, segments: number, perSegment = 4, stepMs = 1000): Promise<number[]> {
  const seqs: number[] = [];
  for (let s = 0; s < segments; s++) {
    const now = o.clock.now();
    const appended = Promise.all(Array.from({ length: perSegment }, (_, i) => o.log.append(reading(`d-${i % 4}`, now - 50 + i, now))));
    o.clock.advance(INTERVAL);
    seqs.push(...(await appended));
    o.clock.advance(stepMs - INTERVAL);
  }
  return seqs;
}

/** Segments LevelDB holds (the ingest log's `il` sublevel). */
async function inLevelDb(db: Db): Promise<number> {
  return (await logSublevels(db).segments.keys().all()).length;
}

const recorderDir = (dir: TempDir) => join(dir.path, 'recorder');
const segFiles = async (dir: TempDir) => (await readdir(recorderDir(dir))).filter((n) => n.endsWith('.seg')).sort();

describe('the flight recorder\'s segment files', () => {
  it('keep the retention once LevelDB has let go of it: searches and the tail read them, across a reopen', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    const seqs = await fill(o, 30); // 30 s of arrivals: 5 files
    o.log.truncateBefore(seqs.length); // a checkpoint covers everything
    expect(await o.log.trim()).toBe(0); // nothing is older than the retention: nothing leaves the log
    expect(await inLevelDb(o.db)).toBe(1); // LevelDB keeps only the segment with the newest record
    expect((await segFiles(dir)).length).toBe(5);
    expect(metric(o.registry, 'tributary_log_recorder_bytes')).toBeGreaterThan(0);
    const d1 = seqs.filter((_, i) => i % 4 === 1);
    expect((await o.log.around('d-1', -Infinity, Infinity)).map((r) => r.seq)).toEqual(d1);
    expect((await all(o.log.readFrom(0))).map((r) => r.seq)).toEqual(seqs);
    expect((await all(o.log.readFrom(61))).map((r) => r.seq)).toEqual(seqs.slice(61));
    expect(o.log.stats.firstSeq).toBe(0);
    await o.close();

    const again = await openLog(dir, {}, new FakeClock(o.clock.now()));
    expect((await again.log.around('d-1', -Infinity, Infinity)).map((r) => r.seq)).toEqual(d1);
    expect((await all(again.log.readFrom(0))).map((r) => r.seq)).toEqual(seqs);
    expect(await again.log.append(reading('d-0', T, again.clock.now()), { durable: false })).toBe(seqs.length);
  });

  it('read back right across many reads: gaps between wanted frames, runs longer than one read', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    // 30 commits of ~60 KB (3,000 readings of other devices), 'probe' in every third and in 10-24:
    // apart, its frames are more than a read's gap away from each other; together, more than one read long.
    const probeIn = (s: number) => s % 3 === 0 || (s >= 10 && s < 25);
    const appended: Reading[] = [];
    for (let s = 0; s < 30; s++) {
      const now = o.clock.now();
      const batch = Array.from({ length: 3000 }, (_, i) => reading(`bulk-${(s * 3000 + i) % 700}`, now - 3000 + i, now));
      if (probeIn(s)) batch.splice(1500, 0, reading('probe', now - 1, now));
      appended.push(...batch);
      const seqs = Promise.all(batch.map((r) => o.log.append(r)));
      o.clock.advance(INTERVAL);
      await seqs;
      o.clock.advance(1000 - INTERVAL);
    }
    o.log.truncateBefore(appended.length);
    await o.log.trim();
    expect(await inLevelDb(o.db)).toBe(1);
    const everything = await all(o.log.readFrom(0));
    expect(everything.map((e) => e.reading)).toEqual(appended);
    const probes = everything.filter((e) => e.reading.device === 'probe');
    expect(probes).toHaveLength(20);
    expect(await o.log.around('probe', -Infinity, Infinity)).toEqual(probes);
  });

  it('delete whole files once everything in them is older than the retention and out of LevelDB', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    const seqs = await fill(o, 30);
    o.log.truncateBefore(seqs.length);
    await o.log.trim();
    o.clock.advance(45_000); // now 75 s: the first two files (arrivals 0-5 s, 6-11 s) are older than 60 s, the third (12-17 s) not
    const left = await o.log.trim();
    expect(left).toBe(12 * 4);
    expect(metric(o.registry, 'tributary_log_trimmed_total')).toBe(12 * 4);
    expect((await segFiles(dir)).length).toBe(3);
    expect(o.log.stats.firstSeq).toBe(48);
    expect((await all(o.log.readFrom(0))).map((r) => r.seq)).toEqual(seqs.slice(48));
  });

  it('are cut back at a torn last frame, and get again what LevelDB still holds', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    const seqs = await fill(o, 3); // one file, three frames; no checkpoint: LevelDB holds them all
    await o.close();
    const [file] = await segFiles(dir);
    const path = join(recorderDir(dir), file!);
    const size = (await readFile(path)).length;
    await truncate(path, size - 10); // a power cut in the middle of the last frame
    const again = await openLog(dir);
    expect(metric(again.registry, 'tributary_log_recorder_dropped_total', 'damaged')).toBe(1);
    again.log.truncateBefore(seqs.length);
    await again.log.trim(); // LevelDB lets go once the files hold the segments again
    expect(await inLevelDb(again.db)).toBe(1);
    expect((await again.log.around('d-2', -Infinity, Infinity)).map((r) => r.seq)).toEqual(seqs.filter((_, i) => i % 4 === 2));
    expect((await readFile(path)).length).toBe(size);
  });

  it('are cut back at a frame failing its CRC, and get again what LevelDB still holds', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    await fill(o, 3);
    const written = await all(o.log.readFrom(0));
    await o.close();
    const [file] = await segFiles(dir);
    const path = join(recorderDir(dir), file!);
    const bytes = await readFile(path);
    const second = 8 + bytes.readUInt32LE(0);
    const at = second + 8 + bytes.readUInt32LE(second) - 1; // the last byte of the second frame: a reading's value
    bytes[at] = bytes[at]! ^ 0x40;
    await writeFile(path, bytes);
    const again = await openLog(dir);
    expect(metric(again.registry, 'tributary_log_recorder_dropped_total', 'damaged')).toBe(1);
    again.log.truncateBefore(written.length);
    await again.log.trim();
    expect(await inLevelDb(again.db)).toBe(1);
    expect(await all(again.log.readFrom(0))).toEqual(written);
  });

  it('take over a log an older version kept all in LevelDB', async () => {
    using dir = tempDir();
    const old = await openLog(dir, { retentionMs: 0 }); // no files: LevelDB is all there is
    const seqs = await fill(old, 5);
    await old.close();
    await rm(recorderDir(dir), { recursive: true, force: true });
    const o = await openLog(dir);
    o.log.truncateBefore(seqs.length);
    await o.log.trim();
    expect(await inLevelDb(o.db)).toBe(1);
    expect((await o.log.around('d-0', -Infinity, Infinity)).map((r) => r.seq)).toEqual(seqs.filter((_, i) => i % 4 === 0));
  });

  it('give the event loop up while a search looks through a long read (TURN_BUDGET_MS)', async () => {
    using dir = tempDir();
    const files = new RecorderFiles({ dir: recorderDir(dir), log: silentLogger(), metrics: new Registry(), fileMs: 60_000 });
    await files.open();
    teardown.defer(() => files.close());
    for (let s = 0; s < 20; s++) files.append(segmentMeta(s, [{ ts: T + s, receivedAt: T + s }]), new Uint32Array(FILTER_WORDS), encodeSegment([Buffer.from(`record ${s}`)]));
    await files.written();
    const positions = files.from(0);
    expect(positions).toHaveLength(20); // adjacent frames of one file: one pread
    // Each segment takes the callback 1 ms: the budget (4 ms) runs out within the run, and the
    // turn given up then lets an immediate queued at the first segment run before the last.
    const seen: number[] = [];
    let ranAfter: number | undefined;
    await files.read(positions, ({ firstSeq }) => {
      if (seen.length === 0) setImmediate(() => (ranAfter = seen.length));
      seen.push(firstSeq);
      const until = performance.now() + 1;
      while (performance.now() < until);
    });
    expect(seen).toEqual(positions.map((_, i) => i));
    expect(ranAfter).toBeGreaterThan(0);
    expect(ranAfter).toBeLessThan(20);
  });

  it('after a failed write take nothing more, and LevelDB keeps the retention itself', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    const before = await fill(o, 2);
    await rm(recorderDir(dir), { recursive: true }); // the next file cannot be made
    o.clock.advance(10_000);
    const after = await fill(o, 3);
    o.log.truncateBefore(before.length + after.length);
    await o.log.trim();
    // Nothing after the failure is lost to the flight recorder: LevelDB kept it (within the retention).
    expect((await o.log.around('d-0', -Infinity, Infinity)).map((r) => r.seq)).toEqual([...before, ...after].filter((_, i) => i % 4 === 0));
    expect(await inLevelDb(o.db)).toBe(5);
    expect(metric(o.registry, 'tributary_log_recorder_dropped_total', 'write_failed')).toBe(3); // once around() has waited for the files
  });
});
