// The ingest log on a real LevelDB in a temp dir: appends resolve only once written, in group
// commits of one segment each; the log survives a reopen and replays from any seq; backpressure;
// the flight recorder by device and event time; trimming by replay floor and arrival time; a
// failing disk.

import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Reading } from '../../edge/decode/reading.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Histogram, Registry } from '../../edge/observe/metrics.js';
import { openDb, type Db } from '../../edge/store/db.js';
import { IngestLog, TRIM_BATCH, type AroundQuery, type IngestLogOptions, type LoggedReading } from '../../edge/store/ingest-log.js';
import { metric, Teardown } from '../helpers/mqtt.js';
import { prng } from '../helpers/prng.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const T = Date.UTC(2024, 10, 24, 12, 0, 0);
const INTERVAL = 5;

interface Opened {
  readonly db: Db;
  readonly log: IngestLog;
  readonly clock: FakeClock;
  readonly registry: Registry;
}

async function openLog(dir: TempDir, options: Partial<IngestLogOptions> = {}, clock = new FakeClock(T)): Promise<Opened> {
  const db = await openDb(dir.path);
  const registry = new Registry();
  const log = new IngestLog({ db, clock, log: silentLogger(), metrics: registry, commitIntervalMs: INTERVAL, ...options });
  teardown.defer(() => db.close());
  teardown.add(log);
  await log.open();
  return { db, log, clock, registry };
}

const reading = (device: string, ts: number, values: Record<string, number> = { temp: 20 + (ts % 7) }, receivedAt = T): Reading => ({ device, ts, tsFromArrival: false, receivedAt, values });

async function all(it: AsyncIterable<LoggedReading>): Promise<LoggedReading[]> {
  const out: LoggedReading[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** Append every reading, let the commit timer fire, and wait for all of them to be on disk. */
async function appendAll(o: Opened, readings: readonly Reading[]): Promise<number[]> {
  const seqs = Promise.all(readings.map((r) => o.log.append(r)));
  o.clock.advance(INTERVAL);
  return seqs;
}

/** Let the commit timer fire and the batch it starts land. */
async function commit(o: Opened): Promise<void> {
  o.clock.advance(INTERVAL);
  await o.log.flush();
}

describe('IngestLog: group commit', () => {
  it('resolves appends only once their batch is written, one synced batch per interval', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    const settled: number[] = [];
    const appends = Array.from({ length: 50 }, (_, i) => o.log.append(reading('pump-1', T + i)).then((seq) => (settled.push(seq), seq)));
    await new Promise((resolve) => setImmediate(resolve)); // a turn of the event loop; the fake commit timer has not fired
    expect(settled).toEqual([]);
    expect(o.log.queued).toBe(50);
    expect(o.log.committedSeq).toBe(-1);
    o.clock.advance(INTERVAL);
    expect(await Promise.all(appends)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(settled).toEqual([...settled].sort((a, b) => a - b));
    expect(metric(o.registry, 'tributary_log_commits_total', 'true')).toBe(1);
    expect(metric(o.registry, 'tributary_log_appends_total')).toBe(50);
    expect((o.registry.get('tributary_log_commit_readings') as Histogram).count).toBe(1);
    expect(o.log.stats).toMatchObject({ appends: 50, commits: 1, queued: 0, committedSeq: 49, nextSeq: 50 });
  });

  it('hands readings to onCommitted in seq order once on disk, before their appends resolve', async () => {
    using dir = tempDir();
    const committed: Array<[number, string]> = [];
    const resolvedAfter: number[] = [];
    const o = await openLog(dir, { onCommitted: (entries) => committed.push(...entries.map((e): [number, string] => [e.seq, e.reading.device])) });
    const appends = ['a', 'b', 'c'].map((d, i) => o.log.append(reading(`pump-${d}`, T + i), { durable: i !== 1 }).then(() => resolvedAfter.push(committed.length)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(committed).toEqual([]); // the non-durable append resolved, but nothing is on disk yet
    o.clock.advance(INTERVAL);
    await Promise.all(appends);
    expect(committed).toEqual([[0, 'pump-a'], [1, 'pump-b'], [2, 'pump-c']]);
    expect(resolvedAfter).toEqual([0, 3, 3]); // pump-b (not durable) at once; the others after onCommitted
  });

  it('writes full batches at once, and a partial one only once the interval since the last commit is up', async () => {
    using dir = tempDir();
    const o = await openLog(dir, { maxBatch: 10 });
    const appends = Array.from({ length: 35 }, (_, i) => o.log.append(reading('pump-1', T + i)));
    // 10 at once, then the 25 gathered meanwhile go 10 and 10 as each write lands.
    await waitFor(() => o.log.committedSeq === 29, 'three full batches');
    expect(o.log.stats.commits).toBe(3);
    expect(o.log.queued).toBe(5);
    o.clock.advance(INTERVAL);
    expect(await Promise.all(appends)).toHaveLength(35);
    expect(o.log.stats.commits).toBe(4);
  });

  it('commits a lone append at once when the last commit was long enough ago', async () => {
    using dir = tempDir();
    const o = await openLog(dir, { commitIntervalMs: 1000 });
    const first = o.log.append(reading('pump-1', T));
    o.clock.advance(0); // no commit yet: nothing to wait for
    expect(await first).toBe(0);
    const second = o.log.append(reading('pump-1', T + 1));
    o.clock.advance(999);
    expect(o.log.committedSeq).toBe(0); // within the interval of the first commit: it waits
    o.clock.advance(1);
    expect(await second).toBe(1);
  });

  it('writes one segment per commit and counts the exact bytes it hands LevelDB', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    const pair = [reading('pump-7', T - 5, { temp: 71.2, vib_rms: 0.41 }), reading('pump-7', T - 4, { temp: 71.3, vib_rms: 0.42 })];
    await appendAll(o, pair);
    // segment '!il!' + 6-byte key + (count 1 + per record: length 1 + 15 bytes);
    // meta '!ils!' + 6 + 15 (count 1, minTs 6, spread 1, minReceivedAt 6, spread 1);
    // dictionary entries '!ild!' + 5-byte key + name, once each.
    const segment = 4 + 6 + 1 + 2 * (1 + 15);
    const meta = 5 + 6 + 15;
    const entries = [5 + 5 + 'pump-7'.length, 5 + 5 + 'temp'.length, 5 + 5 + 'vib_rms'.length].reduce((a, b) => a + b);
    expect(o.log.stats.bytesWritten).toBe(segment + meta + entries);
    expect(o.log.stats.commits).toBe(1);
    await appendAll(o, [reading('pump-7', T - 3, { temp: 71.4, vib_rms: 0.43 })]);
    expect(o.log.stats.bytesWritten).toBe(segment + meta + entries + (4 + 6 + 1 + 16) + meta);
    expect(metric(o.registry, 'tributary_log_bytes_written_total')).toBe(o.log.stats.bytesWritten);
  });

  it('resolves a non-durable append at once, still logs it, and writes a batch of only those without sync', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    expect(await o.log.append(reading('pump-1', T), { durable: false })).toBe(0);
    expect(o.log.committedSeq).toBe(-1);
    await commit(o);
    expect(o.log.committedSeq).toBe(0);
    expect(metric(o.registry, 'tributary_log_commits_total', 'false')).toBe(1);
    expect((await all(o.log.readFrom(0))).map((r) => r.seq)).toEqual([0]);
  });

  it('refuses a malformed reading at once (TypeError) without using a seq', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    expect(() => o.log.append(reading('pump-1', T + 0.5))).toThrow(TypeError);
    const seq = o.log.append(reading('pump-1', T));
    await commit(o);
    expect(await seq).toBe(0);
  });
});

describe('IngestLog: restart and replay', () => {
  it('keeps every acknowledged reading across a reopen and continues the seq', async () => {
    using dir = tempDir();
    const readings = Array.from({ length: 30 }, (_, i) => reading(`pump-${i % 4}`, T + i * 10, { temp: i / 10, rpm: 1000 + i }));
    {
      const o = await openLog(dir);
      await appendAll(o, readings);
      await o.log.close();
      await o.db.close();
    }
    const o = await openLog(dir);
    const back = await all(o.log.readFrom(0));
    expect(back.map((r) => r.reading)).toEqual(readings);
    expect(back.map((r) => r.seq)).toEqual(readings.map((_, i) => i));
    expect(await appendAll(o, [reading('pump-9', T)])).toEqual([30]);
    expect((await all(o.log.readFrom(25))).map((r) => r.seq)).toEqual([25, 26, 27, 28, 29, 30]);
  });

  it('ends a replay with an AbortError when its signal is aborted, closing the iterator', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    await appendAll(o, Array.from({ length: 20 }, (_, i) => reading('pump-1', T + i)));
    const controller = new AbortController();
    const seen: number[] = [];
    const replay = (async () => {
      for await (const r of o.log.readFrom(0, { signal: controller.signal })) {
        seen.push(r.seq);
        if (r.seq === 2) controller.abort();
      }
    })();
    await expect(replay).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([0, 1, 2]);
    // The iterator was closed: the database closes without waiting on it.
    await o.log.close();
    await o.db.close();
  });
});

describe('IngestLog: backpressure', () => {
  it('turns full at the high-water mark, refuses at the hard limit, and drains when written', async () => {
    using dir = tempDir();
    const o = await openLog(dir, { highWater: 10, hardLimit: 20, commitIntervalMs: 1000 });
    const appends = Array.from({ length: 9 }, (_, i) => o.log.append(reading('pump-1', T + i)));
    expect(o.log.full).toBe(false);
    appends.push(o.log.append(reading('pump-1', T + 9)));
    expect(o.log.full).toBe(true);
    let drained = false;
    const drain = o.log.drained().then(() => (drained = true));
    for (let i = 10; i < 20; i++) appends.push(o.log.append(reading('pump-1', T + i)));
    await expect(o.log.append(reading('pump-1', T + 20))).rejects.toMatchObject({ code: 'ERR_STORE_LOG_FULL', retryable: true });
    expect(metric(o.registry, 'tributary_log_refused_total')).toBe(1);
    expect(metric(o.registry, 'tributary_log_queue_depth')).toBe(20);
    expect(drained).toBe(false);
    o.clock.advance(1000);
    await drain;
    expect(o.log.full).toBe(false);
    expect(await Promise.all(appends)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('retries a batch that failed, keeping its appends waiting, and counts the failure', async () => {
    using dir = tempDir();
    const o = await openLog(dir, { retryMs: 100 });
    await o.db.close(); // the disk goes away
    let seq: number | undefined;
    const append = o.log.append(reading('pump-1', T)).then((s) => (seq = s));
    o.clock.advance(INTERVAL);
    await waitFor(() => metric(o.registry, 'tributary_log_write_errors_total') === 1, 'the failed batch');
    expect(seq).toBeUndefined();
    await o.db.open(); // and comes back
    o.clock.advance(100);
    await append;
    expect(seq).toBe(0);
    // The log's own sublevels stay closed with the old handle; a fresh log on the reopened database reads it.
    const again = new IngestLog({ db: o.db, clock: o.clock, log: silentLogger(), metrics: new Registry() });
    teardown.add(again);
    await again.open();
    expect((await all(again.readFrom(0))).map((r) => r.reading.device)).toEqual(['pump-1']);
  });

  it('rejects what is still waiting with ERR_STORE_WRITE when closed while the disk is gone', async () => {
    using dir = tempDir();
    const o = await openLog(dir, { retryMs: 100 });
    await o.db.close();
    const append = o.log.append(reading('pump-1', T));
    o.clock.advance(INTERVAL);
    await waitFor(() => metric(o.registry, 'tributary_log_write_errors_total') === 1, 'the failed batch');
    await o.log.close();
    await expect(append).rejects.toMatchObject({ code: 'ERR_STORE_WRITE', retryable: true });
    expect(metric(o.registry, 'tributary_log_write_errors_total')).toBe(2);
  });

  it('rejects appends after close with ERR_NOT_OPEN', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    await o.log.close();
    await expect(o.log.append(reading('pump-1', T))).rejects.toMatchObject({ code: 'ERR_NOT_OPEN' });
  });
});

describe('IngestLog: flight recorder and trimming', () => {
  it('returns one device\'s readings in an event-time range, oldest first, including ones not yet written', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    // Out of order in arrival; two readings share an event time.
    const times = [50, 10, 30, 20, 40, 30, 60];
    times.forEach((t, i) => void o.log.append(reading('pump-1', T + t, { temp: i })));
    void o.log.append(reading('pump-2', T + 30, { temp: 99 }));
    const got = await o.log.around('pump-1', T + 20, T + 50);
    expect(got.map((r) => [r.reading.ts - T, r.reading.values['temp']])).toEqual([[20, 3], [30, 2], [30, 5], [40, 4], [50, 0]]);
    expect(await o.log.around('pump-3', T, T + 100)).toEqual([]);
    expect(await o.log.around('pump-1', T + 100, T)).toEqual([]);
    // Several queries in one pass: each gets what around() gives it alone.
    const many = await o.log.aroundMany([
      { device: 'pump-1', from: T + 20, to: T + 50 },
      { device: 'pump-2', from: T, to: T + 100 },
      { device: 'pump-1', from: T + 50, to: T + 60, limit: 1 },
      { device: 'pump-3', from: T, to: T + 100 },
    ]);
    expect(many.map((list) => list.map((r) => [r.reading.device, r.reading.ts - T]))).toEqual([
      [['pump-1', 20], ['pump-1', 30], ['pump-1', 30], ['pump-1', 40], ['pump-1', 50]],
      [['pump-2', 30]],
      [['pump-1', 50]],
      [],
    ]);
  });

  it('finds exactly what a scan of the whole log finds: many devices, inline names, segments from before a reopen', async () => {
    using dir = tempDir();
    const random = prng(11);
    // 30 devices get dictionary refs, the other 50 are written with their names inline (ref 0).
    const options = { maxDictionary: 30 };
    const devices = Array.from({ length: 80 }, (_, i) => `motor-${i}`);
    /** `segments` commits of 25 readings of random devices, event times spread over a minute. */
    async function fill(o: Opened, segments: number): Promise<void> {
      for (let s = 0; s < segments; s++) {
        await appendAll(o, Array.from({ length: 25 }, () => reading(devices[Math.floor(random() * devices.length)]!, T + Math.floor(random() * 60_000))));
      }
    }
    const queries = (): AroundQuery[] =>
      Array.from({ length: 40 }, (_, i) => {
        const from = T - 1000 + Math.floor(random() * 60_000);
        // Now and then a device never logged, an empty range, or a limit.
        const device = i % 13 === 5 ? 'motor-unknown' : devices[Math.floor(random() * devices.length)]!;
        return { device, from, to: i % 17 === 3 ? from - 1 : from + Math.floor(random() * 30_000), ...(i % 7 === 2 ? { limit: 3 } : {}) };
      });
    async function expectScanResult(o: Opened): Promise<void> {
      const everything = await all(o.log.readFrom(0));
      for (const batch of [queries(), queries().slice(0, 1), queries().slice(0, 5)]) {
        const scanned = batch.map((q) => {
          const found = everything.filter((r) => r.reading.device === q.device && r.reading.ts >= q.from && r.reading.ts <= q.to);
          found.sort((a, b) => a.reading.ts - b.reading.ts || a.seq - b.seq);
          return found.slice(0, q.limit ?? Infinity);
        });
        expect(scanned.some((list) => list.length > 0)).toBe(true);
        expect(await o.log.aroundMany(batch)).toEqual(scanned);
        // The search the flight recorder uses: undecoded finds, every match counted, the limit applied when decoded.
        const found = await o.log.findAround(batch);
        expect(found.map((f) => f.count)).toEqual(batch.map((q) => everything.filter((r) => r.reading.device === q.device && r.reading.ts >= q.from && r.reading.ts <= q.to).length));
        expect(found.map((f) => f.readings())).toEqual(scanned);
        const row = ({ reading: { device: _device, tsFromArrival, ...rest } }: LoggedReading) => ({ ...rest, ...(tsFromArrival ? { tsFromArrival } : {}) });
        expect(found.map((f) => f.rowsJson().map((json) => JSON.parse(json) as unknown))).toEqual(scanned.map((list) => list.map(row)));
      }
    }
    {
      const o = await openLog(dir, options);
      await fill(o, 40);
      expect(o.log.stats.commits).toBe(40);
      await expectScanResult(o);
      await o.log.close();
      await o.db.close();
    }
    // Reopened: the 40 old segments come back without device filters, 20 new ones have them.
    const o = await openLog(dir, options);
    await fill(o, 20);
    await expectScanResult(o);
  });

  it('deletes segments below the replay floor and older than retention, keeping the newest record', async () => {
    using dir = tempDir();
    const retentionMs = 60_000;
    const o = await openLog(dir, { retentionMs, trimIntervalMs: 3_600_000 });
    // 10 readings a minute apart in arrival time.
    for (let i = 0; i < 10; i++) {
      const appended = o.log.append(reading('pump-1', o.clock.now() - 100, { temp: i }, o.clock.now()));
      await commit(o);
      await appended;
      o.clock.advance(60_000 - INTERVAL);
    }
    // Now = T + 10 min − …: readings 0..8 arrived more than a minute ago.
    expect(await o.log.trim()).toBe(0); // no replay floor yet: everything is still needed
    o.log.truncateBefore(5);
    expect(await o.log.trim()).toBe(5);
    expect((await all(o.log.readFrom(0))).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9]);
    expect((await o.log.around('pump-1', T - 1000, T + 3_600_000)).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9]);
    o.log.truncateBefore(100);
    expect(await o.log.trim()).toBe(4); // 9 is the newest record and within retention anyway
    expect(o.log.stats.firstSeq).toBe(9);
    expect(metric(o.registry, 'tributary_log_trimmed_total')).toBe(9);
  });

  it('keeps the newest record when everything is old, so the seq continues after a reopen', async () => {
    using dir = tempDir();
    {
      const o = await openLog(dir, { retentionMs: 0 });
      for (let i = 0; i < 5; i++) await appendAll(o, [reading('pump-1', T + i)]); // five segments
      o.log.truncateBefore(5);
      expect(await o.log.trim()).toBe(4);
      await o.log.close();
      await o.db.close();
    }
    const o = await openLog(dir, { retentionMs: 0 });
    expect(await appendAll(o, [reading('pump-1', T + 5)])).toEqual([5]);
  });

  it('trims many segments in batches of TRIM_BATCH, so no one batch holds the loop', async () => {
    using dir = tempDir();
    const o = await openLog(dir, { retentionMs: 0 });
    const segments = 2 * TRIM_BATCH + 5;
    for (let i = 0; i < segments; i++) await appendAll(o, [reading(`pump-${i % 3}`, T + i)]);
    // The batches the trim hands LevelDB, and whether the loop ran (an immediate) between them.
    const batches: number[] = [];
    const turnsBefore: number[] = [];
    let turns = 0;
    const batch = o.db.batch.bind(o.db) as (ops: unknown[], options: object) => Promise<void>;
    (o.db as unknown as { batch: typeof batch }).batch = (ops, options) => {
      batches.push(ops.length);
      turnsBefore.push(turns);
      setImmediate(() => turns++);
      return batch(ops, options);
    };
    o.log.truncateBefore(segments);
    // The newest segment stays (the seq continues from it); every other one goes, two keys each.
    expect(await o.log.trim()).toBe(segments - 1);
    expect(batches).toEqual([2 * TRIM_BATCH, 2 * TRIM_BATCH, 2 * (segments - 1 - 2 * TRIM_BATCH)]);
    // Each batch's immediate ran before the next batch was made.
    expect(turnsBefore).toEqual(batches.map((_, i) => i));
    expect((await all(o.log.readFrom(0))).map((r) => r.seq)).toEqual([segments - 1]);
    expect(o.log.stats.firstSeq).toBe(segments - 1);
  });

  it('deletes a segment only once every record in it may go', async () => {
    using dir = tempDir();
    const o = await openLog(dir, { retentionMs: 0 });
    await appendAll(o, [reading('pump-1', T), reading('pump-1', T + 1), reading('pump-1', T + 2)]); // seqs 0-2
    await appendAll(o, [reading('pump-1', T + 3)]); // seq 3
    o.log.truncateBefore(2);
    expect(await o.log.trim()).toBe(0); // seq 2 is still needed, so the whole first segment stays
    o.log.truncateBefore(3);
    expect(await o.log.trim()).toBe(3);
    expect((await all(o.log.readFrom(0))).map((r) => r.seq)).toEqual([3]);
  });

  it('replays from the middle of a segment', async () => {
    using dir = tempDir();
    const o = await openLog(dir);
    await appendAll(o, Array.from({ length: 10 }, (_, i) => reading('pump-1', T + i)));
    await appendAll(o, Array.from({ length: 10 }, (_, i) => reading('pump-2', T + i)));
    expect((await all(o.log.readFrom(7))).map((r) => r.seq)).toEqual(Array.from({ length: 13 }, (_, i) => 7 + i));
    expect((await all(o.log.readFrom(20))).map((r) => r.seq)).toEqual([]);
  });

  it('trims on its own timer', async () => {
    using dir = tempDir();
    const o = await openLog(dir, { retentionMs: 1000, trimIntervalMs: 5000 });
    await appendAll(o, [reading('pump-1', T)]);
    o.clock.advance(2000); // the recorder's files go whole: seq 1 arrives past the first file's span
    await appendAll(o, [reading('pump-1', T + 1, undefined, o.clock.now())]);
    o.log.truncateBefore(2);
    o.clock.advance(5000);
    await waitFor(() => o.log.stats.firstSeq === 1, 'the timer trim');
  });
});
