// Benchmark rows for the flight recorder's read of the ingest log (`aroundMany`): ~95 s of a
// 1,000-device fleet at 5,000 readings/s (a segment of 25 readings every 5 ms), queried for 1 and
// for 50 devices' 90-second snippets. Three ways, in the same run on the same data:
//   before — the old pass, rebuilt here from the log's own pieces: every segment in the time range
//            read, split into a view per record, a ByteReader per record to peek its device ref;
//   walk   — IngestLog.aroundMany on the reopened log: its segments came from disk without device
//            filters, so every segment in range is read, but walked without per-record allocation;
//   after  — IngestLog.aroundMany with device filters (segments written in this run).
// Each gives ms per call (median of REPEATS) and JS heap allocated per call (from GC statistics).

import { GCProfiler, getHeapStatistics } from 'node:v8';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Reading } from '../../edge/decode/reading.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { ByteReader } from '../../edge/store/bytes.js';
import { openDb, type Db } from '../../edge/store/db.js';
import { IngestLog, type AroundQuery, type LoggedReading } from '../../edge/store/ingest-log.js';
import { logSublevels, seqKey, seqOfKey, type LogSublevels } from '../../edge/store/ingest-log-keys.js';
import { decodeMeta, type SegmentMeta } from '../../edge/store/log-segment.js';
import { dictionaryEntry, ReadingCodec, type DictionaryEntry } from '../../edge/store/reading-codec.js';
import { prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { BenchResult } from './run.js';
import { preciseNow, quantile, round } from './stats.js';

const DEVICES = 1000;
const RATE = 5000;
const COMMIT_MS = 5;
const SPAN_MS = 95_000;
const REPEATS = 7;
const T0 = Date.UTC(2025, 0, 1);

/** Fill a log with SPAN_MS of readings, one segment per COMMIT_MS (not synced: only the layout matters here). */
async function fill(log: IngestLog, clock: FakeClock): Promise<void> {
  const random = prng(5);
  const perCommit = (RATE * COMMIT_MS) / 1000;
  for (let t = 0; t < SPAN_MS; t += COMMIT_MS) {
    clock.set(T0 + t);
    for (let k = 0; k < perCommit; k++) {
      const reading: Reading = {
        device: `motor-${Math.floor(random() * DEVICES)}`,
        ts: T0 + t - Math.floor(random() * 20),
        tsFromArrival: false,
        receivedAt: T0 + t,
        values: { vib_rms: Math.round(random() * 400) / 100, bearing_temp: Math.round(600 + random() * 300) / 10, current: Math.round(random() * 2000) / 100 },
      };
      void log.append(reading, { durable: false });
    }
    await log.flush();
  }
}

/** `n` snippet queries of distinct devices, alerts 20 ms apart, each 60 s before to 30 s after. */
function queries(n: number): AroundQuery[] {
  return Array.from({ length: n }, (_, i) => {
    const raisedAt = T0 + 62_500 + 20 * i;
    return { device: `motor-${(i * 37) % DEVICES}`, from: raisedAt - 60_000, to: raisedAt + 30_000 };
  });
}

interface Loaded {
  readonly subs: LogSublevels;
  readonly codec: ReadingCodec;
  readonly metas: readonly SegmentMeta[];
}

/** What the log holds in memory, read from disk as its open() does. */
async function load(db: Db): Promise<Loaded> {
  const subs = logSublevels(db);
  const entries: DictionaryEntry[] = [];
  for await (const [key, value] of subs.dictionary.iterator()) entries.push(dictionaryEntry(key, value));
  const codec = new ReadingCodec();
  codec.load(entries);
  const metas: SegmentMeta[] = [];
  for await (const [key, value] of subs.metas.iterator()) metas.push(decodeMeta(seqOfKey(key), value));
  return { subs, codec, metas };
}

/** The old aroundMany, outside the log: every segment in the time range read and split into a view per record. */
async function before({ subs, codec, metas }: Loaded, qs: readonly AroundQuery[]): Promise<LoggedReading[][]> {
  const out: LoggedReading[][] = qs.map(() => []);
  const byRef = new Map<number, number[]>();
  qs.forEach((q, i) => byRef.set(codec.deviceRef(q.device) ?? 0, [...(byRef.get(codec.deviceRef(q.device) ?? 0) ?? []), i]));
  const from = Math.min(...qs.map((q) => q.from));
  const to = Math.max(...qs.map((q) => q.to));
  const candidates = metas.filter((m) => m.maxTs >= from && m.minTs <= to);
  for (let c = 0; c < candidates.length; c += 32) {
    const chunk = candidates.slice(c, c + 32);
    const values = await subs.segments.getMany(chunk.map((m) => seqKey(m.firstSeq)));
    values.forEach((value, j) => {
      if (value === undefined) return;
      const r = new ByteReader(value, 'segment');
      const records = Array.from({ length: r.uvarint() }, () => r.view(r.uvarint()));
      records.forEach((record, i) => {
        const peek = new ByteReader(record, 'record');
        peek.uvarint();
        const wanted = byRef.get(peek.uvarint());
        if (wanted === undefined) return;
        const reading = codec.decode(record);
        for (const k of wanted) {
          const q = qs[k]!;
          if (reading.device === q.device && reading.ts >= q.from && reading.ts <= q.to) out[k]!.push({ seq: chunk[j]!.firstSeq + i, reading });
        }
      });
    });
  }
  for (const list of out) list.sort((a, b) => a.reading.ts - b.reading.ts || a.seq - b.seq);
  return out;
}

/** Median ms and mean JS heap bytes allocated per call of `fn`. */
async function measure(fn: () => Promise<unknown>): Promise<{ ms: number; allocMB: number }> {
  await fn(); // warm up
  const times: number[] = [];
  const profiler = new GCProfiler();
  profiler.start();
  const used0 = getHeapStatistics().used_heap_size;
  for (let i = 0; i < REPEATS; i++) {
    const t = preciseNow();
    await fn();
    times.push(preciseNow() - t);
  }
  const used1 = getHeapStatistics().used_heap_size;
  // Allocated = growth of the heap between collections, summed.
  let allocated = 0;
  let last = used0;
  for (const s of profiler.stop().statistics) {
    allocated += s.beforeGC.heapStatistics.usedHeapSize - last;
    last = s.afterGC.heapStatistics.usedHeapSize;
  }
  allocated += used1 - last;
  return { ms: round(quantile(times, 0.5), 1), allocMB: round(allocated / REPEATS / 1e6, 1) };
}

export async function aroundRows(): Promise<BenchResult> {
  using dir = tempDir('tributary-bench-around-');
  const clock = new FakeClock(T0);
  const open = async (): Promise<{ db: Db; log: IngestLog }> => {
    const db = await openDb(dir.path);
    const log = new IngestLog({ db, clock, log: silentLogger(), metrics: new Registry(), retentionMs: 3_600_000 });
    await log.open();
    return { db, log };
  };
  const out: BenchResult = { aroundSegments: SPAN_MS / COMMIT_MS, aroundReadings: (SPAN_MS / 1000) * RATE };
  let { db, log } = await open();
  try {
    await fill(log, clock);
    const loaded = await load(db);
    for (const n of [1, 50]) {
      const qs = queries(n);
      // The three must agree, or the figures compare different work.
      const expected = JSON.stringify(await before(loaded, qs));
      if (JSON.stringify(await log.aroundMany(qs)) !== expected) throw new Error(`aroundMany(${n}) differs from the brute-force pass`);
      const a = await measure(() => before(loaded, qs));
      const c = await measure(() => log.aroundMany(qs));
      Object.assign(out, { [`aroundBeforeMs_${n}`]: a.ms, [`aroundBeforeAllocMB_${n}`]: a.allocMB, [`aroundAfterMs_${n}`]: c.ms, [`aroundAfterAllocMB_${n}`]: c.allocMB });
      out[`aroundReadingsFound_${n}`] = JSON.parse(expected).flat().length;
    }
    await log.close();
    await db.close();
    ({ db, log } = await open()); // segments from disk: no device filters
    for (const n of [1, 50]) {
      const qs = queries(n);
      const b = await measure(() => log.aroundMany(qs));
      Object.assign(out, { [`aroundWalkMs_${n}`]: b.ms, [`aroundWalkAllocMB_${n}`]: b.allocMB });
    }
  } finally {
    await log.close();
    await db.close();
  }
  return out;
}
