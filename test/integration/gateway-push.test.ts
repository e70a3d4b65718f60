// Config and model push on a real gateway: pushes arrive over MQTT on its uplink's down topics
// (a plain broker stands in for the cloud's, an acknowledging peer reads its status reports),
// readings over its embedded broker. A valid config applies without a restart and its new rule
// starts raising; a model push swaps scores at a window boundary; whatever fails a check is refused
// with its code and message, reported up, and the old config or model keeps running; a restart
// runs what was applied, and sets aside what no longer fits the config file.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { AlertEvent } from '../../edge/alert/alert.js';
import { validateConfig } from '../../edge/config/load.js';
import type { Summary } from '../../edge/features/summary.js';
import { Gateway } from '../../edge/gateway/gateway.js';
import { encodePush, type AppliedReport, type PushInput } from '../../edge/uplink/push-protocol.js';
import type { StatusReport } from '../../edge/uplink/schemas.js';
import { AckPeer } from '../helpers/ack-peer.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { connectClient, startPlainBroker, Teardown, type PlainBroker } from '../helpers/mqtt.js';
import { configPush, modelPush, tempModel, writeTempModel } from '../helpers/push.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const GW = 'gw-test';
const T0 = Math.floor((Date.now() - 3_600_000) / 10_000) * 10_000;
const windowStart = (k: number) => T0 + k * 10_000;

const teardown = new Teardown();
let broker: PlainBroker;
let peer: AckPeer;
let cloud: MqttClient;
let files: TempDir;
let gw: TestGateway;
let devices: MqttClient;
const ticks = new Map<string, number>();

/** The gateway's config file: one motor kind, the test model v1 (score = temp²), one window closed by the next reading. */
async function fileConfig(): Promise<Record<string, unknown>> {
  return {
    devices: { kinds: { motor: ['motor-*'] } },
    models: [{ path: await writeTempModel(files.path, 'temp-v1', '1', 1) }],
    windows: { definitions: [{ kind: 'tumbling', sizeMs: 10_000 }], maxOutOfOrdernessMs: 0, idleTimeoutMs: 600_000 },
    detectors: [{ name: 'temp-shift', kind: 'level-shift', feature: 'temp.mean', params: { recent: 3, reference: 10, minSamples: 5, threshold: 3 } }],
    uplink: { url: `mqtt://127.0.0.1:${broker.port}`, lingerMs: 5, statusIntervalMs: 600_000 },
  };
}

beforeEach(async () => {
  files = tempDir();
  teardown.defer(() => files[Symbol.dispose]());
  broker = teardown.add(await startPlainBroker());
  peer = teardown.add(await AckPeer.start({ url: `mqtt://127.0.0.1:${broker.port}` }));
  cloud = await connectClient(`mqtt://127.0.0.1:${broker.port}`, {}, teardown);
  gw = await startGateway(await fileConfig());
  teardown.add(gw);
  devices = await gw.connect();
  ticks.clear();
});

afterEach(() => teardown.run());

async function push(p: PushInput): Promise<void> {
  const enc = encodePush(p);
  await cloud.publishAsync(enc.topic, enc.payload, { qos: 1 });
}

const applied = (): AppliedReport => gw.gateway.push!.applied();

/** Wait until the push has been applied (its id runs) or refused (a refusal names it). */
async function settledOn(id: string): Promise<AppliedReport> {
  return waitFor(() => {
    const a = applied();
    return a.config.id === id || a.models.some((m) => m.id === id) || a.refused.some((r) => r.id === id) ? a : undefined;
  }, `push ${id} handled`);
}

/** A reading in `device`'s next window; the one before it closes. Resolves once that window's summary is out. */
async function step(device: string, temp: number): Promise<Summary> {
  const k = ticks.get(device) ?? 0;
  ticks.set(device, k + 1);
  await devices.publishAsync(`sensors/${device}`, JSON.stringify({ ts: windowStart(k) + 5000, temp }), { qos: 1 });
  if (k === 0) return step(device, temp);
  const summary = await waitFor(() => gw.summaries.find((s) => s.device === device && s.window.start === windowStart(k - 1)), `${device}'s window ${k - 1}`);
  await gw.gateway.flush();
  return summary;
}

/**
 * The alert events raised so far. Not read from the outbox: the peer acknowledges what the uplink
 * sends, and the outbox lets go of it, sometimes before a test looks.
 */
async function alerts(): Promise<AlertEvent[]> {
  await gw.gateway.flush();
  return [...gw.alerts];
}

/** The newest status report the peer holds that carries an applied report. */
const lastReported = (): AppliedReport | undefined =>
  peer
    .of('status')
    .map((h) => h.item as StatusReport)
    .filter((s) => s.applied !== undefined)
    .sort((a, b) => b.seq - a.seq)[0]?.applied;

const TEMP_RULE = { name: 'temp-high', type: 'threshold', feature: 'temp.mean', above: 50, kinds: ['motor'] };

describe('config push', () => {
  it('applies without a restart: a new alert rule starts raising, and the status reports it', async () => {
    await step('motor-1', 60);
    expect(await alerts()).toEqual([]);
    const p = configPush(GW, { alerts: { rules: [TEMP_RULE] } }, { version: '2024-12-01.1' });
    await push(p);
    const a = await settledOn(p.id);
    expect(a.config).toMatchObject({ id: p.id, version: '2024-12-01.1' });
    expect(a.refused).toEqual([]);
    expect(gw.gateway.config.alerts.rules.map((r) => r.name)).toEqual(['temp-high']);
    expect(gw.gateway.file.alerts.rules).toEqual([]);
    await step('motor-1', 61);
    expect((await alerts()).map((e) => [e.rule, e.state, e.device])).toEqual([['temp-high', 'raised', 'motor-1']]);
    await waitFor(() => lastReported()?.config.id === p.id, 'a status report with the applied config');
    expect(gw.metric('tributary_push_applied_total{kind="config"}')).toBe(1);
  });

  it.each<[string, object | string, string, string[]]>([
    ['a document that is not YAML', 'alerts: [rules', 'ERR_PUSH_PARSE', ['is not valid YAML']],
    ['a list instead of a mapping', '- alerts', 'ERR_CONFIG_INVALID', ['a pushed config is a mapping']],
    [
      'two mistakes in the rules, both reported',
      { alerts: { rules: [{ ...TEMP_RULE, below: 60 }, { name: 'shift', type: 'detector', detector: 'nope' }] } },
      'ERR_CONFIG_INVALID',
      ['(2 problem(s))', 'alerts.rules.0: above (50) must exceed below (60)', 'alerts.rules.1.detector: no detector is named nope'],
    ],
    ['a new window, which needs a restart', { windows: { definitions: [{ kind: 'tumbling', sizeMs: 60_000 }] } }, 'ERR_PUSH_NEEDS_RESTART', ['windows.definitions', 'a push may change devices, models, detectors, alerts, decode']],
    ['another gateway id', { gateway: { id: 'gw-other' } }, 'ERR_PUSH_NEEDS_RESTART', ['gateway.id']],
    ['a model file the gateway does not have', { models: [{ path: '/nonexistent/m.onnx' }] }, 'ERR_MODEL_READ', ['/nonexistent/m.onnx']],
  ])('refuses %s, keeps the old config running and reports the code and message', async (_, overlay, code, says) => {
    const good = configPush(GW, { alerts: { rules: [TEMP_RULE] } });
    await push(good);
    await settledOn(good.id);
    const bad = configPush(GW, overlay, { version: 'bad-1' });
    await push(bad);
    const a = await settledOn(bad.id);
    expect(a.config.id).toBe(good.id);
    expect(a.refused).toHaveLength(1);
    expect(a.refused[0]).toMatchObject({ kind: 'config', id: bad.id, version: 'bad-1', code });
    for (const s of says) expect(a.refused[0]!.message).toContain(s);
    // The old config runs on: its rule still raises, with the old model's scores.
    const s = await step('motor-2', 70);
    expect(s.score).toMatchObject({ model: 'temp-model', version: '1', value: 4900 });
    expect((await alerts()).map((e) => [e.rule, e.device])).toContainEqual(['temp-high', 'motor-2']);
    const reported = await waitFor(() => lastReported()?.refused.find((r) => r.id === bad.id), 'the refusal in a status report');
    expect(reported).toMatchObject({ code, message: a.refused[0]!.message });
    expect(gw.metric(`tributary_push_refused_total{kind="config",reason="${code}"}`)).toBe(1);
    // A later good push clears the refusal of its slot.
    const fixed = configPush(GW, { alerts: { rules: [] } });
    await push(fixed);
    expect((await settledOn(fixed.id)).refused).toEqual([]);
  });

  it('ignores a push delivered again, and one older than what runs', async () => {
    const p = configPush(GW, { alerts: { rules: [TEMP_RULE] } }, { pushedAt: 2_000_000_000_000 });
    await push(p);
    await settledOn(p.id);
    const older = configPush(GW, { alerts: { rules: [] } }, { pushedAt: 1_000_000_000_000 });
    await push(p);
    await push(older);
    await waitFor(() => gw.metric('tributary_push_received_total{kind="config"}') === 3, 'three pushes received');
    await gw.gateway.push!.settled();
    expect(applied().config.id).toBe(p.id);
    expect(applied().refused).toEqual([]);
    expect(gw.metric('tributary_push_applied_total{kind="config"}')).toBe(1);
  });
});

describe('model push', () => {
  it('swaps the model at a window boundary: every batch scored by one version, old scores before, new after', async () => {
    const motors = ['motor-1', 'motor-2', 'motor-3'];
    for (const m of motors) await step(m, 3);
    const v2 = tempModel('2', 2);
    const p = modelPush(GW, v2.onnx, v2.manifest);
    // The push lands while windows keep closing.
    const racing = (async () => {
      for (let i = 0; i < 4; i++) for (const m of motors) await step(m, 3);
    })();
    await push(p);
    await racing;
    const a = await settledOn(p.id);
    expect(a.models).toEqual([{ name: 'temp-model', version: '2', id: p.id }]);
    for (const m of motors) await step(m, 3);
    const scored = gw.summaries.filter((s) => s.score !== undefined);
    const versions = scored.map((s) => s.score!.version);
    // In emission order: version 1 until the swap, version 2 after it, never back.
    const firstNew = versions.indexOf('2');
    expect(firstNew).toBeGreaterThan(0);
    expect(versions.slice(firstNew).every((v) => v === '2')).toBe(true);
    expect(versions.slice(0, firstNew).every((v) => v === '1')).toBe(true);
    for (const s of scored) expect(s.score!.value).toBe(s.score!.version === '1' ? 9 : 2.25);
    expect(gw.gateway.health().models).toEqual([{ name: 'temp-model', version: '2' }]);
    await waitFor(() => lastReported()?.models[0]?.id === p.id, 'the pushed model in a status report');
  });

  it.each<[string, () => PushInput, string, string]>([
    ['a manifest whose features do not fit the graph', () => { const m = tempModel('2', 2, { features: ['temp.mean', 'temp.max'], normalisation: { mean: [0, 0], std: [1, 1] } }); return modelPush(GW, m.onnx, m.manifest); }, 'ERR_MODEL_MISMATCH', 'its width must be 2'],
    ['a manifest that fails its schema', () => { const m = tempModel('2', 2, { threshold: 'high' }); return modelPush(GW, m.onnx, m.manifest); }, 'ERR_MODEL_MANIFEST', 'threshold'],
    ['bytes damaged in transfer', () => { const m = tempModel('2', 2); return modelPush(GW, m.onnx, m.manifest, { sha256: '0'.repeat(64) }); }, 'ERR_PUSH_INVALID', 'damaged in transfer'],
    ['a model for a window the gateway does not keep', () => { const m = tempModel('2', 2, { window: { kind: 'tumbling', sizeMs: 60_000 } }); return modelPush(GW, m.onnx, m.manifest); }, 'ERR_MODEL_WINDOW', 'tumbling/60000'],
    ['bytes that are not ONNX', () => { const m = tempModel('2', 2); return modelPush(GW, new Uint8Array([1, 2, 3]), m.manifest); }, 'ERR_MODEL_READ', 'not a model onnxruntime can load'],
  ])('refuses %s; the old model keeps scoring', async (_, make, code, says) => {
    await step('motor-1', 3);
    const p = make();
    await push(p);
    const a = await settledOn(p.id);
    expect(a.refused).toEqual([expect.objectContaining({ kind: 'model', id: p.id, name: 'temp-model', code, message: expect.stringContaining(says) as unknown })]);
    expect(a.models).toEqual([{ name: 'temp-model', version: '1', id: null }]);
    expect((await step('motor-1', 3)).score).toMatchObject({ version: '1', value: 9 });
    await waitFor(() => lastReported()?.refused.some((r) => r.id === p.id && r.code === code), 'the refusal reported');
    expect(gw.metric(`tributary_push_refused_total{kind="model",reason="${code}"}`)).toBe(1);
  });
});

describe('after a restart', () => {
  let dataDir: TempDir;
  beforeEach(() => {
    dataDir = tempDir();
    teardown.defer(() => dataDir[Symbol.dispose]());
  });

  async function open(file: Record<string, unknown>): Promise<Gateway> {
    const config = validateConfig({ gateway: { id: GW }, dataDir: dataDir.path, mqtt: { broker: { host: '127.0.0.1', port: 0 } }, auth: { allowAnonymous: true }, http: { enabled: false }, log: { level: 'silent' }, ...file });
    const gateway = new Gateway(config);
    await gateway.open();
    return gateway;
  }

  it('runs the applied config and model again; sets aside a config push the changed file no longer takes', async () => {
    // No uplink: the gateway of beforeEach holds the uplink's client id on the broker.
    const { uplink: _none, ...file } = await fileConfig();
    const first = await open(file);
    const rules = [TEMP_RULE, { name: 'temp-shifted', type: 'detector', detector: 'temp-shift', kinds: ['motor'] }];
    const c = configPush(GW, { alerts: { rules } }, { version: 'c7' });
    const v2 = tempModel('2', 2);
    const m = modelPush(GW, v2.onnx, v2.manifest);
    for (const p of [c, m]) {
      const enc = encodePush(p);
      first.push!.receive(p.kind, enc.payload, enc.topic);
    }
    await first.push!.settled();
    expect(first.push!.applied()).toMatchObject({ config: { id: c.id }, models: [{ id: m.id }], refused: [] });
    await first.close();

    const again = await open(file);
    try {
      expect(again.config.alerts.rules.map((r) => r.name)).toEqual(['temp-high', 'temp-shifted']);
      expect(again.push!.applied()).toMatchObject({ config: { id: c.id, version: 'c7' }, models: [{ name: 'temp-model', version: '2', id: m.id }], refused: [] });
      expect(again.health().models).toEqual([{ name: 'temp-model', version: '2' }]);
    } finally {
      await again.close();
    }

    // The file loses the detector the pushed rules name: the push no longer fits and the file runs.
    const changed = await open({ ...file, detectors: [] });
    try {
      expect(changed.config.alerts.rules).toEqual([]);
      const a = changed.push!.applied();
      expect(a.config).toEqual({ id: null, version: null, at: null });
      expect(a.refused).toEqual([expect.objectContaining({ kind: 'config', id: c.id, code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(/^at start-up, over the config file as it is now: .*no detector is named temp-shift/s) as unknown })]);
      // The pushed model does not depend on the detector: it still runs.
      expect(a.models).toEqual([{ name: 'temp-model', version: '2', id: m.id }]);
    } finally {
      await changed.close();
    }
  });
});
