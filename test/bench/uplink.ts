// Benchmark `uplink`: store-and-forward to the cloud on the real parts — the outbox on a real
// LevelDB in a temp dir and the uplink in this process; an aedes broker on loopback and the
// acknowledging peer in a child process (uplink/cloud.ts), as the cloud would be. A backlog of BACKLOG summaries (a cloud outage's worth) drains while live summaries keep
// coming at a 1,000-device gateway's rate; reported: the drain rate (`drainSummariesPerSec`), how
// long live summaries took to reach the cloud meanwhile, and bytes per summary on the wire with
// gzip on and off. Also: the outbox's enqueue rate, bytes per summary it holds of its budget, and
// its memory per queued item.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Summary } from '../../edge/features/summary.js';
import { openTestOutbox } from '../helpers/outbox.js';
import { prng } from '../helpers/prng.js';
import { tempDir } from '../helpers/temp-dir.js';
import { GATEWAY, uplinkConfig } from '../helpers/uplink.js';
import { systemClock } from '../../edge/clock/clock.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { silentLogger } from '../../edge/observe/log.js';
import type { Counter } from '../../edge/observe/metrics.js';
import { Uplink } from '../../edge/uplink/client.js';
import { createWindowEngine } from '../../edge/window/engine.js';
import type { BenchResult } from './run.js';
import { preciseNow, quantile, round } from './stats.js';
import type { FromCloud, ToCloud } from './uplink/cloud.js';
import { waitFor } from '../helpers/wait.js';

export const BACKLOG = 50_000;
/** 1,000 devices × 3 metrics × 2 windows (10 s tumbling, 60/10 s hopping): 600 summaries a second. */
const LIVE_PER_SEC = 600;
const LIVE_TICK_MS = 100;
const MEMORY_ITEMS = 100_000;

/**
 * The gateway's own summaries: 1,000 motors, three metrics at sensor precision, one reading a
 * second, through the default windows on a fake clock starting at `start` (distinct starts give
 * distinct windows, so distinct ids).
 */
function summaries(n: number, seed: number, start = Date.UTC(2024, 10, 24)): Summary[] {
  const clock = new FakeClock(start);
  const out: Summary[] = [];
  const engine = createWindowEngine({
    gateway: GATEWAY,
    windows: [{ kind: 'tumbling', sizeMs: 10_000 }, { kind: 'hopping', sizeMs: 60_000, slideMs: 10_000 }],
    maxOutOfOrdernessMs: 2000, allowedLatenessMs: 30_000, idleTimeoutMs: 30_000, maxKeys: 200_000, clock,
    onSummary: (s) => void out.push(s),
    onLate: () => {},
    onRejected: () => {},
  });
  const random = prng(seed);
  while (out.length < n) {
    for (let d = 0; d < 1000; d++) {
      const ts = clock.now() + d;
      engine.add({ device: `motor-${d}`, ts, tsFromArrival: false, receivedAt: ts, values: { vib_rms: Math.round(random() * 400) / 100, bearing_temp: Math.round(600 + random() * 300) / 10, current: Math.round(random() * 2000) / 100 } });
    }
    clock.advance(1000);
  }
  engine.close();
  return out.slice(0, n);
}

interface DrainResult {
  readonly perSec: number;
  readonly wireBytesPerSummary: number;
  readonly liveP50Ms: number;
  readonly liveP99Ms: number;
  readonly liveSent: number;
}

/** The cloud (broker and ack peer) in a child process. */
async function startCloud(): Promise<{ port: number; ask: (m: ToCloud) => Promise<FromCloud>; stop: () => Promise<void> }> {
  const child = fork(fileURLToPath(new URL('./uplink/cloud.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise<FromCloud>((resolve) => child.once('message', (m) => resolve(m as FromCloud)));
  const ready = await next();
  if (ready.type !== 'ready') throw new Error('the cloud child did not start');
  return {
    port: ready.port,
    ask: (m) => {
      const answer = next();
      child.send(m);
      return answer;
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ cmd: 'stop' } satisfies ToCloud);
      await exited;
    },
  };
}

export async function drain(gzip: boolean): Promise<DrainResult> {
  const cloud = await startCloud();
  using dir = tempDir('tributary-bench-uplink-');
  const box = await openTestOutbox(dir.path, { clock: systemClock, maxBytes: 1 << 30 });
  const uplink = new Uplink({ gateway: GATEWAY, config: uplinkConfig({ url: `mqtt://127.0.0.1:${cloud.port}`, gzip, lingerMs: 20 }), outbox: box.outbox, clock: systemClock, log: silentLogger(), metrics: box.metrics });
  try {
    for (const s of summaries(BACKLOG, 1)) box.outbox.add('summary', s);
    await box.outbox.flush();
    const queuedAt = new Map<string, number>();
    const live = summaries(30_000, 2, Date.UTC(2025, 0, 1));
    let next = 0;
    const started = preciseNow();
    const ticker = setInterval(() => {
      for (let i = 0; i < (LIVE_PER_SEC * LIVE_TICK_MS) / 1000; i++) {
        const s = live[next++ % live.length]!;
        queuedAt.set(s.id, preciseNow());
        box.outbox.add('summary', s);
      }
    }, LIVE_TICK_MS);
    await uplink.open();
    const liveFrom = systemClock.now();
    // The backlog is drained when the oldest summary still held was queued after the live traffic began.
    for (;;) {
      const oldest = box.outbox.stats().classes.summary.oldestAt;
      if (oldest === null || oldest >= liveFrom) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const seconds = (preciseNow() - started) / 1000;
    clearInterval(ticker);
    // The live items in flight arrive: every summary queued has been acknowledged by the peer.
    await waitFor(() => box.outbox.stats().classes.summary.items === 0, 'the last live summaries acknowledged', 30_000);
    const answer = await cloud.ask({ cmd: 'arrivals', ids: [...queuedAt.keys()] });
    const arrivals = answer.type === 'arrivals' ? answer.arrivals : [];
    const latencies = arrivals.map(([id, at]) => at - queuedAt.get(id)!);
    const counter = (name: string) => (box.metrics.get(name) as Counter).get('summary');
    return {
      perSec: Math.round(BACKLOG / seconds),
      wireBytesPerSummary: round(counter('tributary_uplink_sent_bytes_total') / counter('tributary_uplink_sent_items_total'), 1),
      liveP50Ms: round(quantile(latencies, 0.5), 1),
      liveP99Ms: round(quantile(latencies, 0.99), 1),
      liveSent: latencies.length,
    };
  } finally {
    await uplink.close();
    await box.close();
    await cloud.stop();
  }
}

/** Enqueue rate, budget bytes per summary and heap bytes per queued item, on an outbox alone. */
async function outboxFigures(): Promise<{ enqueuePerSec: number; budgetBytesPerSummary: number; memoryBytesPerItem: number | null }> {
  using dir = tempDir('tributary-bench-outbox-');
  const box = await openTestOutbox(dir.path, { clock: systemClock, maxBytes: 1 << 30 });
  try {
    const items = summaries(MEMORY_ITEMS, 3);
    const gc = exposeGc();
    gc?.();
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    for (const s of items) box.outbox.add('summary', s);
    const enqueueMs = performance.now() - t0;
    await box.outbox.flush();
    gc?.();
    gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    if (items[MEMORY_ITEMS - 1]!.id === '') throw new Error('unreachable'); // keeps `items` alive to here
    return {
      enqueuePerSec: Math.round(MEMORY_ITEMS / (enqueueMs / 1000)),
      budgetBytesPerSummary: round(box.outbox.used / MEMORY_ITEMS, 1),
      // `items` is still referenced: what the heap grew by is the outbox's own bookkeeping.
      memoryBytesPerItem: gc ? Math.round((heapAfter - heapBefore) / MEMORY_ITEMS) : null,
    };
  } finally {
    await box.close();
  }
}

/** Node's gc(), when the flag can still be set at run time. */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

export async function run(): Promise<BenchResult> {
  const outbox = await outboxFigures(); // first: a clean heap
  const gzipped = await drain(true);
  const plain = await drain(false);
  return {
    backlog: BACKLOG,
    liveSummariesPerSec: LIVE_PER_SEC,
    drainSummariesPerSec: gzipped.perSec,
    drainSummariesPerSec_gzipOff: plain.perSec,
    liveToCloudP50Ms: gzipped.liveP50Ms,
    liveToCloudP99Ms: gzipped.liveP99Ms,
    liveSummariesSent: gzipped.liveSent,
    jsonBytesPerSummary: Buffer.byteLength(JSON.stringify(summaries(1, 4)[0])),
    wireBytesPerSummary_gzip: gzipped.wireBytesPerSummary,
    wireBytesPerSummary_plain: plain.wireBytesPerSummary,
    outboxEnqueuePerSec: outbox.enqueuePerSec,
    outboxBudgetBytesPerSummary: outbox.budgetBytesPerSummary,
    outboxMemoryBytesPerItem: outbox.memoryBytesPerItem,
  };
}
