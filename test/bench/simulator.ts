// Benchmark `simulator`: how many readings per second the device simulator produces and hands to
// real MQTT sockets (QoS 0), 200 simulated motors flat out against a bare aedes broker in a child
// process; and how many the broker received over the same interval.
//
// "Flat out": speedup and rate are set so every device is always behind schedule, so the run
// loop is limited only by generation, encoding, MQTT.js and socket backpressure.

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../edge/clock/clock.js';
import { scenarioFleet } from '../../devices/scenario-fleet.js';
import { validateScenario } from '../../devices/scenario/load.js';
import type { BenchResult } from './run.js';
import type { FromBroker } from './simulator/broker.js';

const DEVICES = 200;
const WARMUP_MS = 1000;
const MEASURE_MS = 5000;

function next<T extends FromBroker['type']>(proc: ChildProcess, type: T): Promise<Extract<FromBroker, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromBroker) => {
      if (m.type !== type) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(m as Extract<FromBroker, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`broker exited (${code}) before sending ${type}`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

async function brokerCount(proc: ChildProcess): Promise<number> {
  const reply = next(proc, 'count');
  proc.send({ cmd: 'count' });
  return (await reply).count;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function run(): Promise<BenchResult> {
  const broker = fork(fileURLToPath(new URL('./simulator/broker.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port } = await next(broker, 'ready');
    const scenario = validateScenario({
      gateway: { url: `mqtt://127.0.0.1:${port}`, qos: 0 },
      speedup: 1000,
      seed: 1,
      groups: [{ kind: 'motor', count: DEVICES, idPrefix: 'bench-', ratePerSec: 1000 }],
    });
    const { fleet } = scenarioFleet(scenario, { clock: systemClock });
    await fleet.open();
    const summary = fleet.run();
    await sleep(WARMUP_MS);
    const s0 = fleet.counts.sent;
    const b0 = await brokerCount(broker);
    const t0 = performance.now();
    await sleep(MEASURE_MS);
    const s1 = fleet.counts.sent;
    const b1 = await brokerCount(broker);
    const t1 = performance.now();
    fleet.stop();
    const end = await summary;
    await fleet.close();
    const seconds = (t1 - t0) / 1000;
    return {
      readingsPerSec: Math.round((s1 - s0) / seconds),
      brokerReceivedPerSec: Math.round((b1 - b0) / seconds),
      devices: DEVICES,
      durationMs: Math.round(t1 - t0),
      readings: s1 - s0,
      totalSent: end.totals.good,
      errors: end.totals.errors,
      qos: 0,
    };
  } finally {
    if (broker.exitCode === null && broker.signalCode === null) {
      const gone = once(broker, 'exit');
      broker.send({ cmd: 'stop' });
      await gone;
    }
  }
}
