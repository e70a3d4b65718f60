// MqttClientSource against a plain aedes broker on port 0: messages under `<prefix>/+` are emitted,
// credentials come from a file and never reach the log, the source reconnects after the broker
// restarts on the same port, and pause/resume hold and release messages.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { IClientOptions } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../edge/clock/clock.js';
import { reconnectDelay } from '../../edge/source/mqtt-client/backoff.js';
import { MqttClientSource, type MqttClientSourceOptions } from '../../edge/source/mqtt-client/source.js';
import type { ClientConfig } from '../../edge/source/mqtt-client/client-options.js';
import { connectClient, metric, recordingContext, startPlainBroker, Teardown, waitForMessages, type PlainBroker, type RecordingContext } from '../helpers/mqtt.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const M = 'tributary_mqtt_client';
const fastReconnect: MqttClientSourceOptions = { reconnectInitialMs: 20, reconnectMaxMs: 200, connectTimeoutMs: 2000 };

async function startSource(broker: PlainBroker, config: Partial<ClientConfig> = {}, rec: RecordingContext = recordingContext(systemClock)) {
  const source = teardown.add(new MqttClientSource({ url: `mqtt://127.0.0.1:${broker.port}`, clientId: 'gw-test', qos: 1, ...config }, 'sensors', rec.ctx, fastReconnect));
  await source.open();
  return { ...rec, source };
}

async function publisher(broker: PlainBroker, options: IClientOptions = {}) {
  return connectClient(`mqtt://127.0.0.1:${broker.port}`, { clientId: `dev-${Math.random().toString(36).slice(2, 8)}`, ...options }, teardown);
}

describe('MqttClientSource', () => {
  it('emits messages published under <prefix>/+ and nothing else', async () => {
    const broker = teardown.add(await startPlainBroker());
    const { source, messages, registry, clock } = await startSource(broker);
    expect(metric(registry, `${M}_connected`)).toBe(1);
    const device = await publisher(broker);
    await device.publishAsync('other/pump-1', 'temp=0', { qos: 1 });
    await device.publishAsync('sensors/pump-1/deeper', 'temp=0', { qos: 1 });
    await device.publishAsync('sensors/pump-1', 'temp=1', { qos: 1 });
    await device.publishAsync('sensors/pump-2', 'temp=2', { qos: 0 });
    await waitForMessages(messages, 2);
    expect(messages.map((m) => [m.source, m.topic, m.payload.toString()])).toEqual([
      ['mqtt-client', 'sensors/pump-1', 'temp=1'],
      ['mqtt-client', 'sensors/pump-2', 'temp=2'],
    ]);
    expect(messages[0]!.receivedAt).toBeLessThanOrEqual(clock.now());
    expect(metric(registry, `${M}_messages_received_total`)).toBe(2);
    expect(metric(registry, `${M}_received_bytes_total`)).toBe(12);
    expect(source.connected).toBe(true);
  });

  it('reads the password from its file, and never logs it', async () => {
    const secret = 'correct-horse-battery-staple';
    const broker = teardown.add(
      await startPlainBroker(0, {
        authenticate: (_client, username, password, done) => done(null, username === 'edge' && password?.toString() === secret),
      }),
    );
    const dir = tempDir();
    teardown.defer(() => dir[Symbol.dispose]());
    const good = join(dir.path, 'good');
    const bad = join(dir.path, 'bad');
    writeFileSync(good, `${secret}\n`);
    writeFileSync(bad, 'wrong\n');

    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, next) => (lines.push(String(chunk)), next()) });
    const log = pino({ level: 'trace' }, sink);
    const url = `mqtt://edge:${secret}@127.0.0.1:${broker.port}`;

    // Refused at CONNACK: open() fails with a non-retryable code, and the client is closed.
    const refused = teardown.add(new MqttClientSource({ url: `mqtt://127.0.0.1:${broker.port}`, username: 'edge', passwordFile: bad, qos: 1 }, 'sensors', recordingContext(systemClock, log).ctx, fastReconnect));
    await expect(refused.open()).rejects.toMatchObject({ code: 'ERR_AUTH_BAD_CREDENTIALS', retryable: false });
    expect(refused.status).toBe('closed');

    const { messages } = await startSource(broker, { url, username: 'edge', passwordFile: good }, recordingContext(systemClock, log));
    const device = await publisher(broker, { username: 'edge', password: secret });
    await device.publishAsync('sensors/pump-1', 'temp=1', { qos: 1 });
    await waitForMessages(messages, 1);
    expect(lines.join('')).toContain('MQTT client connected');
    expect(lines.join('')).not.toContain(secret);
  });

  it('fails to open with ERR_MQTT_CONNECT when nothing listens', async () => {
    const broker = await startPlainBroker();
    await broker.close(); // a port that was just free and is now closed
    const source = teardown.add(new MqttClientSource({ url: `mqtt://127.0.0.1:${broker.port}`, qos: 1 }, 'sensors', recordingContext(systemClock).ctx, fastReconnect));
    await expect(source.open()).rejects.toMatchObject({ code: 'ERR_MQTT_CONNECT', retryable: true });
  });

  it('reconnects with backoff after the broker restarts on the same port, and subscribes again', async () => {
    let broker = await startPlainBroker();
    teardown.defer(() => broker.close());
    const { source, messages, registry } = await startSource(broker);
    const before = await publisher(broker);
    await before.publishAsync('sensors/pump-1', 'temp=1', { qos: 1 });
    await waitForMessages(messages, 1);

    await broker.close();
    await waitFor(() => !source.connected, 'the source to notice the broker is gone');
    expect(metric(registry, `${M}_connected`)).toBe(0);
    // The restarted broker keeps no session (memory persistence), so the source must subscribe anew.
    broker = await startPlainBroker(broker.port);
    const subscribed: string[] = [];
    broker.aedes.on('subscribe', (subs, client) => subscribed.push(`${client.id} ${subs.map((s) => s.topic).join(',')}`));
    await waitFor(() => source.connected, 'the source to reconnect');
    await waitFor(() => subscribed.length > 0, 'the source to subscribe again');
    expect(subscribed).toEqual(['gw-test sensors/+']);
    expect(metric(registry, `${M}_reconnects_total`)).toBeGreaterThanOrEqual(1);

    const after = await publisher(broker);
    await after.publishAsync('sensors/pump-1', 'temp=2', { qos: 1 });
    await waitForMessages(messages, 2);
    expect(messages[1]!.payload.toString()).toBe('temp=2');
    expect(source.status).toBe('open');
  });

  it('pause() holds messages in the socket; resume() delivers them in order', async () => {
    const broker = teardown.add(await startPlainBroker());
    const { source, messages, registry } = await startSource(broker);
    const device = await publisher(broker);
    source.pause();
    for (let i = 0; i < 3; i++) await device.publishAsync('sensors/pump-1', `temp=${i}`, { qos: 1 });
    await waitFor(() => metric(registry, `${M}_unread_bytes`) > 0, 'bytes waiting in the paused socket');
    expect(messages).toEqual([]);
    source.resume();
    await waitForMessages(messages, 3);
    expect(messages.map((m) => m.payload.toString())).toEqual(['temp=0', 'temp=1', 'temp=2']);
  });

  it('close() is idempotent and stops reconnecting', async () => {
    const broker = teardown.add(await startPlainBroker());
    const { source } = await startSource(broker);
    await Promise.all([source.close(), source.close()]);
    expect(source.status).toBe('closed');
    expect(source.connected).toBe(false);
    await expect(source.open()).rejects.toMatchObject({ code: 'ERR_NOT_OPEN' });
  });
});

describe('reconnectDelay', () => {
  const options = { initialMs: 100, maxMs: 1000 };
  it.each([
    [0, 50, 100],
    [1, 100, 200],
    [2, 200, 400],
    [3, 400, 800],
    [4, 500, 1000],
    [40, 500, 1000],
  ])('attempt %i waits between %i and %i ms', (attempt, low, high) => {
    expect(reconnectDelay(attempt, options, () => 0)).toBe(low);
    expect(reconnectDelay(attempt, options, () => 1)).toBe(high);
  });
});
