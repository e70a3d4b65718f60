// TCP_NODELAY on the MQTT.js clients' sockets (the uplink, the gateway as a broker's client, the
// cloud's shared subscriber): set on the first socket and again on the socket of every reconnection.

import { Socket } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { keepNoDelay } from '../../edge/source/mqtt-client/no-delay.js';
import { startPlainBroker, Teardown } from '../helpers/mqtt.js';

const teardown = new Teardown();
/** The client's next CONNACK. */
const connected = (client: MqttClient) => new Promise<void>((resolve) => client.once('connect', () => resolve()));
afterEach(async () => {
  vi.restoreAllMocks();
  await teardown.run();
});

describe('keepNoDelay', () => {
  it('turns Nagle off on the first socket and on each reconnection’s new socket', async () => {
    const broker = teardown.add(await startPlainBroker());
    const setNoDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    const noDelayOn = (stream: unknown) => setNoDelay.mock.contexts.some((ctx, i) => ctx === stream && setNoDelay.mock.calls[i]![0] === true);

    const client: MqttClient = connect(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0, connectTimeout: 5000 });
    teardown.defer(() => client.endAsync(true));
    keepNoDelay(client);
    await connected(client);
    const first = client.stream;
    expect(noDelayOn(first)).toBe(true);

    client.reconnect();
    await connected(client);
    expect(client.stream).not.toBe(first);
    expect(noDelayOn(client.stream)).toBe(true);
  });

  it('leaves a client alone without it: MQTT.js itself never sets it (why the helper exists)', async () => {
    const broker = teardown.add(await startPlainBroker());
    const setNoDelay = vi.spyOn(Socket.prototype, 'setNoDelay');
    const client: MqttClient = connect(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0, connectTimeout: 5000 });
    teardown.defer(() => client.endAsync(true));
    await connected(client);
    expect(setNoDelay.mock.contexts).not.toContain(client.stream);
  });
});
