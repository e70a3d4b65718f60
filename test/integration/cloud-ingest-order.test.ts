// The cloud's ingest decodes an alert event ahead of bulk messages read with it: a transport hands
// over every message of one read in the same turn and decoding is synchronous, so an alert behind
// messages of hundreds of summaries used to wait for their decoding. Real MQTT over TCP: one write
// carries a summary message and then an alert message, so the broker reads both at once.

import { connect as tcpConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as protocol from '../../edge/uplink/protocol.js';
import { brokerUrl, openCloud, testCloudConfig, testGateways } from '../helpers/cloud.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { Teardown } from '../helpers/mqtt.js';
import { tempDir } from '../helpers/temp-dir.js';
import { exampleAlert } from '../helpers/uplink-items.js';
import { encodeMessages } from '../helpers/uplink-sender.js';
import { waitFor } from '../helpers/wait.js';

// Which messages the ingest decoded, in order (decodeUplink is where a message's CPU goes).
const decoded: string[] = [];
vi.mock('../../edge/uplink/protocol.js', async (importOriginal) => {
  const original = await importOriginal<typeof protocol>();
  return {
    ...original,
    decodeUplink: (...args: Parameters<typeof original.decodeUplink>) => {
      decoded.push(args[0].split('/').at(-1)!);
      return original.decodeUplink(...args);
    },
  };
});

const teardown = new Teardown();
afterEach(() => teardown.run());

/** A raw MQTT 3.1.1 connection: packets are written exactly as given, several in one write. */
async function rawClient(url: string, username: string, password: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect({ host: hostname, port: Number(port) });
  teardown.defer(() => socket.destroy());
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const connack = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: `${username}-raw`, keepalive: 60, username, password: Buffer.from(password) }));
  await connack;
  return socket;
}

describe('cloud ingest order', () => {
  it('decodes an alert read in the same write as a summary message before the summaries', async () => {
    const dir = tempDir('tributary-cloud-order-');
    teardown.defer(() => dir[Symbol.dispose]());
    const { gateways, tokens } = await testGateways(['gw-a']);
    const cloud = teardown.add(await openCloud(testCloudConfig(dir.path, gateways)));

    const summaries = gatewaySummaries({ gateway: 'gw-a', devices: 50, metrics: ['temp', 'vib_rms'], start: Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000, seconds: 50, seed: 3, lateShare: 0 });
    const [bulk] = encodeMessages('gw-a', 'summary', summaries.slice(0, 500), 500);
    const [alert] = encodeMessages('gw-a', 'alert', [exampleAlert('gw-a', 'gw-a-dev-1', 0)]);
    const socket = await rawClient(brokerUrl(cloud), 'gw-a', tokens['gw-a']!);
    const publish = (m: { topic: string; payload: Buffer }, messageId: number) => mqttPacket.generate({ cmd: 'publish', topic: m.topic, payload: m.payload, qos: 1, messageId, retain: false, dup: false });
    socket.write(Buffer.concat([publish(bulk!, 1), publish(alert!, 2)]));

    await waitFor(() => decoded.length === 2, 'both messages decoded');
    expect(decoded).toEqual(['alert', 'summary']);
    // And both are stored.
    await waitFor(async () => (await cloud.store.alert('a'.repeat(32))) !== undefined, 'the alert stored');
    await waitFor(async () => (await cloud.store.summaries({ from: 0, to: Date.now(), limit: 1000 })).length === 500, 'the summaries stored');
  });
});
