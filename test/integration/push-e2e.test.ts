// Config and model push end to end: a cloud worker as `tributary cloud` runs it (embedded broker,
// ingest, API and push service: cloudParts) and a real gateway process (`tributary edge`) that logs
// in with its token. An admin pushes over the API; the gateway applies or refuses and says so in
// its status reports, which the cloud's ingest stores and hands to the push service. A config with
// an error is refused by the gateway, which keeps running the old one and reports the error; a
// model push is applied and scores the next windows (the cloud stores them); after a restart the
// gateway still runs what was applied.

import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayPushView } from '../../cloud/push/views.js';
import { brokerUrl, openCloudWorker, testGateways } from '../helpers/cloud.js';
import { PEOPLE } from '../helpers/cloud-context.js';
import { startGatewayProcess, uplinkedGatewayConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { call } from '../helpers/http-client.js';
import { Teardown } from '../helpers/mqtt.js';
import { tempModel, writeTempModel } from '../helpers/push.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const GW = 'gw-1';
const teardown = new Teardown();
afterEach(() => teardown.run());

describe('config and model push to a gateway process', () => {
  it('applies a config, refuses one with an error (reported, the old one kept), hot-swaps a model, and keeps all of it across a restart', { timeout: 120_000 }, async () => {
    const dir = tempDir();
    teardown.defer(() => dir[Symbol.dispose]());
    // The cloud worker, with the parts `tributary cloud` runs.
    const { gateways, tokens } = await testGateways([GW], { [GW]: { site: 'lab' } });
    const { cloud, base } = await openCloudWorker(join(dir.path, 'cloud'), gateways);
    teardown.add(cloud);
    const admin = (await call(base, '/api/login', { method: 'POST', body: { username: 'ada', password: PEOPLE.ada.password } })).json.token as string;

    const until = (what: string, test: (v: GatewayPushView) => boolean) =>
      waitFor(async () => {
        const v = (await call(base, `/api/push/gateways/${GW}`, { token: admin })).json.gateway as GatewayPushView;
        return test(v) ? v : undefined;
      }, what, 30_000, 50);

    // The gateway process.
    const { path: configPath, mqttPort } = await uplinkedGatewayConfig(dir.path, {
      gateway: GW,
      url: brokerUrl(cloud),
      token: tokens[GW]!,
      over: {
        devices: { kinds: { motor: ['motor-*'] } },
        models: [{ path: await writeTempModel(dir.path, 'temp-v1', '1', 1) }],
        windows: { definitions: [{ kind: 'tumbling', sizeMs: 10_000 }], maxOutOfOrdernessMs: 0, idleTimeoutMs: 600_000 },
      },
    });
    const start = async (): Promise<GatewayProcess> => {
      const gw = await startGatewayProcess(configPath);
      teardown.defer(() => gw.child.kill('SIGKILL'));
      return gw;
    };
    let gw = await start();
    const healthOf = async () => (await (await fetch(`http://127.0.0.1:${gw.httpPort}/healthz`)).json()) as { models: Array<{ version: string }>; push: { config: { id: string | null } } };
    expect((await until('the gateway reporting what it runs', (v) => v.reporting)).config.state).toBe('none');

    // 1. A valid config: applied without a restart.
    const good = await call(base, `/api/push/gateway:${GW}/config`, { method: 'PUT', token: admin, body: { document: 'alerts:\n  rules:\n    - { name: temp-high, type: threshold, feature: temp.mean, above: 50 }\n', version: 'c1' } });
    expect(good.status).toBe(200);
    await until('config c1 applied', (v) => v.config.state === 'applied');

    // 2. A config with an error only the gateway can see (its file has no such detector): refused, reported, old one kept.
    const bad = await call(base, `/api/push/site:lab/config`, { method: 'PUT', token: admin, body: { document: 'alerts:\n  rules:\n    - { name: shifted, type: detector, detector: temp-shift }\n', version: 'c2' } });
    expect(bad.status).toBe(200);
    // The gateway's own desired config (c1) still wins over the site's: clear it, so c2 is what it should run.
    await call(base, `/api/push/gateway:${GW}/config`, { method: 'DELETE', token: admin });
    const refused = await until('config c2 refused', (v) => v.config.state === 'refused');
    expect(refused.config).toMatchObject({ desired: { version: 'c2', target: 'site:lab' }, running: { id: good.json.desired.id, version: 'c1' } });
    expect(refused.config.error).toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringContaining('alerts.rules.0.detector: no detector is named temp-shift') as unknown });
    expect((await healthOf()).push.config.id).toBe(good.json.desired.id);
    const metrics = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
    expect(metrics).toContain('tributary_push_refused_total{kind="config",reason="ERR_CONFIG_INVALID"} 1');

    // 3. A model: hot-swapped; the next windows are scored by it.
    const v2 = tempModel('2', 2);
    const model = await call(base, '/api/push/fleet/models/temp-model', { method: 'PUT', token: admin, body: { manifest: v2.manifest, onnx: Buffer.from(v2.onnx).toString('base64') } });
    expect(model.status).toBe(200);
    await until('model 2 applied', (v) => v.models.some((m) => m.name === 'temp-model' && m.state === 'applied' && m.running?.version === '2'));
    const devices: MqttClient = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 });
    teardown.defer(() => devices.endAsync(true));
    const t0 = Math.floor((Date.now() - 600_000) / 10_000) * 10_000;
    for (let k = 0; k < 3; k++) await devices.publishAsync('sensors/motor-1', JSON.stringify({ ts: t0 + k * 10_000 + 5000, temp: 3 }), { qos: 1 });
    const scored = await waitFor(async () => {
      const s = (await cloud.store.summaries({ device: 'motor-1', from: 0, to: Date.now() })).filter((x) => x.score !== undefined);
      return s.length >= 2 ? s : undefined;
    }, 'scored summaries in the cloud', 30_000, 50);
    for (const s of scored) expect(s.score).toMatchObject({ model: 'temp-model', version: '2', value: 2.25 });

    // 4. A restart: the gateway runs what was applied and says so.
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    gw = await start();
    const health = await healthOf();
    expect(health.push.config.id).toBe(good.json.desired.id);
    expect(health.models).toEqual([{ name: 'temp-model', version: '2' }]);
    const after = await until('a report from the restarted gateway', (v) => v.reportedAt !== null && v.reportedAt > refused.reportedAt!);
    expect(after.config.state).toBe('refused');
    expect(after.models.find((m) => m.name === 'temp-model')?.state).toBe('applied');
  });
});
