// kill -9 the gateway 10 times at random moments while 1,000 devices stream QoS 1 readings, each
// device resending what was not acknowledged, and the gateway forwards its summaries over its
// uplink to an acknowledging peer on a real broker. After the last restart the receiving side
// holds exactly one count per acknowledged reading: nothing lost, nothing twice (keeping, as the
// cloud does, the highest revision of each summary id).

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../edge/features/summary.js';
import { AckPeer } from '../helpers/ack-peer.js';
import { startPlainBroker, type PlainBroker } from '../helpers/mqtt.js';
import { freePort } from '../helpers/free-port.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const PUBLISHER = fileURLToPath(new URL('../../dist/test/fault/qos1-publisher.js', import.meta.url));
const DEVICES = 1000;
const PROCESSES = 4;
const READINGS = 60;
const PACE_MS = 250;
const KILLS = 10;

let dir: TempDir | undefined;
let cloud: { broker: PlainBroker; peer: AckPeer } | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children.length = 0;
  await cloud?.peer.close();
  await cloud?.broker[Symbol.asyncDispose]();
  cloud = undefined;
  dir?.[Symbol.dispose]();
  dir = undefined;
});

describe('kill -9 during a 1,000-device QoS 1 stream', () => {
  it('after 10 kills and restarts every acknowledged reading is counted exactly once', { timeout: 240_000 }, async () => {
    dir = tempDir();
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    const broker = await startPlainBroker();
    const cloudUrl = `mqtt://127.0.0.1:${broker.port}`;
    cloud = { broker, peer: await AckPeer.start({ url: cloudUrl }) };
    const peer = cloud.peer;
    const config = join(dir.path, 'edge.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        gateway: { id: 'gw-fault' },
        dataDir: join(dir.path, 'data'),
        mqtt: { broker: { host: '127.0.0.1', port: mqttPort } },
        auth: { allowAnonymous: true },
        http: { port: httpPort },
        log: { level: 'warn' },
        windows: { definitions: [{ kind: 'tumbling', sizeMs: 5000 }], maxOutOfOrdernessMs: 0, allowedLatenessMs: 3_600_000, idleTimeoutMs: 3000 },
        durability: { checkpointIntervalMs: 1000 },
        uplink: { url: cloudUrl, lingerMs: 50, ackTimeoutMs: 5000, reconnectInitialMs: 100, reconnectMaxMs: 1000 },
      }),
    );

    // Event time: each device's readings one second apart, all in the past.
    const t0 = Date.now() - (READINGS + 60) * 1000;
    const perProcess = DEVICES / PROCESSES;
    const publishers = Array.from({ length: PROCESSES }, (_, p) => {
      const child = spawn(process.execPath, [PUBLISHER, `mqtt://127.0.0.1:${mqttPort}`, String(p * perProcess), String(perProcess), String(READINGS), String(PACE_MS), String(t0)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      return new Promise<Record<string, number>>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`publisher exited ${code}`)))));
    });

    const uptimes: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const gw = await startGatewayProcess(config);
      children.push(gw.child);
      const uptime = 300 + Math.floor(Math.random() * 1700);
      uptimes.push(uptime);
      await new Promise((r) => setTimeout(r, uptime));
      gw.child.kill('SIGKILL');
      await gw.exited;
    }
    const gw = await startGatewayProcess(config);
    children.push(gw.child);

    const acked = Object.assign({}, ...(await Promise.all(publishers))) as Record<string, number>;
    expect(Object.keys(acked)).toHaveLength(DEVICES);
    expect(Object.values(acked).every((n) => n === READINGS)).toBe(true);

    // Every device falls silent; the idle rule closes its last windows and the uplink delivers them.
    const counted = new Map<string, number>();
    const count = () => {
      counted.clear();
      // Every reading carries metrics v and d: count the readings through one of them.
      for (const held of peer.of('summary')) {
        const s = held.item as Summary;
        if (!s.retracted && s.metric === 'v') counted.set(s.device, (counted.get(s.device) ?? 0) + s.features.count);
      }
      return Object.keys(acked).every((d) => (counted.get(d) ?? 0) >= READINGS);
    };
    await waitFor(count, 'the receiving side to hold every device\'s readings', 90_000, 250);
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    count();
    const wrong = Object.entries(acked).filter(([d, n]) => counted.get(d) !== n);
    const resent = /^tributary_readings_resent_total(?:\{\})? (\d+)/m.exec(metrics)?.[1] ?? 0;
    expect(wrong.slice(0, 10).map(([d, n]) => `${d}: acked ${n}, counted ${counted.get(d)}`), `kills after ${uptimes.join(', ')} ms; resends caught in the last run: ${resent}`).toEqual([]);
    expect([...counted.values()].reduce((a, b) => a + b, 0)).toBe(DEVICES * READINGS);
    expect(peer.deadLetters).toEqual([]);
  });
});
