// Benchmark `durable`: ingest with the ingest log and QoS 1 acknowledgements after durability on,
// against QoS 1 through the bare aedes broker in the same run; both fed by 100 device connections
// spread over 4 publisher processes, each connection keeping 10 publishes unacknowledged. Also
// the bytes written to storage per reading (what an SD card sees), and how fast the backlog of an
// outage drains to the cloud while live data keeps flowing.

import type { BenchResult } from './run.js';
import { ask, child, exited, next, PUBLISHERS, startPublishers, stop } from './ingest/harness.js';
import type { FromServer } from './ingest/protocol.js';
import { round } from './stats.js';
import { BACKLOG, drain } from './uplink.js';

const CONNECTIONS_PER_PUBLISHER = 25;
const INFLIGHT = 10;
const WARMUP_MS = 2000;
const MEASURE_MS = 8000;

type Count = Extract<FromServer, { type: 'count' }>;

async function acknowledgedRate(serverMode: 'gateway' | 'bare') {
  // The gateway as shipped: the log on, PUBACKs after fsync'd group commits, default windows.
  const server = child('server', [serverMode, JSON.stringify({ windows: { definitions: [{ kind: 'tumbling', sizeMs: 10_000 }, { kind: 'hopping', sizeMs: 60_000, slideMs: 10_000 }] } })]);
  const { port } = await next<Extract<FromServer, { type: 'ready' }>>(server, 'ready');
  const sink = serverMode === 'gateway' ? server : child('subscriber', [String(port)]);
  if (sink !== server) await next(sink, 'ready');
  const { pubs, done } = await startPublishers(port, { mode: 'flood', connections: CONNECTIONS_PER_PUBLISHER, ratePerSec: 0, durationMs: WARMUP_MS + MEASURE_MS + 1000, qos: 1, inflight: INFLIGHT });
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const c0 = await ask<Count>(sink, 'count', 'count');
  const s0 = sink === server ? c0 : await ask<Count>(server, 'count', 'count');
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const c1 = await ask<Count>(sink, 'count', 'count');
  const s1 = sink === server ? c1 : await ask<Count>(server, 'count', 'count');
  const t1 = performance.now();
  await done;
  await Promise.all(pubs.map(exited));
  if (sink !== server) await stop(sink);
  await stop(server);
  const readings = c1.count - c0.count;
  return {
    perSec: (readings * 1000) / (t1 - t0),
    rssMB: s1.rssMB,
    diskBytesPerReading: s1.writeBytes !== undefined && s0.writeBytes !== undefined ? (s1.writeBytes - s0.writeBytes) / readings : Number.NaN,
    logBytesPerReading: s1.logBytes !== undefined && s0.logBytes !== undefined ? (s1.logBytes - s0.logBytes) / readings : Number.NaN,
  };
}

export async function run(): Promise<BenchResult> {
  const bare = await acknowledgedRate('bare');
  const gateway = await acknowledgedRate('gateway');
  // After an outage: the backlog through the uplink to an acknowledging cloud while live summaries flow (see uplink.ts).
  const drained = await drain(true);
  return {
    drainSummariesPerSec: drained.perSec,
    drainBacklog: BACKLOG,
    liveToCloudDuringDrainP99Ms: drained.liveP99Ms,
    gatewayReadingsPerSec: Math.round(gateway.perSec),
    brokerOnlyQos1MsgPerSec: Math.round(bare.perSec),
    ratio: round(gateway.perSec / bare.perSec, 3),
    diskBytesPerReading: round(gateway.diskBytesPerReading, 1),
    logBytesPerReading: round(gateway.logBytesPerReading, 1),
    gatewayRssMB: gateway.rssMB,
    connections: PUBLISHERS * CONNECTIONS_PER_PUBLISHER,
    publishers: PUBLISHERS,
    inflightPerConnection: INFLIGHT,
    qos: 1,
  };
}
