// An alert's whole life through the API over real HTTP, on a real LevelDB store: raised by a
// gateway event (recorded as the ingest records it), listed and read, acknowledged by an operator
// with a note, cleared by the gateway and so resolved automatically; another resolved by an
// operator. Every change reaches a real webhook receiver that fails twice first, and the live
// stream delivers new alerts as they happen.

import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudApi } from '../../cloud/api/api.js';
import { AlertNotifications, type AlertNotification } from '../../cloud/alerts/notifications.js';
import { recordAlertEvents } from '../../cloud/alerts/record.js';
import type { CloudAlertEvent, StoredAlert } from '../../cloud/store/contract.js';
import { alertId } from '../../edge/alert/occurrence.js';
import { snippetParts } from '../helpers/snippet-parts.js';
import { systemClock } from '../../edge/clock/clock.js';
import { cloudFixture, PEOPLE, type CloudFixture } from '../helpers/cloud-context.js';
import { call } from '../helpers/http-client.js';
import { openSse } from '../helpers/sse.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { webhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const T0 = Date.UTC(2024, 10, 24, 8);

function gatewayEvent(o: { device: string; rule: string; raisedAt: number; revision?: number; state?: CloudAlertEvent['state']; message?: string }): CloudAlertEvent {
  return {
    id: alertId('gw-1', o.device, o.rule, o.raisedAt),
    revision: o.revision ?? 0,
    state: o.state ?? 'raised',
    gateway: 'gw-1',
    device: o.device,
    rule: o.rule,
    ruleType: 'threshold',
    severity: 'critical',
    raisedAt: o.raisedAt,
    at: o.raisedAt + (o.revision ?? 0) * 10_000,
    emittedAt: o.raisedAt + (o.revision ?? 0) * 10_000 + 5,
    message: o.message ?? `${o.rule} on ${o.device}`,
    evidence: { rule: { type: 'threshold', metric: 'vib_rms', above: 3.5 }, features: { 'vib_rms.mean': 4.1 } },
  };
}

let fx: CloudFixture;
let api: CloudApi;
let notifications: AlertNotifications;
let hook: WebhookReceiver;
let secrets: TempDir;
let base: string;
const token: Record<string, string> = {};

beforeAll(async () => {
  hook = await webhookReceiver([503, 500]);
  secrets = tempDir();
  const secretFile = join(secrets.path, 'webhook.secret');
  writeFileSync(secretFile, 'hook-secret\n');
  fx = await cloudFixture({ clock: systemClock, config: { alerts: { webhook: { url: hook.url, secretFile } } } });
  notifications = new AlertNotifications(fx.ctx, { initialDelayMs: 5, maxDelayMs: 20 });
  api = new CloudApi(fx.ctx, { stream: { heartbeatMs: 50 } });
  await notifications.open();
  await api.open();
  base = `http://127.0.0.1:${api.port}`;
  for (const name of ['vera', 'otto'] as const) token[name] = (await call(base, '/api/login', { method: 'POST', body: { username: name, password: PEOPLE[name].password } })).json.token;
});

afterAll(async () => {
  await api?.close();
  await notifications?.close();
  await fx?.[Symbol.asyncDispose]();
  await hook?.[Symbol.asyncDispose]();
  secrets?.[Symbol.dispose]();
});

const get = (path: string) => call(base, path, { token: token.vera });
/** An operator's move; without a note the request has no body at all (as `curl -X POST` sends it). */
const act = (id: string, move: 'acknowledge' | 'resolve', note?: string) => call(base, `/api/alerts/${id}/${move}`, { method: 'POST', token: token.otto, ...(note === undefined ? {} : { body: { note } }) });

describe('an alert through its lifecycle, over the API', () => {
  const first = { device: 'pump-7', rule: 'vibration-high', raisedAt: T0 };
  const second = { device: 'pump-8', rule: 'bearing-hot', raisedAt: T0 + 60_000 };
  const firstId = gatewayEvent(first).id;
  const secondId = gatewayEvent(second).id;

  it('raised by a gateway event: listed as open, readable with its evidence and history', async () => {
    await recordAlertEvents(fx.ctx, [gatewayEvent(first), gatewayEvent(second)]);
    const open = await get('/api/alerts?state=open');
    expect(open.status).toBe(200);
    expect(open.json.alerts.map((a: StoredAlert) => a.id)).toEqual([secondId, firstId]);
    const one = await get(`/api/alerts/${firstId}`);
    expect(one.json.alert).toMatchObject({ id: firstId, state: 'open', event: { device: 'pump-7', revision: 0, evidence: { features: { 'vib_rms.mean': 4.1 } } } });
    expect(one.json.alert.history).toEqual([{ from: null, to: 'open', at: expect.any(Number), by: 'gateway:gw-1', revision: 0 }]);
    expect((await get('/api/alerts?device=pump-8')).json.alerts.map((a: StoredAlert) => a.id)).toEqual([secondId]);
    expect((await get('/api/alerts?state=resolved')).json.alerts).toEqual([]);
  });

  it('acknowledged by an operator with a note; acknowledging twice is a 409', async () => {
    const ack = await act(firstId, 'acknowledge', 'crew on the way');
    expect(ack.status).toBe(200);
    expect(ack.json.alert).toMatchObject({ state: 'acknowledged', acknowledged: { by: 'otto', note: 'crew on the way' } });
    const again = await act(firstId, 'acknowledge');
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ code: 'ERR_CLOUD_ALERT_TRANSITION', retryable: false });
    expect((await get('/api/alerts?state=acknowledged')).json.alerts.map((a: StoredAlert) => a.id)).toEqual([firstId]);
  });

  it('cleared by the gateway: resolved automatically, history complete', async () => {
    await recordAlertEvents(fx.ctx, [gatewayEvent({ ...first, revision: 1, state: 'updated', message: 'worse' }), gatewayEvent({ ...first, revision: 2, state: 'cleared' })]);
    const { alert } = (await get(`/api/alerts/${firstId}`)).json as { alert: StoredAlert };
    expect(alert.state).toBe('resolved');
    expect(alert.resolved).toMatchObject({ by: 'gateway:gw-1', cause: 'cleared' });
    expect(alert.event).toMatchObject({ revision: 2, state: 'cleared' });
    expect(alert.history.map((h) => [h.from, h.to, h.by, h.note])).toEqual([
      [null, 'open', 'gateway:gw-1', undefined],
      ['open', 'acknowledged', 'otto', 'crew on the way'],
      ['acknowledged', 'resolved', 'gateway:gw-1', undefined],
    ]);
  });

  it('another resolved by an operator; a later clear from the gateway leaves that resolution', async () => {
    const resolved = await act(secondId, 'resolve', 'false alarm: sensor reseated');
    expect(resolved.json.alert).toMatchObject({ state: 'resolved', resolved: { by: 'otto', cause: 'operator', note: 'false alarm: sensor reseated' } });
    expect((await act(secondId, 'resolve')).status).toBe(409);
    await recordAlertEvents(fx.ctx, [gatewayEvent({ ...second, revision: 1, state: 'cleared' })]);
    const { alert } = (await get(`/api/alerts/${secondId}`)).json as { alert: StoredAlert };
    expect(alert.resolved).toMatchObject({ by: 'otto', cause: 'operator' });
    expect(alert.event.state).toBe('cleared');
    expect(alert.history.map((h) => `${h.from}→${h.to} ${h.by}`)).toEqual(['null→open gateway:gw-1', 'open→resolved otto']);
    const unknown = await act('f'.repeat(32), 'resolve');
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('ERR_CLOUD_ALERT_NOT_FOUND');
  });

  it('every change reached the webhook, which failed twice first, in order and signed', async () => {
    await notifications.drained();
    expect(notifications.stats).toMatchObject({ failedAttempts: 2, givenUp: 0, dropped: 0 });
    const delivered = hook.got.slice(2).map((g) => JSON.parse(g.raw) as AlertNotification);
    // One notification per recorded change: the gateway's updated + cleared came in one batch, so
    // pump-7 is announced once, resolved. The late clear of pump-8 only brings new evidence.
    expect(delivered.map((n) => `${n.alert.event.device} ${n.change}`)).toEqual([
      'pump-7 raised',
      'pump-8 raised',
      'pump-7 acknowledged',
      'pump-7 resolved',
      'pump-8 resolved',
      'pump-8 updated',
    ]);
    expect(hook.got[0]!.raw).toBe(hook.got[2]!.raw);
    for (const g of hook.got) expect(g.signature).toBe(`sha256=${createHmac('sha256', 'hook-secret').update(g.raw).digest('hex')}`);
    expect(fx.ctx.metrics.render()).toMatch(/tributary_cloud_webhook_failed_attempts_total 2/);
  });
});

describe('the flight recorder\'s raw readings around an alert', () => {
  const event = gatewayEvent({ device: 'pump-9', rule: 'vibration-high', raisedAt: T0 + 180_000 });
  // 40 readings of two metrics, a second apart, around the alert; small parts so there are several.
  const readings = Array.from({ length: 40 }, (_, i) => ({ device: 'pump-9', ts: event.raisedAt - 20_000 + i * 1000, receivedAt: event.raisedAt - 20_000 + i * 1000 + 3, tsFromArrival: false, values: { vib_rms: 1 + i / 10, temp: 40 + (i % 3) } }));
  const parts = snippetParts({ gateway: 'gw-1', device: 'pump-9', alert: event.id, from: event.raisedAt - 20_000, to: event.raisedAt + 20_000 }, readings, 700);

  it('joins the parts in event-time order, whatever order they arrived in, and says when all are in', async () => {
    expect(parts.length).toBeGreaterThan(2);
    await recordAlertEvents(fx.ctx, [event]);
    const none = await get(`/api/alerts/${event.id}/raw`);
    expect(none.status).toBe(200);
    expect(none.json.raw).toEqual({ alert: event.id, gateway: 'gw-1', device: 'pump-9', from: null, to: null, parts: { expected: null, received: 0 }, complete: false, metrics: [], readings: [] });

    await fx.ctx.store.putRawSnippets([...parts].reverse().slice(0, -1)); // all but part 0, newest part first
    const some = (await get(`/api/alerts/${event.id}/raw`)).json.raw;
    expect(some.parts).toEqual({ expected: parts.length, received: parts.length - 1 });
    expect(some.complete).toBe(false);

    await fx.ctx.store.putRawSnippets([parts[0]!]);
    const all = (await get(`/api/alerts/${event.id}/raw`)).json.raw;
    expect(all).toMatchObject({ from: event.raisedAt - 20_000, to: event.raisedAt + 20_000, parts: { expected: parts.length, received: parts.length }, complete: true, metrics: ['temp', 'vib_rms'] });
    expect(all.readings.map((r: { ts: number }) => r.ts)).toEqual(readings.map((r) => r.ts));
    expect(all.readings[5]).toEqual({ ts: readings[5]!.ts, receivedAt: readings[5]!.receivedAt, values: { vib_rms: 1.5, temp: 42 } });
  });

  it('is a 404 for an alert the cloud does not hold', async () => {
    const r = await get(`/api/alerts/${'e'.repeat(32)}/raw`);
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('ERR_CLOUD_ALERT_NOT_FOUND');
  });
});

describe('the live stream', () => {
  it('delivers a new alert as it is raised, and heartbeats', async () => {
    await using stream = await openSse(`${base}/api/stream`, { authorization: `Bearer ${token.vera}` });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.next((e) => e.event === 'hello', 'the hello event');
    const fresh = gatewayEvent({ device: 'fan-2', rule: 'fan-stall', raisedAt: T0 + 120_000 });
    await recordAlertEvents(fx.ctx, [fresh]);
    const live = await stream.next((e) => e.event === 'alert' && e.data.id === fresh.id, 'the new alert on the stream');
    expect(live.data).toMatchObject({ state: 'open', event: { device: 'fan-2', rule: 'fan-stall' } });
    await act(fresh.id, 'acknowledge', 'seen live');
    await stream.next((e) => e.event === 'alert' && e.data.id === fresh.id && e.data.state === 'acknowledged', 'the acknowledgement on the stream');
    await waitFor(() => stream.comments.some((c) => c.startsWith('heartbeat')), 'a heartbeat');
  });

  it('authenticates the browser by its session cookie', async () => {
    await using stream = await openSse(`${base}/api/stream?events=alert`, { cookie: `tributary_session=${token.vera}` });
    expect(stream.status).toBe(200);
    const hello = await stream.next((e) => e.event === 'hello', 'the hello event');
    expect(hello.data.events).toEqual(['alert']);
  });
});
