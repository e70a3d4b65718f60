// Benchmark `cloud-api`: what the cloud API's authentication and live stream cost. Requests per
// second for a small authenticated route (GET /api/me) with a session token and with Basic
// credentials (scrypt once, then the cache), 16 keep-alive connections from this process; and the
// live stream's fan-out: 100 clients reading, 2,000 alert changes announced on the bus in bursts
// of 100, timed until every client has every event (or it was dropped, which is reported).

import { Agent, get, request } from 'node:http';
import { CloudApi } from '../../cloud/api/api.js';
import type { StoredAlert } from '../../cloud/store/contract.js';
import { systemClock } from '../../edge/clock/clock.js';
import type { Counter } from '../../edge/observe/metrics.js';
import { cloudFixture, PEOPLE } from '../helpers/cloud-context.js';
import type { BenchResult } from './run.js';

const REQUESTS = 20_000;
const CONNECTIONS = 16;
const CLIENTS = 100;
const EVENTS = 2000;

export async function run(): Promise<BenchResult> {
  await using fx = await cloudFixture({ clock: systemClock });
  const api = new CloudApi(fx.ctx, { stream: { maxClients: CLIENTS } });
  await api.open();
  const base = `http://127.0.0.1:${api.port}`;
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    const status = (path: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const r = request(base + path, { headers, agent }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)));
        r.on('error', reject).end();
      });
    const rate = async (headers: Record<string, string>, n = REQUESTS) => {
      let i = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (i++ < n) if ((await status('/api/me', headers)) !== 200) throw new Error('request refused');
        }),
      );
      return n / ((performance.now() - t0) / 1000);
    };
    const login = (await (await fetch(`${base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vera', password: PEOPLE.vera.password }) })).json()) as { token: string };
    const bearer = { authorization: `Bearer ${login.token}` };
    await rate(bearer, 2000); // warm-up
    const bearerPerSec = await rate(bearer);
    const basicPerSec = await rate({ authorization: `Basic ${Buffer.from(`vera:${PEOPLE.vera.password}`).toString('base64')}` });

    let delivered = 0;
    const streams = await Promise.all(
      Array.from({ length: CLIENTS }, () => new Promise<ReturnType<typeof get>>((resolve) => {
        const r = get(`${base}/api/stream?events=alert`, { headers: bearer }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (delivered += chunk.split('event: alert\n').length - 1));
          resolve(r);
        });
      })),
    );
    const dropped = fx.ctx.metrics.get('tributary_cloud_stream_dropped_total') as Counter;
    const alert = (i: number) =>
      ({ id: i.toString(16).padStart(32, '0'), state: 'open', event: { gateway: 'gw-1', device: 'pump-7', message: 'vib_rms.mean 4.1 > 3.5', evidence: { features: { 'vib_rms.mean': 4.1 } } }, history: [], updatedAt: i }) as unknown as StoredAlert;
    const s0 = performance.now();
    for (let i = 0; i < EVENTS; i++) {
      fx.ctx.bus.emit('alert', alert(i));
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    while (delivered + dropped.get('slow_client') < CLIENTS * EVENTS) await new Promise((resolve) => setTimeout(resolve, 1));
    const seconds = (performance.now() - s0) / 1000;
    for (const s of streams) s.destroy();
    return {
      bearerRequestsPerSec: Math.round(bearerPerSec),
      basicRequestsPerSec: Math.round(basicPerSec),
      streamClients: CLIENTS,
      streamDeliveriesPerSec: Math.round(delivered / seconds),
      streamDropped: dropped.get('slow_client'),
    };
  } finally {
    agent.destroy();
    await api.close();
  }
}
