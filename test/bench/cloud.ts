// Benchmark `cloud`: summaries per second ingested end to end by one cloud worker — real MQTT into
// its embedded broker, decode and validate, de-duplicate, store, acks published and received by
// the senders, and the roll-ups flushed — on LevelDB (`summariesPerSec`) and on a real PostgreSQL
// started for the run with fsync on (`postgresSummariesPerSec`).
//
// A fleet of 10 gateways × 100 devices × 3 metrics sends 10-second tumbling windows (180,000
// summaries) from a child process, each gateway on its own connection with its token, in batches
// of 500 gzip-compressed as the uplink does, up to 8 batches awaiting their ack. Timed from the
// start signal until the last ack is in and flushRollups() has resolved. Also measured here, on
// the same batches in process: what decoding one summary costs (gunzip, JSON.parse, schema check).

import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { Cloud } from '../../cloud/service/cloud.js';
import { summaryId } from '../../edge/features/summary.js';
import { decodeUplink, validators } from '../../edge/uplink/protocol.js';
import { testCloudConfig, testGateways, brokerUrl } from '../helpers/cloud.js';
import { metric } from '../helpers/mqtt.js';
import { postgresUnavailable, startPostgres } from '../helpers/postgres.js';
import { prng } from '../helpers/prng.js';
import { noisyValues, windowSummary } from '../helpers/summaries.js';
import { tempDir } from '../helpers/temp-dir.js';
import { encodeMessages } from '../helpers/uplink-sender.js';
import type { FleetArgs, FromFleet } from './cloud/fleet.js';
import { child, next, stop } from './ingest/harness.js';
import type { BenchResult } from './run.js';
import { quantile, round } from './stats.js';

const GATEWAYS = 10;
const HOUR = 3_600_000;

const fleet = (url: string, tokens: Record<string, string>): FleetArgs => ({
  url,
  tokens,
  devicesPerGateway: 100,
  metrics: ['temp', 'vib_rms', 'current'],
  windows: 60,
  windowMs: 10_000,
  batch: 500,
  // On the hour, an hour ago: well inside what the store keeps.
  t0: Math.floor(Date.now() / HOUR) * HOUR - HOUR,
});

export async function run(): Promise<BenchResult> {
  const result: BenchResult = { gateways: GATEWAYS, batchSize: 500, ...decodeCosts() };
  {
    using dir = tempDir('tributary-bench-cloud-');
    Object.assign(result, await measure(dir.path, {}, ''));
  }
  const missing = postgresUnavailable();
  if (missing) {
    result.postgresSkipped = missing;
  } else {
    const server = await startPostgres({ durable: true });
    try {
      using dir = tempDir('tributary-bench-cloud-');
      Object.assign(result, await measure(dir.path, { db: await server.createDatabase() }, 'postgres', () => server.cpuMs()));
    } finally {
      await server.stop();
    }
  }
  return result;
}

async function measure(dataDir: string, over: Record<string, unknown>, prefix: string, serverCpuMs: () => number = () => 0): Promise<Record<string, number>> {
  const ids = Array.from({ length: GATEWAYS }, (_, g) => `gw-${g}`);
  const { gateways, tokens } = await testGateways(ids);
  const cloud = new Cloud(testCloudConfig(dataDir, gateways, { cloud: { id: 'bench' }, ...over }));
  await cloud.open();
  try {
    const proc = child('../cloud/fleet', [JSON.stringify(fleet(brokerUrl(cloud), tokens))]);
    try {
      const ready = await next<Extract<FromFleet, { type: 'ready' }>>(proc, 'ready');
      const done = next<Extract<FromFleet, { type: 'done' }>>(proc, 'done');
      const cpu0 = process.cpuUsage();
      const elu0 = performance.eventLoopUtilization();
      const server0 = serverCpuMs();
      const t0 = performance.now();
      proc.send({ cmd: 'go' });
      const report = await done;
      await cloud.store.flushRollups();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      const inserted = metric(cloud.metrics, 'tributary_cloud_items_total', 'summary', 'inserted');
      if (inserted !== ready.summaries || report.rejected > 0) throw new Error(`bench: ${inserted} of ${ready.summaries} summaries inserted, ${report.rejected} rejected`);
      const out: Record<string, number> = {
        summariesPerSec: Math.round(ready.summaries / seconds),
        summaries: ready.summaries,
        messages: ready.messages,
        wireBytesPerSummary: round(ready.payloadBytes / ready.summaries, 1),
        ackP50Ms: round(quantile(report.latenciesMs, 0.5)),
        ackP99Ms: round(quantile(report.latenciesMs, 0.99)),
        resends: report.resends,
        cloudCpuUsPerSummary: round((cpu.user + cpu.system) / ready.summaries, 1),
        // The share of the run the worker's event loop was busy: near 1, the event loop is the bottleneck.
        eventLoopUtilization: round(elu.utilization, 2),
      };
      const server = serverCpuMs() - server0;
      if (server > 0) out.serverCpuUsPerSummary = round((server * 1000) / ready.summaries, 1);
      return Object.fromEntries(Object.entries(out).map(([k, v]) => [prefix === '' ? k : `${prefix}${k[0]!.toUpperCase()}${k.slice(1)}`, v]));
    } finally {
      await stop(proc).catch(() => {});
    }
  } finally {
    await cloud.close();
  }
}

/** What decoding costs per summary, on gzip batches of 500 like the fleet's (µs; the median of 5 passes). */
function decodeCosts(): Record<string, number> {
  const random = prng(7);
  const items = Array.from({ length: 5000 }, (_, i) =>
    windowSummary({ gateway: 'gw-0', device: `gw-0-dev-${i % 100}`, metric: ['temp', 'vib_rms', 'current'][i % 3]!, start: 1_700_000_000_000 + Math.floor(i / 300) * 10_000, values: noisyValues(random, 10, 50, 5) }),
  );
  const messages = encodeMessages('gw-0', 'summary', items, 500);
  const per = (fn: () => void) => {
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      fn();
      runs.push(((performance.now() - t) * 1000) / items.length);
    }
    return round(quantile(runs, 0.5), 2);
  };
  const inflated = messages.map((m) => gunzipSync(m.payload));
  const parsed = inflated.map((b) => (JSON.parse(b.toString('utf8')) as { items: unknown[] }).items);
  return {
    decodeUsPerSummary: per(() => messages.forEach((m) => decodeUplink(m.topic, m.payload))),
    gunzipUsPerSummary: per(() => messages.forEach((m) => gunzipSync(m.payload))),
    jsonParseUsPerSummary: per(() => inflated.forEach((b) => JSON.parse(b.toString('utf8')))),
    validateUsPerSummary: per(() => parsed.forEach((list) => list.forEach((i) => validators.items.summary(i)))),
    idCheckUsPerSummary: per(() => items.forEach((s) => summaryId(s.gateway, s.device, s.metric, s.window.kind, s.window.start, s.window.size))),
  };
}
