// The cloud link down for 5 minutes while 1,000 devices keep streaming QoS 1 readings into a
// gateway process: after the cloud's broker comes back, everything produced arrives — the alerts
// raised during the outage before any backlog summary — with nothing counted twice once
// de-duplicated by id, and live summaries keep reaching the cloud promptly while the backlog drains.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../edge/alert/alert.js';
import type { Summary } from '../../edge/features/summary.js';
import { AckPeer } from '../helpers/ack-peer.js';
import { startPlainBroker, type PlainBroker } from '../helpers/mqtt.js';
import { freePort } from '../helpers/free-port.js';
import { startGatewayProcess } from '../helpers/gateway-process.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { scrape } from '../helpers/scrape.js';
import { waitFor } from '../helpers/wait.js';

const PUBLISHER = fileURLToPath(new URL('../../dist/test/fault/qos1-publisher.js', import.meta.url));
const DEVICES = 1000;
const PROCESSES = 4;
// TRIBUTARY_OUTAGE_MS shortens the outage when debugging (the issue asks for five minutes); below about
// 60 s the outage may see no alarm raised, which the test requires.
const OUTAGE_MS = Number(process.env.TRIBUTARY_OUTAGE_MS ?? 5 * 60_000);
const BEFORE_MS = 20_000;
const READINGS = Math.ceil((BEFORE_MS + OUTAGE_MS + 30_000) / 1000);
const ALARMS = ['alarm-1', 'alarm-2', 'alarm-3'];

let dir: TempDir | undefined;
let cloud: { broker: PlainBroker; peer: AckPeer } | undefined;
let alarmClient: MqttClient | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children) c.kill('SIGKILL');
  children.length = 0;
  await alarmClient?.endAsync(true);
  await cloud?.peer.close();
  await cloud?.broker.close();
  cloud = alarmClient = undefined;
  dir?.[Symbol.dispose]();
  dir = undefined;
});

async function startCloud(port: number): Promise<{ broker: PlainBroker; peer: AckPeer }> {
  const broker = await startPlainBroker(port);
  return { broker, peer: await AckPeer.start({ url: `mqtt://127.0.0.1:${port}` }) };
}

describe('a 5-minute cloud outage during a 1,000-device stream', () => {
  it('delivers everything after reconnection, alerts first, nothing twice, live data kept flowing', { timeout: 12 * 60_000 }, async () => {
    dir = tempDir();
    const [mqttPort, httpPort, cloudPort] = [await freePort(), await freePort(), await freePort()];
    cloud = await startCloud(cloudPort);
    const config = join(dir.path, 'edge.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        gateway: { id: 'gw-outage' },
        dataDir: join(dir.path, 'data'),
        mqtt: { broker: { host: '127.0.0.1', port: mqttPort } },
        auth: { allowAnonymous: true },
        http: { port: httpPort },
        log: { level: 'warn' },
        windows: { definitions: [{ kind: 'tumbling', sizeMs: 10_000 }], maxOutOfOrdernessMs: 0, allowedLatenessMs: 600_000, idleTimeoutMs: 5000 },
        alerts: { rules: [{ name: 'alarm-high', type: 'threshold', feature: 'v.mean', above: 50, devices: ALARMS, raiseAfter: 1, clearAfter: 1, severity: 'critical' }] },
        uplink: { url: `mqtt://127.0.0.1:${cloudPort}`, lingerMs: 50, reconnectInitialMs: 200, reconnectMaxMs: 2000, ackTimeoutMs: 10_000 },
      }),
    );
    const gw = await startGatewayProcess(config);
    children.push(gw.child);

    // The fleet: QoS 1, one reading a second per device, resending what was not acknowledged.
    const t0 = Date.now() - (READINGS + 60) * 1000;
    const perProcess = DEVICES / PROCESSES;
    const publishers = Array.from({ length: PROCESSES }, (_, p) => {
      const child = spawn(process.execPath, [PUBLISHER, `mqtt://127.0.0.1:${mqttPort}`, String(p * perProcess), String(perProcess), String(READINGS), '1000', String(t0)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      return new Promise<Record<string, number>>((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`publisher exited ${code}`)))));
    });
    // Three machines whose value swings above the alert threshold for 20 s of every 40 s.
    alarmClient = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'alarms', reconnectPeriod: 0 });
    let k = 0;
    const alarmTimer = setInterval(() => {
      const high = Math.floor(k / 20) % 2 === 1;
      for (const d of ALARMS) alarmClient!.publish(`sensors/${d}`, JSON.stringify({ ts: Date.now() - 1000, v: high ? 100 : 1 }), { qos: 1 });
      k++;
    }, 1000);

    try {
      // Streaming before the outage: the cloud holds summaries of every device.
      const devicesHeld = () => new Set(cloud!.peer.of('summary').map((h) => (h.item as Summary).device).filter((d) => d.startsWith('dev-'))).size;
      await waitFor(() => devicesHeld() === DEVICES, 'summaries of every device at the cloud before the outage', BEFORE_MS + 60_000, 200);
      // The link goes down: the cloud's broker stops. What the cloud held before stays held (as its store would).
      const before = cloud.peer;
      await cloud.peer.close();
      await cloud.broker.close();
      const downAt = Date.now();
      // The outage lasts until the gateway has held summaries unsent for OUTAGE_MS, by its own metric.
      const unsentAgeMs = async () => ((await scrape(`http://127.0.0.1:${gw.httpPort}/metrics`)).get('tributary_outbox_oldest_unsent_age_seconds{class="summary"}') ?? 0) * 1000;
      await waitFor(async () => (await unsentAgeMs()) >= OUTAGE_MS, `the gateway holding summaries unsent for ${OUTAGE_MS} ms`, OUTAGE_MS + 60_000, 500);
      cloud = await startCloud(cloudPort);
      const upAt = Date.now();
      const peer = cloud.peer;

      const acked = Object.assign({}, ...(await Promise.all(publishers))) as Record<string, number>;
      clearInterval(alarmTimer);
      expect(Object.values(acked).every((n) => n === READINGS)).toBe(true);

      // Every summary produced arrives: each device's readings counted once (highest revision per id).
      const counted = new Map<string, number>();
      const summaries = () => {
        const latest = new Map<string, Summary>();
        for (const held of [...before.of('summary'), ...peer.of('summary')]) {
          const s = held.item as Summary;
          const seen = latest.get(s.id);
          if (seen === undefined || s.revision > seen.revision) latest.set(s.id, s);
        }
        return [...latest.values()];
      };
      const count = () => {
        counted.clear();
        for (const s of summaries()) {
          if (!s.retracted && s.metric === 'v' && s.device.startsWith('dev-')) counted.set(s.device, (counted.get(s.device) ?? 0) + s.features.count);
        }
        return Object.keys(acked).every((d) => (counted.get(d) ?? 0) >= READINGS);
      };
      await waitFor(count, 'every device\'s readings at the cloud', 120_000, 500).catch(async (err: Error) => {
        const short = Object.entries(acked).filter(([d, n]) => (counted.get(d) ?? 0) < n);
        const health = await (await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)).text();
        const m = (await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text()).split('\n').filter((l) => /^tributary_(outbox|uplink)/.test(l)).join('\n');
        throw new Error(`${err.message}: ${short.length} devices short, e.g. ${short.slice(0, 3).map(([d, n]) => `${d} ${counted.get(d) ?? 0}/${n}`).join(', ')}; health ${health}\n${m}`);
      });
      const metrics = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
      count();
      expect(Object.entries(acked).filter(([d, n]) => counted.get(d) !== n).slice(0, 5)).toEqual([]);

      // Every alert event the gateway emitted arrived, and those emitted during the outage came before any backlog summary.
      const emitted = [...metrics.matchAll(/^tributary_alert_events_total\{rule="alarm-high",state="\w+"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
      const alerts = [...before.of('alert'), ...peer.of('alert')].map((h) => h.item as AlertEvent);
      const events = new Set([...before.arrivals, ...peer.arrivals].filter((a) => a.class === 'alert').flatMap((a) => a.items.map((i) => `${i.id}/${i.revision}`)));
      expect(emitted).toBeGreaterThan(0);
      expect(events.size).toBe(emitted);
      const duringOutage = alerts.filter((a) => a.emittedAt >= downAt && a.emittedAt < upAt);
      expect(duringOutage.length).toBeGreaterThan(0);
      const afterUp = peer.arrivals.filter((a) => a.at >= upAt);
      const firstSummary = afterUp.findIndex((a) => a.class === 'summary');
      const outageAlertKeys = new Set(duringOutage.map((a) => `${a.id}/${a.revision}`));
      const lastOutageAlert = afterUp.findLastIndex((a) => a.class === 'alert' && a.items.some((i) => outageAlertKeys.has(`${i.id}/${i.revision}`)));
      expect(lastOutageAlert).toBeGreaterThanOrEqual(0);
      expect(lastOutageAlert).toBeLessThan(firstSummary);

      // Live data while the backlog drained: summaries emitted after reconnection arrived promptly.
      const arrivedAt = new Map<string, number>();
      for (const a of peer.arrivals) for (const i of a.items) if (!arrivedAt.has(`${i.id}/${i.revision}`)) arrivedAt.set(`${i.id}/${i.revision}`, a.at);
      const backlogDone = Math.max(...peer.arrivals.filter((a) => a.class === 'summary').flatMap((a) => a.items.map(() => a.at)).filter((at) => at < upAt + 60_000));
      const live = summaries().filter((s) => s.emittedAt > upAt && s.emittedAt < backlogDone);
      const delays = live.map((s) => arrivedAt.get(`${s.id}/${s.revision}`)! - s.emittedAt).sort((a, b) => a - b);
      expect(live.length, 'live summaries emitted while the backlog drained').toBeGreaterThan(0);
      expect(delays[Math.floor(delays.length * 0.95)]!, `live delays (ms): median ${delays[Math.floor(delays.length / 2)]}, drain ${backlogDone - upAt} ms`).toBeLessThan(5000);
      expect([...before.deadLetters, ...peer.deadLetters]).toEqual([]);
    } finally {
      clearInterval(alarmTimer);
    }
  });
});
