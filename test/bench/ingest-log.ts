// Benchmark `ingest-log`: the durable ingest log on a real LevelDB in a temp dir. Appends per second
// flat out with synced group commit at several commit intervals; bytes per reading as encoded, as
// the database directory grew, and as the kernel counted writes to storage (/proc/self/io, which
// includes LevelDB's compactions: the SD card's view); and append-to-durable latency and storage
// writes per reading at a fixed offered rate, at two commit intervals; the bytes the flight
// recorder's segment files take per reading; and the flight recorder's
// read (aroundMany, ingest-log-around.ts). BENCH_INGEST_LOG=around runs only that part,
// BENCH_INGEST_LOG=write only the rest.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../edge/clock/clock.js';
import type { Reading } from '../../edge/decode/reading.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { openDb } from '../../edge/store/db.js';
import { IngestLog } from '../../edge/store/ingest-log.js';
import { prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/temp-dir.js';
import { aroundRows } from './ingest-log-around.js';
import type { BenchResult } from './run.js';
import { preciseNow, quantile, round } from './stats.js';

const DEVICES = 1000;
const FLOOD_MS = 4000;
const INTERVALS_MS = [0, 5, 20] as const;
const PACED_RATE = 5000;
const PACED_MS = 4000;
/** Commit intervals for the paced runs: latency against fsyncs (and so flash pages) per second. */
const PACED_INTERVALS_MS = [2, 5, 20] as const;

/** A motor-like reading: three metrics with the precision real sensors report. */
function readings(n: number): Reading[] {
  const random = prng(42);
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    device: `motor-${i % DEVICES}`,
    ts: now + i - Math.floor(random() * 50),
    tsFromArrival: false,
    receivedAt: now + i,
    values: { vib_rms: Math.round(random() * 400) / 100, bearing_temp: Math.round(600 + random() * 300) / 10, current: Math.round(random() * 2000) / 100 },
  }));
}

/** Bytes of the files directly in `path` (the database's; not the recorder's folder inside it). */
async function dirBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) if (entry.isFile()) total += (await stat(join(path, entry.name))).size;
  return total;
}

/** Bytes this process has caused to be written to storage so far, or undefined where the kernel does not say. */
async function ioWriteBytes(): Promise<number | undefined> {
  try {
    const m = /^write_bytes: (\d+)$/m.exec(await readFile('/proc/self/io', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function withLog<T>(commitIntervalMs: number, body: (log: IngestLog, dir: string) => Promise<T>): Promise<T> {
  using dir = tempDir('tributary-bench-log-');
  const db = await openDb(dir.path);
  const log = new IngestLog({ db, clock: systemClock, log: silentLogger(), metrics: new Registry(), commitIntervalMs });
  await log.open();
  try {
    return await body(log, dir.path);
  } finally {
    await log.close();
    await db.close();
  }
}

/** Append as fast as the log takes them (pausing at its high-water mark, as a source would). */
async function flood(commitIntervalMs: number, pool: readonly Reading[]) {
  return withLog(commitIntervalMs, async (log, dir) => {
    const io0 = await ioWriteBytes();
    const start = preciseNow();
    let i = 0;
    while (preciseNow() - start < FLOOD_MS) {
      if (log.full) await log.drained();
      for (let k = 0; k < 256 && !log.full; k++) void log.append(pool[i++ % pool.length]!);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await log.flush();
    const seconds = (preciseNow() - start) / 1000;
    const io1 = await ioWriteBytes();
    const s = log.stats;
    return {
      appendsPerSec: Math.round(s.appends / seconds),
      commitsPerSec: Math.round(s.commits / seconds),
      readingsPerCommit: round(s.appends / s.commits, 1),
      encodedBytesPerReading: round(s.bytesWritten / s.appends, 1),
      diskBytesPerReading: round((await dirBytes(dir)) / s.appends, 1),
      recorderBytesPerReading: round((await dirBytes(join(dir, 'recorder'))) / s.appends, 1),
      ioWriteBytesPerReading: io0 === undefined || io1 === undefined ? null : round((io1 - io0) / s.appends, 1),
    };
  });
}

/** Append at a fixed rate and time each append until its promise says it is on disk. */
async function paced(pool: readonly Reading[], commitIntervalMs: number) {
  return withLog(commitIntervalMs, async (log) => {
    const io0 = await ioWriteBytes();
    const latencies: number[] = [];
    const pending: Array<Promise<unknown>> = [];
    const start = preciseNow();
    let sent = 0;
    while (preciseNow() - start < PACED_MS) {
      const due = Math.floor(((preciseNow() - start) / 1000) * PACED_RATE);
      for (; sent < due; sent++) {
        const t = preciseNow();
        pending.push(log.append(pool[sent % pool.length]!).then(() => latencies.push(preciseNow() - t)));
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    const seconds = (preciseNow() - start) / 1000;
    const io1 = await ioWriteBytes();
    return {
      p50: round(quantile(latencies, 0.5)),
      p99: round(quantile(latencies, 0.99)),
      max: round(Math.max(...latencies)),
      count: latencies.length,
      commitsPerSec: Math.round(log.stats.commits / seconds),
      // Each fsync rewrites at least the write-ahead log's last page: at modest rates that, not the
      // record bytes, is what the storage sees.
      ioWriteBytesPerReading: io0 === undefined || io1 === undefined ? null : round((io1 - io0) / latencies.length, 1),
    };
  });
}

export async function run(): Promise<BenchResult> {
  const part = process.env['BENCH_INGEST_LOG'];
  const out: BenchResult = part === 'write' ? {} : await aroundRows();
  return part === 'around' ? out : { ...(await writeRows()), ...out };
}

async function writeRows(): Promise<BenchResult> {
  const pool = readings(100_000);
  const out: BenchResult = {};
  for (const interval of INTERVALS_MS) {
    const r = await flood(interval, pool);
    const tag = `${interval}ms`;
    out[`appendsPerSec_${tag}`] = r.appendsPerSec;
    out[`commitsPerSec_${tag}`] = r.commitsPerSec;
    out[`readingsPerCommit_${tag}`] = r.readingsPerCommit;
    if (interval === 5) {
      out.encodedBytesPerReading = r.encodedBytesPerReading;
      out.diskBytesPerReading = r.diskBytesPerReading;
      out.recorderBytesPerReading = r.recorderBytesPerReading;
      out.ioWriteBytesPerReading = r.ioWriteBytesPerReading;
    }
  }
  out.pacedRate = PACED_RATE;
  for (const interval of PACED_INTERVALS_MS) {
    const lat = await paced(pool, interval);
    const tag = `${interval}ms`;
    out[`durableP50Ms_${tag}`] = lat.p50;
    out[`durableP99Ms_${tag}`] = lat.p99;
    out[`durableMaxMs_${tag}`] = lat.max;
    out[`pacedCommitsPerSec_${tag}`] = lat.commitsPerSec;
    out[`pacedIoWriteBytesPerReading_${tag}`] = lat.ioWriteBytesPerReading;
  }
  return out;
}
