// The embedded broker over real sockets: real MQTT.js clients on port 0 authenticate, publish to
// their own topics and are refused elsewhere; TLS; the connection limit; pause/resume; close.

import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../edge/auth/password.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { MqttBrokerSource, type AuthConfig, type BrokerConfig } from '../../edge/source/mqtt-broker/source.js';
import {
  connectClient, connectRefused, hasOpenssl, metric, recordingContext, selfSignedCert, Teardown, waitForMessages, whenClosed, type RecordingContext,
} from '../helpers/mqtt.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

let hash7: string;
let hash8: string;
beforeAll(async () => {
  // A low cost keeps the tests fast; the format and verification are the same as in production.
  [hash7, hash8] = await Promise.all([hashPassword('pw-pump-7', { logN: 10 }), hashPassword('pw-pump-8', { logN: 10 })]);
});

const M = 'tributary_mqtt_broker';

interface Started extends RecordingContext {
  readonly source: MqttBrokerSource;
  readonly url: string;
}

async function startBroker(broker: Partial<BrokerConfig> = {}, auth: Partial<AuthConfig> = {}): Promise<Started> {
  const rec = recordingContext(new FakeClock());
  const config: BrokerConfig = { enabled: true, host: '127.0.0.1', port: 0, noDelay: true, maxConnections: 100, ...broker };
  const users = { 'pump-7': { passwordHash: hash7 }, 'pump-8': { passwordHash: hash8 } };
  const source = teardown.add(new MqttBrokerSource(config, { allowAnonymous: false, users, ...auth }, 'sensors', rec.ctx));
  await source.open();
  return { ...rec, source, url: `mqtt://127.0.0.1:${source.port}` };
}

const pump7 = { clientId: 'pump-7', username: 'pump-7', password: 'pw-pump-7' };
const pump8 = { clientId: 'pump-8', username: 'pump-8', password: 'pw-pump-8' };

describe('MqttBrokerSource: authentication', () => {
  it('emits what an authenticated client publishes to its own topic, stamped by the gateway clock', async () => {
    const { source, url, messages, registry, clock } = await startBroker();
    const client = await connectClient(url, pump7, teardown);
    await client.publishAsync('sensors/pump-7', 'temp=1', { qos: 1 });
    await client.publishAsync('sensors/pump-7', 'temp=2', { qos: 0 });
    await waitForMessages(messages, 2);
    expect(messages).toEqual([
      { source: 'mqtt-broker', topic: 'sensors/pump-7', payload: Buffer.from('temp=1'), receivedAt: clock.now() },
      { source: 'mqtt-broker', topic: 'sensors/pump-7', payload: Buffer.from('temp=2'), receivedAt: clock.now() },
    ]);
    expect(metric(registry, `${M}_messages_received_total`)).toBe(2);
    expect(metric(registry, `${M}_received_bytes_total`)).toBe(12);
    expect(metric(registry, `${M}_connections_total`, 'tcp')).toBe(1);
    expect(metric(registry, `${M}_connections`, 'tcp')).toBe(1);
    expect(source.connections).toBe(1);
  });

  it.each([
    { what: 'a wrong password', options: { ...pump7, password: 'nope' }, code: 4, reason: 'bad_password' },
    { what: 'an unknown user', options: { clientId: 'ghost', username: 'ghost', password: 'pw-pump-7' }, code: 4, reason: 'unknown_user' },
    { what: 'a user name without a password', options: { clientId: 'nopw', username: 'pump-7' }, code: 4, reason: 'missing_credentials' },
    { what: 'no credentials (anonymous is off)', options: { clientId: 'anon' }, code: 5, reason: 'missing_credentials' },
  ])('refuses $what with CONNACK $code and counts it as $reason', async ({ options, code, reason }) => {
    const { url, registry, messages } = await startBroker();
    const err = await connectRefused(url, options);
    expect(err.code).toBe(code);
    expect(metric(registry, `${M}_auth_failures_total`, reason)).toBe(1);
    expect(messages).toEqual([]);
  });

  it('refuses to open with anonymous access on a host other machines can reach', async () => {
    const rec = recordingContext();
    const source = teardown.add(
      new MqttBrokerSource({ enabled: true, host: '0.0.0.0', port: 0, noDelay: true, maxConnections: 10 }, { allowAnonymous: true, users: {} }, 'sensors', rec.ctx),
    );
    await expect(source.open()).rejects.toMatchObject({ code: 'ERR_CONFIG_INSECURE' });
    expect(source.status).toBe('closed');
  });

  it('refuses to open when a user\'s password hash is malformed', async () => {
    const rec = recordingContext();
    const source = teardown.add(
      new MqttBrokerSource({ enabled: true, host: '127.0.0.1', port: 0, noDelay: true, maxConnections: 10 }, { allowAnonymous: false, users: { x: { passwordHash: 'scrypt$nope' } } }, 'sensors', rec.ctx),
    );
    await expect(source.open()).rejects.toMatchObject({ code: 'ERR_AUTH_BAD_HASH' });
  });
});

describe('MqttBrokerSource: topic ACL', () => {
  it('disconnects a client publishing to another device, counts it and drops its message, while others keep flowing', async () => {
    const { url, messages, registry } = await startBroker();
    const seven = await connectClient(url, pump7, teardown);
    const eight = await connectClient(url, pump8, teardown);
    await seven.publishAsync('sensors/pump-7', 'temp=1', { qos: 1 });

    const closed = whenClosed(eight);
    eight.publish('sensors/pump-7', 'temp=666', { qos: 0 });
    await closed;
    await seven.publishAsync('sensors/pump-7', 'temp=2', { qos: 1 });
    await waitForMessages(messages, 2);

    expect(messages.map((m) => m.payload.toString())).toEqual(['temp=1', 'temp=2']);
    expect(metric(registry, `${M}_publishes_denied_total`, 'other_device')).toBe(1);
    await waitFor(() => metric(registry, `${M}_connections`, 'tcp') === 1, 'the refused client gone');
  });

  it('lets a user publish for every device it lists, and nothing outside the prefix', async () => {
    const { url, messages, registry } = await startBroker({}, { users: { gateway: { passwordHash: hash7, devices: ['a', 'b'] } } });
    const client = await connectClient(url, { clientId: 'gw', username: 'gateway', password: 'pw-pump-7' }, teardown);
    await client.publishAsync('sensors/a', 'temp=1', { qos: 1 });
    await client.publishAsync('sensors/b', 'temp=2', { qos: 1 });
    await waitForMessages(messages, 2);
    const closed = whenClosed(client);
    client.publish('elsewhere/a', 'temp=3', { qos: 0 });
    await closed;
    expect(messages.map((m) => m.topic)).toEqual(['sensors/a', 'sensors/b']);
    expect(metric(registry, `${M}_publishes_denied_total`, 'bad_topic')).toBe(1);
  });

  it('refuses every subscription with SUBACK 0x80 and keeps the client connected', async () => {
    const { url, messages, registry } = await startBroker();
    const client = await connectClient(url, pump7, teardown);
    await expect(client.subscribeAsync('sensors/#', { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    expect(metric(registry, `${M}_subscribes_denied_total`)).toBe(1);
    await client.publishAsync('sensors/pump-7', 'temp=1', { qos: 1 });
    await waitForMessages(messages, 1);
    expect(client.connected).toBe(true);
  });

  it('lets anonymous clients on loopback publish to one level under the prefix, and no deeper', async () => {
    const { url, messages, registry } = await startBroker({}, { allowAnonymous: true });
    const client = await connectClient(url, { clientId: 'anything' }, teardown);
    await client.publishAsync('sensors/any-device', 'temp=1', { qos: 1 });
    await waitForMessages(messages, 1);
    const closed = whenClosed(client);
    client.publish('sensors/any-device/deeper', 'temp=2', { qos: 0 });
    await closed;
    expect(messages.map((m) => m.topic)).toEqual(['sensors/any-device']);
    expect(metric(registry, `${M}_publishes_denied_total`, 'bad_topic')).toBe(1);
  });
});

describe.skipIf(!hasOpenssl)('MqttBrokerSource: TLS listener (skips without the openssl command)', () => {
  it('accepts mqtts:// with the server certificate trusted, next to the plain listener', async () => {
    const dir = tempDir();
    teardown.defer(() => dir[Symbol.dispose]());
    const { certFile, keyFile } = selfSignedCert(dir.path);
    const { source, messages, registry } = await startBroker({ tls: { port: 0, certFile, keyFile } });
    expect(source.tlsPort).toBeGreaterThan(0);
    expect(source.tlsPort).not.toBe(source.port);
    const client = await connectClient(`mqtts://127.0.0.1:${source.tlsPort}`, { ...pump7, ca: readFileSync(certFile), rejectUnauthorized: true }, teardown);
    await client.publishAsync('sensors/pump-7', 'temp=1', { qos: 1 });
    await waitForMessages(messages, 1);
    expect(metric(registry, `${M}_connections_total`, 'tls')).toBe(1);
    expect(metric(registry, `${M}_connections`, 'tls')).toBe(1);
  });

  it('with caFile, requires a client certificate the CA signed', async () => {
    const dir = tempDir();
    teardown.defer(() => dir[Symbol.dispose]());
    const server = selfSignedCert(dir.path, 'server');
    const device = selfSignedCert(dir.path, 'device');
    const { source, messages, registry } = await startBroker({ tls: { port: 0, ...server, caFile: device.certFile } });
    const url = `mqtts://127.0.0.1:${source.tlsPort}`;
    const trust = { ca: readFileSync(server.certFile), rejectUnauthorized: true };

    await expect(connectClient(url, { ...pump7, ...trust })).rejects.toThrow();
    await waitFor(() => metric(registry, `${M}_auth_failures_total`, 'tls_handshake') >= 1, 'handshake failure counted');

    const client = await connectClient(url, { ...pump7, ...trust, cert: readFileSync(device.certFile), key: readFileSync(device.keyFile) }, teardown);
    await client.publishAsync('sensors/pump-7', 'temp=1', { qos: 1 });
    await waitForMessages(messages, 1);
  });
});

describe('MqttBrokerSource: flow and lifecycle', () => {
  it('closes connections beyond maxConnections and counts them', async () => {
    const { url, registry } = await startBroker({ maxConnections: 1 });
    await connectClient(url, pump7, teardown);
    await expect(connectClient(url, pump8)).rejects.toThrow();
    expect(metric(registry, `${M}_connections_refused_total`, 'max_connections')).toBe(1);
  });

  it('pause() stops delivery, holding bytes in the sockets; resume() delivers them in order', async () => {
    const { source, url, messages, registry } = await startBroker();
    const client = await connectClient(url, pump7, teardown);
    source.pause();
    for (let i = 0; i < 3; i++) client.publish('sensors/pump-7', `temp=${i}`, { qos: 0 });
    // MQTT 3.1.1 §3.3: each is 2 (fixed header) + 2 + 14 (topic) + 6 (payload) = 24 bytes.
    const published = 3 * 24;
    await waitFor(() => metric(registry, `${M}_unread_bytes`) === published, 'all three publishes waiting in the paused socket');
    expect(messages).toEqual([]);

    // A client connecting while paused is not served until resume() either.
    let eightConnected = false;
    const eight = connectClient(url, pump8, teardown).then((c) => ((eightConnected = true), c));
    await waitFor(() => metric(registry, `${M}_unread_bytes`) > published, 'the second client\'s CONNECT waiting unread');
    expect(eightConnected).toBe(false);

    source.resume();
    await waitForMessages(messages, 3);
    expect(messages.map((m) => m.payload.toString())).toEqual(['temp=0', 'temp=1', 'temp=2']);
    await eight;
    expect(metric(registry, `${M}_unread_bytes`)).toBe(0);
  });

  it('close() disconnects clients, releases the port, and is idempotent', async () => {
    const { source, url } = await startBroker();
    const client = await connectClient(url, pump7, teardown);
    const closed = whenClosed(client);
    await Promise.all([source.close(), source.close()]);
    await closed;
    await source.close();
    expect(source.status).toBe('closed');
    await expect(connectClient(url, pump7)).rejects.toThrow(/ECONNREFUSED/);
  });
});
