// Benchmark `ingest`: the gateway on its embedded broker against the bare aedes broker with one
// TCP subscriber, both fed by the same 4 MQTT.js publisher processes at QoS 0 in the same run;
// then publish→window latency at a fixed offered load.

import type { BenchResult } from './run.js';
import { ask, child, exited, next, PUBLISHERS, startPublishers, stop } from './ingest/harness.js';
import type { FromServer } from './ingest/protocol.js';
import { quantile, round } from './stats.js';

// Throughput: one connection per publisher process, so TCP backpressure reaches each publisher
// directly. (With 25 flooding connections each, aedes reads far faster than it can deliver to its
// one subscriber, queues without bound, and its delivery rate collapses — not a useful baseline.)
const FLOOD_CONNECTIONS_PER_PUBLISHER = 1;
// Latency: 100 device connections in all, at a fixed offered rate.
const PACED_CONNECTIONS_PER_PUBLISHER = 25;
const WARMUP_MS = 2000;
const MEASURE_MS = 6000;
const LATENCY_RATE = 5000;
const LATENCY_MS = 8000;

/** Messages per second reaching `sink` between warm-up and the end of the measuring window. */
async function throughput(serverMode: 'gateway' | 'bare'): Promise<{ msgPerSec: number; rssMB: number; crashed: boolean }> {
  const step = (s: string) => process.env.BENCH_DEBUG && console.error(`[ingest ${serverMode}] ${s}`);
  const server = child('server', [serverMode]);
  const { port } = await next<Extract<FromServer, { type: 'ready' }>>(server, 'ready');
  let crashed = false;
  server.once('exit', () => (crashed = true));
  const sink = serverMode === 'gateway' ? server : child('subscriber', [String(port)]);
  if (sink !== server) await next(sink, 'ready');
  step('server ready');
  const { pubs, done } = await startPublishers(port, { mode: 'flood', connections: FLOOD_CONNECTIONS_PER_PUBLISHER, ratePerSec: 0, durationMs: WARMUP_MS + MEASURE_MS + 1000 });
  step('publishing');
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const c0 = await ask<Extract<FromServer, { type: 'count' }>>(sink, 'count', 'count');
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  const c1 = await ask<Extract<FromServer, { type: 'count' }>>(sink, 'count', 'count');
  const t1 = performance.now();
  const { rssMB } = crashed ? { rssMB: Number.NaN } : await ask<Extract<FromServer, { type: 'count' }>>(server, 'count', 'count');
  const crashedWhileMeasuring = crashed;
  step('measured');
  await done;
  step('publishers done');
  await Promise.all(pubs.map(exited));
  if (sink !== server) await stop(sink);
  await stop(server);
  return { msgPerSec: ((c1.count - c0.count) * 1000) / (t1 - t0), rssMB, crashed: crashedWhileMeasuring };
}

/**
 * Publish → arrival latency at a fixed offered load: for the gateway, until the reading entered
 * its windows; for the bare broker, until its subscriber received it (the baseline for noise).
 */
async function latency(serverMode: 'gateway' | 'bare'): Promise<{ p50: number; p99: number; matched: number; offered: number }> {
  const server = child('server', [serverMode]);
  const { port } = await next<Extract<FromServer, { type: 'ready' }>>(server, 'ready');
  const sink = serverMode === 'gateway' ? server : child('subscriber', [String(port)]);
  if (sink !== server) await next(sink, 'ready');
  await ask(sink, 'arrivals', 'arrivals'); // starts recording
  const { pubs, done } = await startPublishers(port, { mode: 'paced', connections: PACED_CONNECTIONS_PER_PUBLISHER, ratePerSec: LATENCY_RATE, durationMs: LATENCY_MS });
  const results = await done;
  await Promise.all(pubs.map(exited));
  const { arrivals } = await ask<Extract<FromServer, { type: 'arrivals' }>>(sink, 'arrivals', 'arrivals');
  if (sink !== server) await stop(sink);
  await stop(server);
  const arrivedAt = new Map(arrivals);
  // Skip the first second: connections and JIT warm up there.
  const sends = results.flatMap((r) => r.sends);
  const firstSend = Math.min(...sends.map(([, t]) => t));
  const latencies: number[] = [];
  for (const [key, sentAt] of sends) {
    const at = arrivedAt.get(key);
    if (at !== undefined && sentAt - firstSend >= 1000) latencies.push(at - sentAt);
  }
  return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), matched: latencies.length, offered: sends.length };
}

export async function run(): Promise<BenchResult> {
  const broker = await throughput('bare');
  const gateway = await throughput('gateway');
  const lat = await latency('gateway');
  const bareLat = await latency('bare');
  return {
    gatewayMsgPerSec: Math.round(gateway.msgPerSec),
    brokerOnlyMsgPerSec: Math.round(broker.msgPerSec),
    ratio: round(gateway.msgPerSec / broker.msgPerSec, 3),
    gatewayRssMB: gateway.rssMB,
    // True when that process died before the measuring window ended (bare aedes can overflow its
    // stack under a QoS 0 flood): its figure then covers only part of the window.
    brokerOnlyCrashed: broker.crashed,
    gatewayCrashed: gateway.crashed,
    p50Ms: round(lat.p50, 3),
    p99Ms: round(lat.p99, 3),
    brokerOnlyP50Ms: round(bareLat.p50, 3),
    brokerOnlyP99Ms: round(bareLat.p99, 3),
    latencyOfferedMsgPerSec: LATENCY_RATE,
    latencySamples: lat.matched,
    publishers: PUBLISHERS,
    throughputConnections: PUBLISHERS * FLOOD_CONNECTIONS_PER_PUBLISHER,
    latencyConnections: PUBLISHERS * PACED_CONNECTIONS_PER_PUBLISHER,
    qos: 0,
  };
}
