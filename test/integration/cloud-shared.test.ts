// A cloud worker consuming from Debian's mosquitto (MQTT 5) through a shared subscription: acks go
// back through the broker, the worker's PUBACK to the broker waits until the items are durable,
// and a message held unacknowledged when the connection drops is delivered again.

import type { Packet } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { SharedSubscriber } from '../../cloud/ingest/shared-subscriber.js';
import type { Cloud } from '../../cloud/service/cloud.js';
import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import { gatedStore, openCloud, testCloudConfig } from '../helpers/cloud.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { mosquittoUnavailable, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { connectClient, metric, Teardown } from '../helpers/mqtt.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { encodeMessages, UplinkSender } from '../helpers/uplink-sender.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
const START = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
const missing = mosquittoUnavailable();

const teardown = new Teardown();
let dir: TempDir | undefined;
afterEach(async () => {
  await teardown.run();
  dir?.[Symbol.dispose]();
  dir = undefined;
});

async function broker(): Promise<Mosquitto> {
  const m = await startMosquitto();
  teardown.defer(() => m.stop());
  return m;
}

async function worker(url: string, connections: number, store?: ReturnType<typeof gatedStore>, id = 'cloud-test', dataDir?: string): Promise<Cloud> {
  dir ??= tempDir('tributary-cloud-shared-');
  const config = testCloudConfig(dataDir ?? dir.path, { 'gw-a': {} }, { cloud: { id }, mqtt: { broker: { enabled: false }, client: { url, connections, reconnectInitialMs: 50, reconnectMaxMs: 200 } } });
  return teardown.add(await openCloud(config, store ? { store: store.store } : {}));
}

async function gateway(url: string, name = 'gw-a'): Promise<UplinkSender> {
  const s = await UplinkSender.connect({ url, gateway: name, ackTimeoutMs: 60_000 });
  teardown.defer(() => s.close());
  return s;
}

/** PUBACKs a worker's connections sent, with when. */
function pubacks(cloud: Cloud): number[] {
  const at: number[] = [];
  for (const c of (cloud.source as SharedSubscriber).clients) c.on('packetsend', (p: Packet) => p.cmd === 'puback' && at.push(performance.now()));
  return at;
}

describe.skipIf(missing !== undefined)(`cloud worker on an MQTT 5 broker (${missing ?? 'mosquitto'})`, () => {
  it('subscribes to the shared up topics, acknowledges through the broker, and sends its PUBACK only once the items are durable', async () => {
    const m = await broker();
    dir = tempDir('tributary-cloud-shared-');
    const gated = gatedStore(new LevelCloudStore(dir.path));
    const cloud = await worker(m.url, 2, gated);
    expect(cloud.describe().join(' ')).toMatch(/2 connection\(s\) subscribed to \$share\/tributary\/tributary\/\+\/\+\/up\/\+/);
    expect(cloud.health().ok).toBe(true);
    const sent = pubacks(cloud);
    const gw = await gateway(m.url);
    const summaries = gatewaySummaries({ gateway: 'gw-a', devices: 2, metrics: ['temp'], start: START, seconds: 120, seed: 11 });
    const delivered = gw.deliver('summary', summaries, 6);
    await waitFor(() => gated.waiting() >= 1, 'a write waiting at the gate');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sent).toEqual([]);
    expect(gw.acks).toEqual([]);
    gated.release();
    await delivered;
    const messages = Math.ceil(summaries.length / 6);
    await waitFor(() => sent.length === messages, 'a PUBACK per message');
    // Each connection holds one message until it is stored: every PUBACK follows a durable write.
    const writes = [...gated.durableAt].sort((a, b) => a - b);
    for (const [i, t] of [...sent].sort((a, b) => a - b).entries()) expect(t).toBeGreaterThanOrEqual(writes[i]!);
    expect((await cloud.store.summaries({ from: 0, to: Date.now() })).length).toBe(summaries.length);

    // A gateway the config does not list is dead-lettered, not stored.
    const stranger = await gateway(m.url, 'gw-x');
    await stranger.publishRaw(encodeMessages('gw-x', 'summary', summaries.slice(0, 1))[0]!.topic, encodeMessages('gw-x', 'summary', summaries.slice(0, 1))[0]!.payload);
    await waitFor(() => metric(cloud.metrics, 'tributary_cloud_dead_letters_total', 'unknown_gateway') === 1, 'the unknown gateway dead-lettered');
  });

  it('gets a message held unacknowledged again when its connection drops, and stores it once', async () => {
    const m = await broker();
    dir = tempDir('tributary-cloud-shared-');
    const gated = gatedStore(new LevelCloudStore(dir.path));
    const cloud = await worker(m.url, 1, gated);
    const gw = await gateway(m.url);
    const summaries = gatewaySummaries({ gateway: 'gw-a', devices: 1, metrics: ['temp'], start: START, seconds: 60, seed: 12 });
    const delivered = gw.deliver('summary', summaries, 100);
    await waitFor(() => gated.waiting() === 1, 'the write waiting at the gate');
    // The network drops under the worker: no DISCONNECT, no PUBACK.
    const client = (cloud.source as SharedSubscriber).clients[0]!;
    client.stream.destroy();
    await waitFor(() => metric(cloud.metrics, 'tributary_cloud_mqtt_client_messages_received_total') === 2, 'the broker to deliver the message again');
    gated.release();
    await delivered;
    expect(metric(cloud.metrics, 'tributary_cloud_items_total', 'summary', 'inserted')).toBe(summaries.length);
    expect(metric(cloud.metrics, 'tributary_cloud_items_total', 'summary', 'unchanged')).toBe(summaries.length);
    expect((await cloud.store.summaries({ from: 0, to: Date.now() })).length).toBe(summaries.length);
    expect(metric(cloud.metrics, 'tributary_cloud_mqtt_client_reconnects_total')).toBeGreaterThanOrEqual(1);
  });

  it('closes a worker in the middle of a stream within bounds, and the other worker takes the rest', async () => {
    const m = await broker();
    dir = tempDir('tributary-cloud-shared-');
    const a = await worker(m.url, 2, undefined, 'worker-a', `${dir.path}/a`);
    const b = await worker(m.url, 2, undefined, 'worker-b', `${dir.path}/b`);
    const gw = await UplinkSender.connect({ url: m.url, gateway: 'gw-a', ackTimeoutMs: 2000 });
    teardown.defer(() => gw.close());
    const summaries = gatewaySummaries({ gateway: 'gw-a', devices: 10, metrics: ['temp', 'rpm'], start: START, seconds: 1500, seed: 13 });
    const streamed = gw.deliver('summary', summaries, 20);
    const messages = (c: Cloud) => metric(c.metrics, 'tributary_cloud_messages_total', 'summary');
    await waitFor(() => messages(a) >= 10, 'worker a to take part');
    const t = performance.now();
    await a.close();
    expect(performance.now() - t).toBeLessThan(5000);
    const afterClose = messages(b);
    await streamed;
    expect(messages(b)).toBeGreaterThan(afterClose);
    // Between them the two stores hold every summary; what worker a stored it acknowledged.
    const { LevelCloudStore } = await import('../../cloud/store/level/level-store.js');
    await using storeA = new LevelCloudStore(`${dir.path}/a/store`);
    await storeA.open();
    const ids = new Set([...(await storeA.summaries({ from: 0, to: Date.now(), limit: 100_000 })), ...(await b.store.summaries({ from: 0, to: Date.now(), limit: 100_000 }))].map((s) => s.id));
    expect(ids.size).toBe(new Set(summaries.map((s) => s.id)).size);
  });

  it('publishes to a gateway\'s down topics through the broker (config and model push)', async () => {
    const m = await broker();
    const cloud = await worker(m.url, 2);
    const listener = await connectClient(m.url, {}, teardown);
    const got: Array<{ topic: string; payload: string }> = [];
    listener.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
    await listener.subscribeAsync('tributary/v1/gw-a/+', { qos: 1 });
    await cloud.publish('tributary/v1/gw-a/config', Buffer.from('{"v":1}'), { qos: 1, retain: false });
    await waitFor(() => got.length === 1, 'the push at the gateway');
    expect(got).toEqual([{ topic: 'tributary/v1/gw-a/config', payload: '{"v":1}' }]);
  });
});
