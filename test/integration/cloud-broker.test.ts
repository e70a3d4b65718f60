// The cloud's embedded broker: who gets in (a token per gateway), what each gateway may publish and
// subscribe to (only its own topics), sessions bound to their gateway, and the TLS listener.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cloud } from '../../cloud/service/cloud.js';
import { brokerUrl, openCloud, testCloudConfig, testGateways } from '../helpers/cloud.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { connectClient, connectRefused, hasOpenssl, metric, selfSignedCert, Teardown, whenClosed } from '../helpers/mqtt.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { encodeMessages, UplinkSender } from '../helpers/uplink-sender.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
const START = Math.floor(Date.now() / HOUR) * HOUR - HOUR;

const teardown = new Teardown();
let dir: TempDir | undefined;
afterEach(async () => {
  await teardown.run();
  dir?.[Symbol.dispose]();
  dir = undefined;
});

async function worker(over: Record<string, unknown> = {}): Promise<{ cloud: Cloud; tokens: Record<string, string> }> {
  dir = tempDir('tributary-cloud-broker-');
  const { gateways, tokens } = await testGateways(['gw-a', 'gw-b']);
  const resolved = typeof over.mqtt === 'function' ? (over.mqtt as (d: string) => unknown)(dir.path) : over.mqtt;
  const cloud = teardown.add(await openCloud(testCloudConfig(dir.path, gateways, { ...over, ...(resolved ? { mqtt: resolved } : {}) })));
  return { cloud, tokens };
}

const refused = (cloud: Cloud, reason: string) => metric(cloud.metrics, 'tributary_mqtt_broker_auth_failures_total', reason);

describe('cloud embedded broker', () => {
  it('lets in only gateways with their own token', async () => {
    const { cloud, tokens } = await worker();
    const url = brokerUrl(cloud);
    const cases = [
      { name: 'wrong token', options: { username: 'gw-a', password: tokens['gw-b']! }, code: 4, reason: 'bad_password' },
      { name: 'unknown gateway', options: { username: 'gw-z', password: 'token-gw-z' }, code: 4, reason: 'unknown_user' },
      { name: 'no credentials', options: {}, code: 5, reason: 'missing_credentials' },
      { name: 'user name only', options: { username: 'gw-a' }, code: 5, reason: 'missing_credentials' },
    ];
    for (const c of cases) {
      const err = await connectRefused(url, { ...c.options, clientId: `probe-${c.reason}` });
      expect(err.code, c.name).toBe(c.code);
    }
    expect([refused(cloud, 'bad_password'), refused(cloud, 'unknown_user'), refused(cloud, 'missing_credentials')]).toEqual([1, 1, 2]);
    await connectClient(url, { username: 'gw-a', password: tokens['gw-a']!, clientId: 'gw-a-ok' }, teardown);
  });

  it('disconnects a gateway publishing for another, and stores nothing of it', async () => {
    const { cloud, tokens } = await worker();
    const url = brokerUrl(cloud);
    const forged = encodeMessages('gw-b', 'summary', gatewaySummaries({ gateway: 'gw-b', devices: 1, metrics: ['temp'], start: START, seconds: 60, seed: 1 }))[0]!;
    for (const [topic, reason] of [
      [forged.topic, 'other_gateway'],
      ['tributary/v1/gw-a/ack', 'bad_topic'],
      ['sensors/gw-a', 'bad_topic'],
    ] as const) {
      const client = await connectClient(url, { username: 'gw-a', password: tokens['gw-a']!, clientId: `gw-a-${reason}` }, teardown);
      const closed = whenClosed(client);
      client.publish(topic, forged.payload, { qos: 1 });
      await closed;
      expect(metric(cloud.metrics, 'tributary_mqtt_broker_publishes_denied_total', reason), topic).toBeGreaterThan(0);
    }
    expect(metric(cloud.metrics, 'tributary_mqtt_broker_publishes_denied_total', 'other_gateway')).toBe(1);
    expect(metric(cloud.metrics, 'tributary_mqtt_broker_publishes_denied_total', 'bad_topic')).toBe(2);
    expect(metric(cloud.metrics, 'tributary_cloud_messages_total', 'summary')).toBe(0);
    expect(await cloud.store.summaries({ from: 0, to: Date.now() })).toEqual([]);
    expect(await cloud.store.deadLetters()).toEqual([]);
  });

  it('lets a gateway subscribe to its own down topics only, and keeps its session from other gateways', async () => {
    const { cloud, tokens } = await worker();
    const url = brokerUrl(cloud);
    const gwA = await connectClient(url, { username: 'gw-a', password: tokens['gw-a']!, clientId: 'tributary-gw-a', clean: false }, teardown);
    const cases: Array<[string, boolean]> = [
      ['tributary/v1/gw-a/+', true],
      ['tributary/v1/gw-a/ack', true],
      ['tributary/v1/gw-a/config', true],
      ['tributary/v1/gw-b/ack', false],
      ['tributary/v1/+/ack', false],
      ['tributary/#', false],
      ['tributary/v1/gw-a/#', false],
      ['tributary/v1/gw-a/up/summary', false],
      ['$share/g/tributary/v1/gw-a/ack', false],
      ['$SYS/#', false],
    ];
    for (const [filter, allowed] of cases) {
      const granted = await gwA.subscribeAsync(filter, { qos: 1 }).catch(() => [{ qos: 128 }]);
      expect(granted[0]!.qos < 128, filter).toBe(allowed);
    }
    expect(metric(cloud.metrics, 'tributary_mqtt_broker_subscribes_denied_total')).toBe(7);
    // gw-b may not take over gw-a's session (and with it gw-a's acks) by using its client id.
    const err = await connectRefused(url, { username: 'gw-b', password: tokens['gw-b']!, clientId: 'tributary-gw-a', clean: false });
    expect(err.code).toBe(5);
    expect(refused(cloud, 'client_id_taken')).toBe(1);
    expect(gwA.connected).toBe(true);
  });

  it.skipIf(!hasOpenssl)('takes gateways over TLS too', async () => {
    const { cloud, tokens } = await worker({
      mqtt: (d: string) => ({ broker: { host: '127.0.0.1', port: 0, tls: { port: 0, ...selfSignedCert(d) } } }),
    });
    expect(cloud.source?.tlsPort).toBeGreaterThan(0);
    expect(cloud.describe().join(' ')).toMatch(/TLS on 127\.0\.0\.1:\d+/);
    const ca = readFileSync(`${dir!.path}/server.crt`);
    const gw = await UplinkSender.connect({ url: brokerUrl(cloud, true), gateway: 'gw-a', token: tokens['gw-a']!, mqtt: { ca, rejectUnauthorized: true } });
    teardown.defer(() => gw.close());
    const summaries = gatewaySummaries({ gateway: 'gw-a', devices: 2, metrics: ['temp'], start: START, seconds: 120, seed: 5 });
    await gw.deliver('summary', summaries, 10);
    expect(gw.acks.length).toBeGreaterThan(0);
    expect((await cloud.store.summaries({ from: 0, to: Date.now() })).length).toBe(new Set(summaries.map((s) => s.id)).size);
    expect(metric(cloud.metrics, 'tributary_mqtt_broker_connections_total', 'tls')).toBe(1);
    // A client that does not trust the certificate gets nowhere.
    await expect(UplinkSender.connect({ url: brokerUrl(cloud, true), gateway: 'gw-b', token: tokens['gw-b']!, clientId: 'untrusting' })).rejects.toThrow();
    await waitFor(() => refused(cloud, 'tls_handshake') >= 1, 'the failed handshake counted');
  });
});
