// Ingest over a real broker: bad payloads are dead-lettered with their reason while good traffic
// flows; unauthenticated and cross-topic clients are refused; a third-party client (mosquitto_pub)
// is understood; the HTTP endpoint serves metrics, health and the stores.

import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../edge/auth/password.js';
import type { Summary } from '../../edge/features/summary.js';
import type { DeadLetter } from '../../edge/store/records.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const hasMosquittoPub = spawnSync('mosquitto_pub', ['--help']).error === undefined;

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.[Symbol.asyncDispose]();
  current = undefined;
});

const fast = { windows: { definitions: [{ kind: 'tumbling', sizeMs: 1000 }], maxOutOfOrdernessMs: 0, staggerMs: 0, allowedLatenessMs: 0 } };

describe('dead letters over MQTT', () => {
  const bad: Array<[string, string | Buffer, string]> = [
    ['broken JSON', '{"temp": ', 'not_json'],
    ['NaN', '{"temp": NaN}', 'non_finite'],
    ['Infinity in text', 'temp=Infinity', 'non_finite'],
    ['wrong type', '{"temp": "hot"}', 'wrong_type'],
    ['too large', `{"temp": 1, "pad": "${'x'.repeat(600)}"}`, 'payload_too_large'],
    ['future timestamp', JSON.stringify({ ts: Date.now() + 3_600_000, temp: 1 }), 'future_timestamp'],
    ['timestamp in seconds', JSON.stringify({ ts: Math.floor(Date.now() / 1000), temp: 1 }), 'bad_timestamp'],
    ['not UTF-8', Buffer.from([0xc3, 0x28]), 'not_utf8'],
    ['no metrics', '{}', 'no_metrics'],
  ];

  it('keeps each bad payload with its reason, topic and bytes while another device keeps flowing', async () => {
    current = await startGateway({ ...fast, decode: { maxPayloadBytes: 512 } });
    const gw = current;
    const good = await gw.connect({ clientId: 'good' });
    const noisy = await gw.connect({ clientId: 'noisy' });
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 30_000;
    for (let i = 0; i < bad.length; i++) {
      await good.publishAsync('sensors/good', JSON.stringify({ ts: t0 + i * 1000, temp: i }), { qos: 1 });
      await noisy.publishAsync('sensors/noisy', bad[i]![1], { qos: 1 });
    }
    // A malformed device id in the topic.
    await noisy.publishAsync('sensors/bad id!', 'temp=1', { qos: 1 });
    await good.publishAsync('sensors/good', JSON.stringify({ ts: t0 + bad.length * 1000, temp: 99 }), { qos: 1 });

    const total = bad.length + 1;
    await waitFor(() => gw.metric('tributary_readings_decoded_total') === bad.length + 1, 'good readings decoded');
    await waitFor(async () => (await gw.gateway.inspect('dead-letter', 100))!.size === total, 'dead letters stored');
    const expected = new Map<string, number>();
    for (const [, , reason] of bad) expected.set(reason, (expected.get(reason) ?? 0) + 1);
    for (const [reason, n] of expected) expect(gw.metric(`tributary_dead_letters_total{reason="${reason}"}`), reason).toBe(n);
    expect(gw.metric('tributary_dead_letters_total{reason="bad_device_id"}')).toBe(1);

    const letters = (await gw.gateway.inspect('dead-letter', 100, 'oldest'))!.entries.map((e) => (e as { value: DeadLetter }).value);
    expect(letters.map((l) => l.reason)).toEqual([...bad.map(([, , r]) => r), 'bad_device_id']);
    letters.slice(0, bad.length).forEach((l, i) => {
      expect(l.topic).toBe('sensors/noisy');
      expect(l.device).toBe('noisy');
      expect(l.code).toMatch(/^ERR_DECODE_/);
      const payload = bad[i]![1];
      const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
      if (l.reason === 'payload_too_large') {
        expect(l.truncatedFrom).toBe(bytes.length);
        expect(Buffer.from(l.payload, 'base64')).toEqual(bytes.subarray(0, 512));
      } else {
        expect(Buffer.from(l.payload, 'base64')).toEqual(bytes);
      }
    });
    expect(gw.gateway.devices.get('good')).toMatchObject({ readings: bad.length + 1, deadLetters: 0 });
    expect(gw.gateway.devices.get('noisy')).toMatchObject({ readings: 0, deadLetters: bad.length });
    // The good device's windows closed normally throughout.
    const goodSummaries = gw.summaries.filter((s: Summary) => s.device === 'good');
    expect(goodSummaries.map((s) => s.features.last)).toEqual([...Array(bad.length).keys()]);
    expect(gw.summaries.some((s) => s.device === 'noisy')).toBe(false);
  });
});

describe('authentication and topic ACL', () => {
  it('refuses unauthenticated clients and clients publishing to another device', async () => {
    const hash = await hashPassword('s3cret-pump-7', { logN: 10 });
    current = await startGateway({
      ...fast,
      mqtt: { broker: { host: '127.0.0.1' } },
      auth: { allowAnonymous: false, users: { 'pump-7': { passwordHash: hash }, 'pump-8': { passwordHash: hash } } },
    });
    const gw = current;
    await expect(gw.connect({ clientId: 'anon' })).rejects.toThrow();
    await expect(gw.connect({ clientId: 'wrong', username: 'pump-7', password: 'nope' })).rejects.toThrow();

    const pump7 = await gw.connect({ clientId: 'pump-7', username: 'pump-7', password: 's3cret-pump-7' });
    const pump8 = await gw.connect({ clientId: 'pump-8', username: 'pump-8', password: 's3cret-pump-7' });
    await pump7.publishAsync('sensors/pump-7', 'temp=1', { qos: 1 });
    await waitFor(() => gw.metric('tributary_readings_decoded_total') === 1, 'own-topic reading decoded');

    const closed = new Promise<void>((resolve) => pump8.once('close', () => resolve()));
    pump8.publish('sensors/pump-7', 'temp=666', { qos: 0 });
    await closed;
    await pump7.publishAsync('sensors/pump-7', 'temp=2', { qos: 1 });
    await waitFor(() => gw.metric('tributary_readings_decoded_total') === 2, 'second own-topic reading decoded');
    expect(gw.metric('tributary_messages_received_total{source="mqtt-broker"}')).toBe(2);
  });
});

describe('a client nobody here wrote', () => {
  it.skipIf(!hasMosquittoPub)('decodes readings sent with mosquitto_pub (skips without mosquitto-clients)', async () => {
    const hash = await hashPassword('pw-for-motor', { logN: 10 });
    current = await startGateway({ ...fast, auth: { allowAnonymous: false, users: { 'motor-1': { passwordHash: hash } } } });
    const gw = current;
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    const pub = (message: string) =>
      run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(gw.mqttPort), '-u', 'motor-1', '-P', 'pw-for-motor', '-i', 'motor-1', '-q', '1', '-t', 'sensors/motor-1', '-m', message]);
    await pub(JSON.stringify({ ts: t0, temp: 40, vib_rms: 0.5 }));
    await pub(`${t0 + 400},temp=42,vib_rms=0.7`);
    await pub(JSON.stringify({ ts: new Date(t0 + 1200).toISOString(), temp: 50, vib_rms: 0.9 }));
    await waitFor(() => gw.summaries.length === 2, 'one window closed for both metrics');
    const byMetric = Object.fromEntries(gw.summaries.map((s) => [s.metric, s.features]));
    expect(byMetric.temp).toMatchObject({ count: 2, mean: 41, min: 40, max: 42 });
    expect(byMetric.vib_rms).toMatchObject({ count: 2, min: 0.5, max: 0.7 });
  });
});

describe('HTTP endpoint', () => {
  it('serves /metrics, /healthz and /inspect', async () => {
    current = await startGateway(fast);
    const gw = current;
    const c = await gw.connect({ clientId: 'pump-1' });
    await c.publishAsync('sensors/pump-1', 'temp=oops', { qos: 1 });
    const base = `http://127.0.0.1:${gw.gateway.httpPort}`;
    await waitFor(() => gw.metric('tributary_dead_letters_total{reason="wrong_type"}') === 1, 'dead letter counted');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE tributary_dead_letters_total counter$/m);
    expect(metrics).toMatch(/^tributary_dead_letters_total\{reason="wrong_type"\} 1$/m);
    expect(metrics).toMatch(/^tributary_event_loop_lag_seconds\{quantile="0.99"\} [0-9.e-]+$/m);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, sources: { 'mqtt-broker': { status: 'open', ok: true } } });
    const letters = (await (await fetch(`${base}/inspect/dead-letter?limit=5`)).json()) as { size: number; entries: Array<{ value: DeadLetter }> };
    expect(letters.size).toBe(1);
    expect(letters.entries[0]!.value.reason).toBe('wrong_type');
    expect((await fetch(`${base}/inspect/nope`)).status).toBe(404);
    expect(await (await fetch(`${base}/devices`)).json()).toMatchObject({ 'pump-1': { readings: 0, deadLetters: 1 } });
  });

  it('demands the bearer token when one is configured', async () => {
    using dir = tempDir();
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, 'tok-123\n');
    current = await startGateway({ ...fast, http: { tokenFile } });
    const base = `http://127.0.0.1:${current.gateway.httpPort}`;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer tok-123' } })).status).toBe(200);
  });

  it('refuses to start when the token file cannot be read, naming the file', async () => {
    await expect(startGateway({ ...fast, http: { tokenFile: '/nonexistent/token' } })).rejects.toMatchObject({
      code: 'ERR_FILE_READ',
      message: expect.stringContaining('/nonexistent/token'),
    });
  });
});
