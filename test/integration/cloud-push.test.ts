// The cloud's end of config and model push over real HTTP and a real aedes broker: admins set
// desired configs and models per fleet, site or gateway; each is published (QoS 1, not retained)
// to exactly the gateways it reaches, the narrowest target winning — at once to those heard from
// lately, to the others when they next report; status reports turn into
// desired-against-applied views (applied, pending, refused with the gateway's error) on the API and
// the bus; what a gateway neither runs nor refused is sent again on its next report once
// resendAfterMs has passed, a refused push never; a cleared target falls back to a broader one.
// Gateways here are MQTT clients that only listen; a real gateway process is in push-e2e.test.ts.

import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloudApi } from '../../cloud/api/api.js';
import { PushService } from '../../cloud/push/service.js';
import type { GatewayPushView } from '../../cloud/push/views.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { decodePush, type AppliedReport, type PushMessage } from '../../edge/uplink/push-protocol.js';
import { cloudFixture, credentialsConfig, PEOPLE, type CloudFixture } from '../helpers/cloud-context.js';
import { call } from '../helpers/http-client.js';
import { connectClient, startPlainBroker, Teardown, type PlainBroker } from '../helpers/mqtt.js';
import { tempModel } from '../helpers/push.js';
import { exampleStatus } from '../helpers/uplink-items.js';
import { waitFor } from '../helpers/wait.js';

const clock = new FakeClock(Date.UTC(2024, 10, 24, 12));
const teardown = new Teardown();
let fx: CloudFixture;
let broker: PlainBroker;
let push: PushService;
let api: CloudApi;
let base: string;
let admin: string;
let viewer: string;
/** What each listening gateway received, decoded, in order. */
const inbox: Record<string, PushMessage[]> = { 'gw-1': [], 'gw-2': [], 'gw-3': [] };
const events: GatewayPushView[] = [];

beforeEach(async () => {
  const { users, gateways } = await credentialsConfig();
  const tokenHash = gateways['gw-1']!.tokenHash;
  fx = await cloudFixture({ clock, config: { gateways: { 'gw-1': { tokenHash, site: 'plant-a' }, 'gw-2': { tokenHash, site: 'plant-a' }, 'gw-3': { tokenHash, site: 'plant-b' } }, users } });
  teardown.add(fx);
  broker = teardown.add(await startPlainBroker());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const publisher = await connectClient(url, {}, teardown);
  push = new PushService(fx.ctx, { publish: async (topic, payload, options) => void (await publisher.publishAsync(topic, payload, options)), resendAfterMs: 60_000, maxModelBytes: 64 * 1024 });
  await push.open();
  teardown.add(push);
  api = new CloudApi(fx.ctx, { push });
  await api.open();
  teardown.add(api);
  base = `http://127.0.0.1:${api.port}`;
  for (const gw of Object.keys(inbox)) {
    inbox[gw] = [];
    const client: MqttClient = await connectClient(url, {}, teardown);
    client.on('message', (topic, payload) => {
      const r = decodePush(topic, payload);
      if (r.ok) inbox[gw]!.push(r.push);
    });
    await client.subscribeAsync(`tributary/v1/${gw}/+`, { qos: 1 });
  }
  events.length = 0;
  fx.ctx.bus.on('push', (v) => events.push(v));
  await seen('gw-1', 'gw-2', 'gw-3');
  admin = await login('ada');
  viewer = await login('vera');
});

afterEach(() => teardown.run());

async function login(name: keyof typeof PEOPLE): Promise<string> {
  return (await call(base, '/api/login', { method: 'POST', body: { username: name, password: PEOPLE[name].password } })).json.token as string;
}

/** The gateways were heard from now (the ingest's registry). */
const seen = (...gateways: string[]) => fx.ctx.store.upsertGateways(gateways.map((id) => ({ id, lastSeen: clock.now() })));

const putConfig = (target: string, document: string, version?: string) => call(base, `/api/push/${target}/config`, { method: 'PUT', token: admin, body: { document, ...(version ? { version } : {}) } });
const putModel = (target: string, name: string, onnx: Uint8Array, manifest: unknown) => call(base, `/api/push/${target}/models/${name}`, { method: 'PUT', token: admin, body: { manifest, onnx: Buffer.from(onnx).toString('base64') } });
const view = async (gw: string): Promise<GatewayPushView> => (await call(base, `/api/push/gateways/${gw}`, { token: viewer })).json.gateway as GatewayPushView;

/** A status report from `gw` saying what it runs. */
function report(gw: string, seq: number, applied: AppliedReport): Promise<void> {
  return push.recordStatus(gw, { ...exampleStatus(gw, seq), applied });
}
const runs = (configId: string | null, models: AppliedReport['models'] = [], refused: AppliedReport['refused'] = []): AppliedReport => ({
  config: { id: configId, version: configId === null ? null : 'v', at: configId === null ? null : 1 },
  models,
  refused,
});

describe('desired state, published', () => {
  it('sends a site\'s config to the site\'s gateways only; a gateway\'s own config wins over it', async () => {
    const site = await putConfig('site:plant-a', 'alerts: { rules: [] }\n', 'site-1');
    expect(site.status).toBe(200);
    expect(site.json.gateways).toEqual(['gw-1', 'gw-2']);
    expect(site.json.desired).toMatchObject({ kind: 'config', target: 'site:plant-a', version: 'site-1', pushedBy: 'ada', format: 'yaml' });
    await waitFor(() => inbox['gw-1']!.length === 1 && inbox['gw-2']!.length === 1, 'the site config at both gateways');
    expect(inbox['gw-1']![0]).toMatchObject({ kind: 'config', gateway: 'gw-1', id: site.json.desired.id, version: 'site-1', target: 'site:plant-a', document: 'alerts: { rules: [] }\n' });

    const own = await putConfig('gateway:gw-2', 'decode: { maxPayloadBytes: 8192 }\n', 'gw2-1');
    expect(own.json.gateways).toEqual(['gw-2']);
    await waitFor(() => inbox['gw-2']!.length === 2, 'gw-2\'s own config');
    // The fleet's config reaches gw-3 only: the others have narrower ones.
    const fleet = await putConfig('fleet', '{}', 'fleet-1');
    expect(fleet.json.gateways).toEqual(['gw-1', 'gw-2', 'gw-3']);
    await waitFor(() => inbox['gw-3']!.length === 1, 'the fleet config at gw-3');
    expect(inbox['gw-1']!.length + inbox['gw-2']!.length).toBe(3);
    expect((await view('gw-1')).config).toMatchObject({ desired: { target: 'site:plant-a', version: 'site-1' }, state: 'unknown', sentAt: clock.now() });
    expect((await view('gw-2')).config.desired).toMatchObject({ target: 'gateway:gw-2', version: 'gw2-1' });

    // Cleared, gw-2 falls back to its site's config, which is published to it.
    const cleared = await call(base, '/api/push/gateway:gw-2/config', { method: 'DELETE', token: admin });
    expect(cleared.json).toEqual({ removed: true, gateways: ['gw-2'] });
    await waitFor(() => inbox['gw-2']!.length === 3, 'the site config again at gw-2');
    expect(inbox['gw-2']![2]).toMatchObject({ id: site.json.desired.id, target: 'site:plant-a' });
  });

  it('checks a model before storing it, and sends it with its SHA-256', async () => {
    const good = tempModel('7', 2);
    const r = await putModel('gateway:gw-3', 'temp-model', good.onnx, good.manifest);
    expect(r.status).toBe(200);
    expect(r.json.desired).toMatchObject({ kind: 'model', name: 'temp-model', version: '7', size: good.onnx.length, target: 'gateway:gw-3' });
    await waitFor(() => inbox['gw-3']!.length === 1, 'the model at gw-3');
    const sent = inbox['gw-3']![0]!;
    expect(sent).toMatchObject({ kind: 'model', name: 'temp-model', version: '7', sha256: r.json.desired.sha256 });
    expect(Buffer.from((sent as Extract<PushMessage, { kind: 'model' }>).onnx, 'base64')).toEqual(Buffer.from(good.onnx));

    const wide = tempModel('8', 2, { features: ['temp.mean', 'temp.max'], normalisation: { mean: [0, 0], std: [1, 1] } });
    const cases: Array<[string, () => Promise<{ status: number; json: { code: string; message: string } }>, number, string]> = [
      ['a graph its manifest does not describe', () => putModel('fleet', 'temp-model', wide.onnx, wide.manifest), 400, 'ERR_MODEL_MISMATCH'],
      ['a manifest of another name', () => putModel('fleet', 'other', good.onnx, good.manifest), 400, 'ERR_API_BAD_REQUEST'],
      ['a model over maxModelBytes', () => putModel('fleet', 'temp-model', new Uint8Array(65 * 1024), good.manifest), 413, 'ERR_PUSH_TOO_LARGE'],
      ['a target that names no gateway', () => putModel('gateway:gw-9', 'temp-model', good.onnx, good.manifest), 404, 'ERR_PUSH_TARGET'],
      ['a config that is not YAML', () => putConfig('fleet', 'alerts: [rules'), 400, 'ERR_PUSH_PARSE'],
      ['a config changing what needs a restart', () => putConfig('fleet', 'windows: { maxKeys: 5 }'), 400, 'ERR_PUSH_NEEDS_RESTART'],
      ['a site no gateway is at', () => putConfig('site:nowhere', '{}'), 404, 'ERR_PUSH_TARGET'],
    ];
    for (const [what, attempt, status, code] of cases) {
      const answer = await attempt();
      expect(answer.status, what).toBe(status);
      expect(answer.json.code, what).toBe(code);
    }
    expect((await push.desired()).map((d) => `${d.target} ${d.kind}`)).toEqual(['gateway:gw-3 model']);
    expect(inbox['gw-1']).toEqual([]);
  });

  it('sends nothing to a gateway not heard from lately; it gets its desired state when it reports', async () => {
    clock.advance(fx.ctx.config.alerts.gatewayOfflineMs);
    await seen('gw-1');
    const c = (await putConfig('fleet', '{}', 'f1')).json.desired;
    await waitFor(() => inbox['gw-1']!.length === 1, 'the push at the gateway heard from');
    expect((await view('gw-2')).config).toMatchObject({ state: 'unknown', desired: { version: 'f1' } });
    expect((await view('gw-2')).config.sentAt).toBeUndefined();
    await report('gw-2', 1, runs(null));
    await waitFor(() => inbox['gw-2']!.length === 1, 'the push once gw-2 reported');
    expect(inbox['gw-2']![0]).toMatchObject({ id: c.id });
    expect(inbox['gw-3']).toEqual([]);
  });

  it('refuses a viewer\'s push', async () => {
    const r = await call(base, '/api/push/fleet/config', { method: 'PUT', token: viewer, body: { document: '{}' } });
    expect(r.status).toBe(403);
    expect(await push.desired()).toEqual([]);
  });
});

describe('desired against applied', () => {
  it('follows each gateway from pending to applied or refused, on the API and the bus', async () => {
    const c = (await putConfig('site:plant-a', 'alerts: { rules: [] }\n', 'c1')).json.desired;
    const m = tempModel('2', 2);
    const model = (await putModel('gateway:gw-1', 'temp-model', m.onnx, m.manifest)).json.desired;
    expect((await view('gw-1'))).toMatchObject({ reporting: false, inSync: false, config: { state: 'unknown' }, models: [{ name: 'temp-model', state: 'unknown' }] });

    await report('gw-1', 1, runs(null, [{ name: 'temp-model', version: '1', id: null }]));
    expect(await view('gw-1')).toMatchObject({ reporting: true, inSync: false, config: { state: 'pending', running: { id: null } }, models: [{ state: 'pending', running: { version: '1', id: null } }] });
    await report('gw-1', 2, runs(c.id, [{ name: 'temp-model', version: '2', id: model.id }]));
    const applied = await view('gw-1');
    expect(applied).toMatchObject({ inSync: true, config: { state: 'applied', desired: { version: 'c1' } }, models: [{ state: 'applied', running: { version: '2' } }] });
    expect(events.at(-1)).toEqual(applied);

    const refusal = { kind: 'config' as const, id: c.id as string, version: 'c1', code: 'ERR_CONFIG_INVALID', message: 'config is invalid (1 problem(s)):\n  - alerts.rules.0.detector: no detector is named nope', at: 5 };
    await report('gw-2', 1, runs(null, [], [refusal]));
    const refused = await view('gw-2');
    expect(refused.config).toMatchObject({ state: 'refused', running: { id: null }, error: { code: 'ERR_CONFIG_INVALID', message: refusal.message } });
    expect(refused.inSync).toBe(false);
    const all = (await call(base, '/api/push', { token: viewer })).json;
    expect(all.gateways.map((g: GatewayPushView) => [g.gateway, g.config.state])).toEqual([['gw-1', 'applied'], ['gw-2', 'refused'], ['gw-3', 'none']]);
    expect(all.desired.map((d: { target: string }) => d.target)).toEqual(['gateway:gw-1', 'site:plant-a']);

    // An older report arriving late does not undo what a newer one said.
    await report('gw-1', 0, runs(null));
    expect((await view('gw-1')).config.state).toBe('applied');
    // A gateway without push (no applied report) changes nothing.
    await push.recordStatus('gw-3', exampleStatus('gw-3', 3));
    expect((await view('gw-3')).reporting).toBe(false);
  });

  it('sends again what a reporting gateway neither runs nor refused, at most every resendAfterMs; a refused push never', async () => {
    const c = (await putConfig('gateway:gw-1', '{}', 'c1')).json.desired;
    await waitFor(() => inbox['gw-1']!.length === 1, 'the first send');
    const published = () => inbox['gw-1']!.length;
    await report('gw-1', 1, runs(null));
    clock.advance(59_999);
    await report('gw-1', 2, runs(null));
    expect(published()).toBe(1);
    clock.advance(1);
    await report('gw-1', 3, runs(null));
    await waitFor(() => published() === 2, 'a second send');
    expect(inbox['gw-1']![1]).toMatchObject({ id: c.id });
    expect(fx.ctx.metrics.render()).toMatch(/tributary_cloud_push_published_total\{kind="config"\} 2/);
    clock.advance(120_000);
    await report('gw-1', 4, runs(null, [], [{ kind: 'config', id: c.id as string, version: 'c1', code: 'ERR_PUSH_NEEDS_RESTART', message: 'no', at: 1 }]));
    clock.advance(120_000);
    await report('gw-1', 5, runs(null, [], [{ kind: 'config', id: c.id as string, version: 'c1', code: 'ERR_PUSH_NEEDS_RESTART', message: 'no', at: 1 }]));
    // The broker has delivered everything published before the last report's answer.
    await seen('gw-3');
    const marker = await putConfig('gateway:gw-3', '{}');
    await waitFor(() => inbox['gw-3']!.some((p) => p.id === marker.json.desired.id), 'a later push elsewhere');
    expect(published()).toBe(2);
  });
});
