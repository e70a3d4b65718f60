// The cloud API's read side over real HTTP on a real LevelDB store and a fake clock: gateway and
// device health, roll-up series with quantiles at every scope, raw summaries, dead letters, query
// validation (every problem listed in one 400), /healthz, the dashboard's static files (and
// attempts to escape their folder), and the live stream's device filter and slow-client policy.

import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudApi } from '../../cloud/api/api.js';
import type { HealthCheck } from '../../cloud/api/route.js';
import { MeanSketch } from '../../cloud/rollup/sketch.js';
import type { StoredAlert, StoredSummary } from '../../cloud/store/contract.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Counter } from '../../edge/observe/metrics.js';
import { cloudFixture, PEOPLE, type CloudFixture } from '../helpers/cloud-context.js';
import { call } from '../helpers/http-client.js';
import { openSse, parseSse, type SseEvent } from '../helpers/sse.js';
import { windowSummary } from '../helpers/summaries.js';
import { waitFor } from '../helpers/wait.js';

const MIN = 60_000;
const NOW = Date.UTC(2024, 10, 24, 12);
const HOUR_AGO = NOW - 60 * MIN;
const clock = new FakeClock(NOW);
const LEDGER = { lossSince: NOW - 86_400_000, loss: [{ class: 'summary', reason: 'evicted', items: 12, bytes: 4800, lastAt: NOW - 30 * MIN }] };

let fx: CloudFixture;
let api: CloudApi;
let base: string;
let checks: Record<string, HealthCheck> = { ingest: { ok: true, connected: 2 } };
const token: Record<string, string> = {};

beforeAll(async () => {
  fx = await cloudFixture({ clock, config: { alerts: { deviceSilentMs: 10 * MIN } } });
  const store = fx.ctx.store;
  await store.upsertGateways([
    { id: 'gw-1', lastSeen: NOW - 1000, backlog: 5, lossLedger: LEDGER },
    { id: 'gw-9', lastSeen: NOW - 10 * MIN },
  ]);
  await store.upsertDevices([
    { id: 'pump-7', gateway: 'gw-1', site: 'plant-a', line: 'l1', lastSeen: NOW - 5000 },
    { id: 'pump-8', gateway: 'gw-1', site: 'plant-a', line: 'l2', lastSeen: NOW - 20 * MIN },
    { id: 'fan-1', gateway: 'gw-9', lastSeen: NOW - 10 * MIN },
  ]);
  // An hour of 10-second windows: pump-7 reads 1..6 in turn, pump-8 reads 100.
  const batch = [];
  for (let i = 0; i < 360; i++) {
    batch.push(windowSummary({ device: 'pump-7', metric: 'vib_rms', start: HOUR_AGO + i * 10_000, values: [(i % 6) + 1] }));
    batch.push(windowSummary({ device: 'pump-8', metric: 'vib_rms', start: HOUR_AGO + i * 10_000, values: [100] }));
  }
  await store.ingestSummaries(batch);
  await store.flushRollups();
  await store.addDeadLetters([
    { reason: 'bad_schema', message: 'summary.features missing', gateway: 'gw-1', topic: 'tributary/up/gw-1/summary', bytes: Buffer.from('{"v":1}'), receivedAt: NOW - 2000 },
    { reason: 'not_json', gateway: 'gw-1', bytes: Buffer.from([0xff, 0xfe, 0x00]), receivedAt: NOW - 1000 },
  ]);
  api = new CloudApi(fx.ctx, { health: () => checks, stream: { heartbeatMs: 15_000, stallMs: 60_000 } });
  await api.open();
  base = `http://127.0.0.1:${api.port}`;
  for (const name of ['vera', 'ada'] as const) token[name] = (await call(base, '/api/login', { method: 'POST', body: { username: name, password: PEOPLE[name].password } })).json.token;
});

afterAll(async () => {
  await api?.close();
  await fx?.[Symbol.asyncDispose]();
});

const get = (path: string, who = 'vera') => call(base, path, { token: token[who]! });

describe('fleet health', () => {
  it('lists configured and heard-from gateways with online, backlog, loss ledger and counts', async () => {
    const { gateways } = (await get('/api/gateways')).json;
    expect(gateways.map((g: { id: string }) => g.id)).toEqual(['gw-1', 'gw-2', 'gw-9']);
    expect(gateways[0]).toEqual({ id: 'gw-1', configured: true, site: null, line: null, firstSeen: NOW - 1000, lastSeen: NOW - 1000, online: true, silentForMs: 1000, backlog: 5, lossLedger: LEDGER, devices: 2, openAlerts: 0 });
    expect(gateways[1]).toMatchObject({ id: 'gw-2', configured: true, lastSeen: null, online: false, devices: 0 });
    expect(gateways[2]).toMatchObject({ id: 'gw-9', configured: false, online: false, silentForMs: 10 * MIN, devices: 1 });
    const one = (await get('/api/gateways/gw-1')).json;
    expect(one.devices.map((d: { id: string }) => d.id).sort()).toEqual(['pump-7', 'pump-8']);
    expect((await get('/api/gateways/gw-404')).json).toMatchObject({ statusCode: 404, code: 'ERR_API_NOT_FOUND' });
  });

  it('lists devices by gateway, site and line, with silent against alerts.deviceSilentMs', async () => {
    const all = (await get('/api/devices')).json.devices as Array<{ id: string; silent: boolean }>;
    expect(Object.fromEntries(all.map((d) => [d.id, d.silent]))).toEqual({ 'pump-7': false, 'pump-8': true, 'fan-1': true });
    expect((await get('/api/devices?site=plant-a&line=l2')).json.devices.map((d: { id: string }) => d.id)).toEqual(['pump-8']);
    expect((await get('/api/devices?gateway=gw-9')).json.devices.map((d: { id: string }) => d.id)).toEqual(['fan-1']);
    expect((await get('/api/devices/pump-7')).json.device).toMatchObject({ id: 'pump-7', site: 'plant-a', line: 'l1', silentForMs: 5000, silent: false, openAlerts: 0 });
    expect((await get('/api/devices/nope')).status).toBe(404);
  });
});

describe('series and summaries', () => {
  it('answers roll-up buckets with features and quantiles of the window means, at every scope', async () => {
    const r = await get(`/api/series?scope=device:pump-7&metric=vib_rms&resolution=1m&from=${HOUR_AGO}&to=${NOW}`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ resolutionMs: MIN, from: HOUR_AGO, to: NOW });
    expect(r.json.points).toHaveLength(60);
    const p = r.json.points[0];
    expect(p).toMatchObject({ start: HOUR_AGO, windows: 6, features: { count: 6, min: 1, max: 6, mean: 3.5 } });
    // The sketch of the bucket's six window means, 1..6, as the store's relative accuracy makes it.
    const sketch = new MeanSketch(fx.ctx.config.store.rollups.sketchRelativeAccuracy);
    for (const v of [1, 2, 3, 4, 5, 6]) sketch.add(v);
    expect(p.quantiles).toEqual({ p50: sketch.quantile(0.5), p90: sketch.quantile(0.9), p99: sketch.quantile(0.99) });
    expect(p.quantiles.p50).toBeGreaterThan(2.9);
    expect(p.quantiles.p50).toBeLessThan(3.1);
    expect(p).not.toHaveProperty('sketch');
    expect(p).not.toHaveProperty('partials');
    const hourly = await get(`/api/series?scope=fleet&metric=vib_rms&resolution=1h&from=${HOUR_AGO}&to=${NOW}`);
    expect(hourly.json.points).toEqual([expect.objectContaining({ start: HOUR_AGO, windows: 720, features: expect.objectContaining({ count: 720, min: 1, max: 100 }) })]);
    const line = await get(`/api/series?scope=line:plant-a/l2&metric=vib_rms&resolution=3600000&from=${new Date(HOUR_AGO).toISOString()}&to=${new Date(NOW).toISOString()}`);
    expect(line.json.points[0].features).toMatchObject({ count: 360, mean: 100 });
    const site = await get(`/api/series?scope=site:plant-a&metric=vib_rms&resolution=1h&from=${HOUR_AGO}&to=${NOW}`);
    expect(site.json.points[0].windows).toBe(720);
  });

  it('picks the finest resolution that fits when none is given', async () => {
    expect((await get(`/api/series?scope=device:pump-7&metric=vib_rms&from=${HOUR_AGO}&to=${NOW}`)).json.resolutionMs).toBe(MIN);
    expect((await get(`/api/series?scope=device:pump-7&metric=vib_rms&from=${NOW - 30 * 86_400_000}&to=${NOW}`)).json.resolutionMs).toBe(3_600_000);
  });

  it('answers a device\'s summaries without partials, oldest first, and says when the limit cut them', async () => {
    const r = await get(`/api/summaries?device=pump-7&metric=vib_rms&from=${HOUR_AGO}&to=${NOW}&limit=5`);
    expect(r.json.truncated).toBe(true);
    expect(r.json.summaries.map((s: StoredSummary) => s.window.start)).toEqual([0, 1, 2, 3, 4].map((i) => HOUR_AGO + i * 10_000));
    expect(r.json.summaries[0]).toMatchObject({ device: 'pump-7', site: 'plant-a', line: 'l1', features: { mean: 1 }, rolledUp: true });
    expect(r.json.summaries[0]).not.toHaveProperty('partials');
    expect((await get(`/api/summaries?device=pump-7&from=${NOW - 25_000}`)).json.summaries).toHaveLength(2);
  });

  it('lists every problem of a bad query in one 400', async () => {
    const r = await get('/api/series?scope=planet:mars&metric=vib_rms&resolution=7m&from=yesterday&colour=red');
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('ERR_API_BAD_REQUEST');
    expect(r.json.problems).toEqual(['querystring/colour: must NOT have additional properties']);
    const semantic = await get('/api/series?scope=planet:mars&metric=vib_rms&resolution=7m&from=yesterday');
    expect(semantic.json.problems).toEqual([
      'querystring/scope: "planet:mars" is not device:<id>, line:<site>/<line>, site:<site> or fleet',
      'querystring/from: "yesterday" is neither ms since the epoch nor ISO 8601',
      'querystring/resolution: "7m" is not a configured resolution (1m, 1h, 1d)',
    ]);
    expect((await get(`/api/series?scope=fleet&metric=x&resolution=1m&from=${NOW - 30 * 86_400_000}&to=${NOW}`)).json.problems).toEqual([
      'querystring/from: the range holds more than 10000 buckets of 1m: narrow it or use a coarser resolution',
    ]);
    expect((await get('/api/alerts?state=open,closed&limit=0')).json.problems).toEqual(['querystring/limit: must be >= 1']);
    expect((await get('/api/alerts?state=open,closed')).json.problems).toEqual(['querystring/state: "closed" not one of open, acknowledged, resolved']);
    expect((await get('/api/summaries')).json.problems).toEqual(['querystring/device: must have required property \'device\'']);
    const body = await call(base, '/api/alerts/0123456789abcdef0123456789abcdef/acknowledge', { method: 'POST', token: token.ada!, body: { note: 7 } });
    expect(body.status).toBe(400);
    const notJson = await call(base, '/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: undefined });
    expect(notJson.status).toBe(400);
    expect(notJson.json.code).toBe('ERR_API_BAD_REQUEST');
  });
});

describe('operations', () => {
  it('shows dead letters to admins, as base64 and, when UTF-8, as text', async () => {
    const { deadLetters } = (await get('/api/dead-letters?gateway=gw-1', 'ada')).json;
    expect(deadLetters.map((d: { reason: string }) => d.reason)).toEqual(['not_json', 'bad_schema']);
    expect(deadLetters[1]).toMatchObject({ text: '{"v":1}', base64: Buffer.from('{"v":1}').toString('base64'), size: 7, truncated: false, topic: 'tributary/up/gw-1/summary' });
    expect(deadLetters[0].text).toBeNull();
  });

  it('healthz is public: 200 when the store and every check are ok, 503 otherwise', async () => {
    const ok = await call(base, '/healthz');
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ ok: true, store: { ok: true, status: 'open' }, checks: { ingest: { ok: true, connected: 2 } }, gateways: { known: 2, online: 1 } });
    checks = { ingest: { ok: false, reason: 'broker down' } };
    const bad = await call(base, '/healthz');
    expect(bad.status).toBe(503);
    expect(bad.json.ok).toBe(false);
    checks = { ingest: { ok: true } };
  });

  it('counts requests by route pattern and status', async () => {
    const text = (await call(base, '/metrics', { token: token.ada! })).text;
    expect(text).toMatch(/tributary_cloud_api_requests_total\{method="GET",route="\/api\/series",status="400"\} [1-9]/);
    expect(text).toMatch(/tributary_cloud_api_requests_total\{method="GET",route="\/api\/devices\/:id",status="404"\} 1/);
  });
});

describe('the dashboard\'s files', () => {
  it('serves the dashboard\'s page with its content type and safety headers', async () => {
    for (const path of ['/', '/index.html']) {
      const r = await call(base, path);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.text).toContain('<script type="module" src="/app.js"></script>');
    }
  });

  it.each([
    ['/vendor/uplot.esm.js', 'text/javascript; charset=utf-8', 'export { uPlot as default }'],
    ['/vendor/uplot.min.css', 'text/css; charset=utf-8', '.uplot'],
  ])('serves the library file %s from node_modules', async (path, type, text) => {
    const r = await call(base, path);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(type);
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(r.text).toContain(text);
  });

  it.each([
    '/../package.json',
    '/..%2fpackage.json',
    '/%2e%2e/%2e%2e/package.json',
    '/..%5c..%5cpackage.json',
    '/index.html%00.txt',
    '/.gitignore',
    '/nothing-here.js',
    '/api/not-a-route',
    '/vendor/uPlot.cjs.js',
    '/vendor/package.json',
    '/vendor/..%2f..%2fpackage.json',
    '/vendor/%2e%2e%2fuplot%2fpackage.json',
  ])('refuses %s with a JSON 404', async (path) => {
    const r = await call(base, path);
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ code: 'ERR_API_NOT_FOUND' });
    expect(r.text).not.toContain('"name": "tributary"');
  });
});

describe('the live stream\'s filters and backpressure', () => {
  const summary = (device: string) => ({ ...windowSummary({ device, metric: 'vib_rms', start: NOW }), site: 's', line: 'l', rolledUp: true, receivedAt: NOW });

  it('sends summaries only for the devices a client named, and only when asked', async () => {
    expect((await get('/api/stream?events=summaries')).json.problems).toEqual(['querystring/devices: name the devices whose summaries to send (devices=a,b)']);
    await using stream = await openSse(`${base}/api/stream?events=summaries,alert&devices=pump-7`, { authorization: `Bearer ${token.vera}` });
    await stream.next((e) => e.event === 'hello', 'hello');
    fx.ctx.bus.emit('summaries', [summary('pump-8'), summary('pump-7'), summary('fan-1')]);
    fx.ctx.bus.emit('gateway', { id: 'gw-1', firstSeen: NOW, lastSeen: NOW, backlog: 0, lossLedger: null });
    fx.ctx.bus.emit('summaries', [summary('pump-7')]);
    await waitFor(() => stream.events.filter((e) => e.event === 'summaries').length === 2, 'two summaries events');
    const sent = stream.events.filter((e) => e.event === 'summaries').flatMap((e) => e.data as StoredSummary[]);
    expect(sent.map((s) => s.device)).toEqual(['pump-7', 'pump-7']);
    expect(sent[0]).not.toHaveProperty('partials');
    expect(stream.events.some((e) => e.event === 'gateway')).toBe(false);
  });

  it('drops events for a client that stops reading, and tells it what it missed once it drains', async () => {
    const dropped = fx.ctx.metrics.get('tributary_cloud_stream_dropped_total') as Counter;
    await waitFor(() => api.stream.clients === 0, 'earlier streams to be forgotten');
    const req = httpRequest(`${base}/api/stream?events=alert`, { headers: { authorization: `Bearer ${token.vera}` } });
    req.end();
    const [reader] = (await once(req, 'response')) as [IncomingMessage];
    reader.pause();
    await waitFor(() => api.stream.clients === 1, 'the stream registered');
    const big = 'x'.repeat(10_000);
    const alert = (i: number) => ({ id: i.toString(16).padStart(32, '0'), state: 'open', event: { message: big }, history: [], updatedAt: NOW }) as unknown as StoredAlert;
    // 30 MB in one go: far more than the socket takes before write() says stop.
    for (let i = 0; i < 3000; i++) fx.ctx.bus.emit('alert', alert(i));
    const slow = dropped.get('slow_client');
    expect(slow).toBeGreaterThan(0);
    expect(api.stream.congested).toBe(1);

    const events: SseEvent[] = [];
    let buffer = '';
    reader.setEncoding('utf8');
    reader.on('data', (chunk: string) => (buffer = parseSse(buffer + chunk, events, [])));
    reader.resume();
    const gap = await waitFor(() => events.find((e) => e.event === 'gap'), 'the gap event');
    const received = events.filter((e) => e.event === 'alert');
    expect(gap.data.missed).toEqual({ alert: slow, gateway: 0, push: 0, summaries: 0 });
    expect(received.length + slow).toBe(3000);
    // What arrived is the head of the flood, in order; the rest was dropped, not queued.
    expect(received.map((e) => e.data.id)).toEqual(Array.from({ length: received.length }, (_, i) => alert(i).id));
    expect(api.stream.congested).toBe(0);
    reader.destroy();
    await waitFor(() => api.stream.clients === 0, 'the stream to be forgotten');
  });
});
