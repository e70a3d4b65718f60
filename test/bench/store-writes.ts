// Benchmark `store-writes`: what the outbox costs an SD card, on the store code as it is. 1,000
// devices × 3 metrics, one reading per device per second, through the default windows (tumbling
// 10 s, hopping 60 s / 10 s) on a fake clock; every summary goes into the outbox (its compact
// binary form, through the batch writer's group commit every 20 ms of clock time) on a real
// LevelDB in a temp dir. The outbox's byte budget is set low so it fills and evicts within the
// run, as a gateway's does when its uplink is away.
//
// Reports bytes per summary as JSON, as sent to the block layer (/proc/self/io write_bytes: the
// LevelDB log, tables and compactions; Linux only), and held on disk per entry of the full,
// evicting outbox (deleted entries' tombstones included, as on a running gateway).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { BatchWriter } from '../../edge/store/batch-writer.js';
import { Outbox } from '../../edge/outbox/outbox.js';
import { openDb } from '../../edge/store/db.js';
import type { Summary } from '../../edge/features/summary.js';
import { createWindowEngine } from '../../edge/window/engine.js';
import { tempDir } from '../helpers/temp-dir.js';
import { prng } from '../helpers/prng.js';
import type { BenchResult } from './run.js';

const DEVICES = 1000;
/** Simulated time (s): enough for the capped outbox to turn over about 14 times. */
const SECONDS = 1200;
/** Outbox byte budget: about 50,000 summaries. */
const OUTBOX_BYTES = 7 * 2 ** 20;
const FLUSH_MS = 20;

/** Bytes this process has caused to be written to storage, or undefined off Linux. */
function writtenBytes(): number | undefined {
  try {
    return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

const dirBytes = (dir: string): number => readdirSync(dir).reduce((sum, f) => sum + statSync(`${dir}/${f}`).size, 0);

export async function run(): Promise<BenchResult> {
  using dir = tempDir('tributary-store-writes-');
  const db = await openDb(dir.path);
  const clock = new FakeClock();
  const metrics = new Registry();
  const writer = new BatchWriter({ db, clock, log: silentLogger(), flushIntervalMs: FLUSH_MS, writeErrors: metrics.counter('write_errors', 'LevelDB write errors') });
  const outbox = new Outbox({ db, writer, clock, log: silentLogger(), metrics, maxBytes: OUTBOX_BYTES });
  await outbox.open();
  let summaries = 0;
  let jsonBytes = 0;
  const engine = createWindowEngine({
    gateway: 'gw-bench',
    windows: [
      { kind: 'tumbling', sizeMs: 10_000 },
      { kind: 'hopping', sizeMs: 60_000, slideMs: 10_000 },
    ],
    maxOutOfOrdernessMs: 2000,
    allowedLatenessMs: 30_000,
    idleTimeoutMs: 30_000,
    maxKeys: 200_000,
    clock,
    onSummary: (s) => {
      summaries++;
      jsonBytes += Buffer.byteLength(JSON.stringify(s));
      outbox.add('summary', s);
    },
    onLate: () => {},
    onRejected: () => {},
  });
  const random = prng(7);
  const start = clock.now();
  const before = writtenBytes();
  const steps = 1000 / FLUSH_MS;
  const perStep = DEVICES / steps;
  for (let s = 0; s < SECONDS; s++) {
    // Spread each second's readings over its 20 ms flush intervals, as they arrive on a gateway.
    for (let step = 0; step < steps; step++) {
      for (let d = step * perStep; d < (step + 1) * perStep; d++) {
        const ts = start + s * 1000 + step * FLUSH_MS;
        engine.add({ device: `motor-${d}`, ts, tsFromArrival: false, receivedAt: ts, values: { vib_rms: 0.4 + random() * 0.1, bearing_temp: 60 + random() * 5, current: 12 + random() } });
      }
      clock.advance(FLUSH_MS);
    }
    await writer.flush();
  }
  engine.close();
  const entries = outbox.stats().classes.summary.items;
  await outbox.close();
  await writer.close();
  await db.close();
  const after = writtenBytes();
  const written = before !== undefined && after !== undefined && after > before ? after - before : undefined;
  const perSecond = summaries / SECONDS;
  const disk = dirBytes(dir.path);
  return {
    devices: DEVICES,
    metrics: 3,
    summaries,
    summariesPerSec: Math.round(perSecond),
    jsonBytesPerSummary: Math.round(jsonBytes / summaries),
    // undefined when the temp dir is not on a block device (tmpfs) or off Linux.
    writtenBytesPerSummary: written === undefined ? null : Math.round(written / summaries),
    writtenGBPerDay: written === undefined ? null : Math.round(((written / summaries) * perSecond * 86_400) / 1e8) / 10,
    outboxEntries: entries,
    diskBytesPerEntry: Math.round(disk / entries),
    diskMB: Math.round(disk / 1e6),
  };
}
