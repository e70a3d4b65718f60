// Benchmark `cloud-store`: summaries per second through de-duplication, storage and roll-ups, on
// LevelDB and on a real PostgreSQL (durable: fsync on, started in a temporary folder), without
// MQTT. A fleet of 10 gateways × 100 devices × 3 metrics sends 10-second tumbling windows; each
// gateway's outbox goes out in batches of 500 in window order, the next once the last is
// acknowledged, all gateways at once (so the store's group commit joins their batches). Timed until the last roll-up pass has committed
// (flushRollups), with the default settings: passes every second on the real clock. Then the
// fleet resends a slice (all unchanged), and revises windows scattered over the run (every bucket
// they touch is rebuilt).

import type { Summary } from '../../edge/features/summary.js';
import type { CloudStore } from '../../cloud/store/contract.js';
import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import { PgCloudStore } from '../../cloud/store/postgres/pg-store.js';
import type { RollupStats } from '../../cloud/rollup/engine.js';
import { postgresUnavailable, startPostgres } from '../helpers/postgres.js';
import { prng } from '../helpers/prng.js';
import { noisyValues, windowSummary } from '../helpers/summaries.js';
import { tempDir } from '../helpers/temp-dir.js';
import type { BenchResult } from './run.js';
import { quantile, round } from './stats.js';

const GATEWAYS = 10;
const DEVICES_PER_GATEWAY = 100;
const LINES_PER_SITE = 4;
const METRICS = ['temp', 'vib_rms', 'current'];
const WINDOW_MS = 10_000;
/** Window instants per device and metric: 60 × 10 s = 10 minutes of fleet data. */
const WINDOWS = 60;
const BATCH = 500;
const RESEND = 50_000;
const REVISIONS = 5_000;
const HOUR = 3_600_000;
/** The fleet's first window: on the hour, an hour ago (the store's clock is the real one). */
const T0 = Math.floor(Date.now() / HOUR) * HOUR - HOUR;

const RESEND_BATCHES_PER_GATEWAY = RESEND / BATCH / GATEWAYS;

type Store = CloudStore & { readonly rollupStats: RollupStats };

interface Phase {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  /** This process's CPU (all threads, LevelDB's included) per summary, batch making excluded, µs. */
  cpuUs: number;
  /** The PostgreSQL server's CPU per summary, µs (0 for LevelDB). */
  serverCpuUs: number;
}

/** A batch, made when it is sent (as the cloud's ingest decodes it), not kept for the whole run. */
type BatchOf = () => Summary[];

export async function run(): Promise<BenchResult> {
  const fleet = fleetBatches();
  const summaries = GATEWAYS * PER_GATEWAY;
  const result: BenchResult = { summaries, batchSize: BATCH, devices: GATEWAYS * DEVICES_PER_GATEWAY, metrics: METRICS.length, windowMs: WINDOW_MS };

  {
    using dir = tempDir('tributary-bench-cloud-');
    const store = new LevelCloudStore(dir.path);
    Object.assign(result, prefixed('level', await measure(store, fleet)));
  }

  const missing = postgresUnavailable();
  if (missing) {
    result.pgSkipped = missing;
  } else {
    const server = await startPostgres({ durable: true });
    try {
      const store = new PgCloudStore(await server.createDatabase());
      Object.assign(result, prefixed('pg', await measure(store, fleet, () => server.cpuMs())));
    } finally {
      await server.stop();
    }
  }
  return result;
}

async function measure(store: Store, fleet: ReturnType<typeof fleetBatches>, serverCpuMs: () => number = () => 0): Promise<Record<string, number>> {
  await store.open();
  try {
    await store.upsertDevices(devicesOf());
    const fresh = await timed(store, fleet.gateways, 'inserted', serverCpuMs);
    const again = await timed(store, fleet.gateways.map((g) => g.slice(0, RESEND_BATCHES_PER_GATEWAY)), 'unchanged', serverCpuMs);
    const before = { ...store.rollupStats };
    // Revisions come one batch at a time (from one gateway back online, say).
    const revised = await timed(store, [fleet.revisions], 'replaced', serverCpuMs);
    return {
      summariesPerSec: fresh.perSec,
      batchP50Ms: fresh.p50Ms,
      batchP99Ms: fresh.p99Ms,
      cpuUsPerSummary: fresh.cpuUs,
      ...(fresh.serverCpuUs > 0 ? { serverCpuUsPerSummary: fresh.serverCpuUs } : {}),
      resendPerSec: again.perSec,
      revisionsPerSec: revised.perSec,
      bucketsRebuiltPerRevision: round((store.rollupStats.recomputed - before.recomputed) / revised.n, 1),
      rollupPasses: store.rollupStats.passes,
    };
  } finally {
    await store.close();
  }
}

/**
 * Each sender sends its batches one after another, the senders at the same time, then the last
 * roll-ups are applied. Time is wall time less the time spent making batches (synchronous code,
 * so no store work overlaps it).
 */
async function timed(store: Store, senders: ReadonlyArray<readonly BatchOf[]>, expect: string, serverCpuMs: () => number): Promise<Phase & { n: number }> {
  const latencies: number[] = [];
  let n = 0;
  let making = 0;
  let makingCpu = 0;
  const cpu0 = process.cpuUsage();
  const server0 = serverCpuMs();
  const t0 = performance.now();
  await Promise.all(
    senders.map(async (batches) => {
      for (const make of batches) {
        const m = performance.now();
        const mc = process.cpuUsage();
        const batch = make();
        const used = process.cpuUsage(mc);
        makingCpu += used.user + used.system;
        const t = performance.now();
        making += t - m;
        const results = await store.ingestSummaries(batch);
        latencies.push(performance.now() - t);
        for (const r of results) if (r.outcome !== expect) throw new Error(`bench: summary ${r.id} was ${r.outcome}, expected ${expect}`);
        n += batch.length;
      }
    }),
  );
  await store.flushRollups();
  const seconds = (performance.now() - t0 - making) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    n,
    perSec: Math.round(n / seconds),
    p50Ms: round(quantile(latencies, 0.5)),
    p99Ms: round(quantile(latencies, 0.99)),
    cpuUs: round((cpu.user + cpu.system - makingCpu) / n, 1),
    serverCpuUs: round(((serverCpuMs() - server0) * 1000) / n, 1),
  };
}

/** Windows of a gateway in outbox order: window instant, then device, then metric. */
const PER_GATEWAY = WINDOWS * DEVICES_PER_GATEWAY * METRICS.length;

/** Summary `k` of gateway `g`'s outbox (deterministic, so a resend is the same summary). */
function summaryAt(g: number, k: number, revision = 0): Summary {
  const w = Math.floor(k / (DEVICES_PER_GATEWAY * METRICS.length));
  const d = Math.floor(k / METRICS.length) % DEVICES_PER_GATEWAY;
  const random = prng(((g * PER_GATEWAY + k) * 4 + revision) >>> 0);
  return windowSummary({
    gateway: `gw-${g}`,
    device: `gw-${g}-dev-${d}`,
    metric: METRICS[k % METRICS.length]!,
    start: T0 + w * WINDOW_MS,
    size: WINDOW_MS,
    revision,
    values: noisyValues(random, 10, 50 + d + revision, 5),
  });
}

/** Each gateway's outbox cut into batches; and revisions of windows picked across the run. */
function fleetBatches(): { gateways: BatchOf[][]; revisions: BatchOf[] } {
  const gateways = Array.from({ length: GATEWAYS }, (_, g) => {
    const batches: BatchOf[] = [];
    for (let at = 0; at < PER_GATEWAY; at += BATCH) batches.push(() => Array.from({ length: Math.min(BATCH, PER_GATEWAY - at) }, (_, i) => summaryAt(g, at + i)));
    return batches;
  });
  const random = prng(6);
  const picked = new Set<number>();
  while (picked.size < REVISIONS) picked.add(Math.floor(random() * GATEWAYS * PER_GATEWAY));
  const all = [...picked];
  const revisions = chunk(all, BATCH).map((part) => () => part.map((i) => summaryAt(Math.floor(i / PER_GATEWAY), i % PER_GATEWAY, 1)));
  return { gateways, revisions };
}

function devicesOf() {
  return Array.from({ length: GATEWAYS * DEVICES_PER_GATEWAY }, (_, i) => {
    const g = Math.floor(i / DEVICES_PER_GATEWAY);
    return { id: `gw-${g}-dev-${i % DEVICES_PER_GATEWAY}`, gateway: `gw-${g}`, lastSeen: T0, site: `site-${g}`, line: `line-${i % LINES_PER_SITE}` };
  });
}

const chunk = <T>(list: readonly T[], size: number): T[][] => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

const prefixed = (prefix: string, values: Record<string, number>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [`${prefix}${k[0]!.toUpperCase()}${k.slice(1)}`, v]));
