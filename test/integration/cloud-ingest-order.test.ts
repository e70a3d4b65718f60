// The cloud's ingest decodes an alert event ahead of bulk messages read with it: a transport hands
// over every message of one read in the same turn and decoding is synchronous, so an alert behind
// messages of hundreds of summaries used to wait for their decoding. Bulk messages are decoded one
// per turn of the loop, so an alert read later — from another gateway: aedes reads a connection's
// next bytes only once the packets of its last read are handled — still goes before those not yet
// decoded. Real MQTT over TCP, several packets in one write so the broker reads them at once.

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
/** Called after each decode, with the class decoded. */
let afterDecode: (cls: string) => void = () => {};
vi.mock('../../edge/uplink/protocol.js', async (importOriginal) => {
  const original = await importOriginal<typeof protocol>();
  return {
    ...original,
    decodeUplink: (...args: Parameters<typeof original.decodeUplink>) => {
      const cls = args[0].split('/').at(-1)!;
      decoded.push(cls);
      const out = original.decodeUplink(...args);
      afterDecode(cls);
      return out;
    },
  };
});

const teardown = new Teardown();
afterEach(() => {
  decoded.length = 0;
  afterDecode = () => {};
  return teardown.run();
});

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

/**
 * A cloud, `count` summaries of gw-a encoded `perMessage` to a message, an alert message of
 * `alertGateway`, and a raw connection of each gateway (`sockets`).
 */
async function setup(count: number, perMessage: number, alertGateway = 'gw-a') {
  const dir = tempDir('tributary-cloud-order-');
  teardown.defer(() => dir[Symbol.dispose]());
  const { gateways, tokens } = await testGateways(['gw-a', 'gw-b']);
  const cloud = teardown.add(await openCloud(testCloudConfig(dir.path, gateways)));
  // 50 devices × 2 metrics: 100 summaries per 10-s window.
  const summaries = gatewaySummaries({ gateway: 'gw-a', devices: 50, metrics: ['temp', 'vib_rms'], start: Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000, seconds: count / 10, seed: 3, lateShare: 0 });
  expect(summaries).toHaveLength(count);
  const bulk = encodeMessages('gw-a', 'summary', summaries, perMessage);
  const [alert] = encodeMessages(alertGateway, 'alert', [exampleAlert(alertGateway, `${alertGateway}-dev-1`, 0)]);
  const socket = await rawClient(brokerUrl(cloud), 'gw-a', tokens['gw-a']!);
  const other = await rawClient(brokerUrl(cloud), 'gw-b', tokens['gw-b']!);
  const publish = (m: { topic: string; payload: Buffer }, messageId: number) => mqttPacket.generate({ cmd: 'publish', topic: m.topic, payload: m.payload, qos: 1, messageId, retain: false, dup: false });
  const stored = async () => {
    await waitFor(async () => (await cloud.store.alert('a'.repeat(32))) !== undefined, 'the alert stored');
    await waitFor(async () => (await cloud.store.summaries({ from: 0, to: Date.now(), limit: 10_000 })).length === count, 'the summaries stored');
  };
  return { bulk, alert: alert!, sockets: { 'gw-a': socket, 'gw-b': other }, publish, stored };
}

describe('cloud ingest order', () => {
  it('decodes an alert read in the same write as a summary message before the summaries', async () => {
    const { bulk, alert, sockets, publish, stored } = await setup(500, 500);
    sockets['gw-a'].write(Buffer.concat([publish(bulk[0]!, 1), publish(alert, 2)]));

    await waitFor(() => decoded.length === 2, 'both messages decoded');
    expect(decoded).toEqual(['alert', 'summary']);
    await stored();
  });

  it('decodes summary messages one per turn of the loop, so an alert of another gateway read after the first goes before the rest', async () => {
    const { bulk, alert, sockets, publish, stored } = await setup(600, 100, 'gw-b');
    expect(bulk).toHaveLength(6);
    // Six summary messages of gw-a in one write; gw-b's alert is written once the first of them is
    // decoded: the broker reads it at the loop's next poll for I/O, while five still wait.
    afterDecode = (cls) => {
      if (cls !== 'summary') return;
      afterDecode = () => {};
      sockets['gw-b'].write(publish(alert, 1));
    };
    sockets['gw-a'].write(Buffer.concat(bulk.map((m, i) => publish(m, i + 1))));

    await waitFor(() => decoded.length === 7, 'all seven messages decoded');
    // Every summary message decoded before the alert is a turn of the loop (one of margin: aedes
    // may take a turn to hand it over). Decoded in one go, all six would come before it.
    expect(decoded.filter((c) => c === 'summary')).toHaveLength(6);
    expect(decoded.indexOf('alert')).toBeGreaterThanOrEqual(1);
    expect(decoded.indexOf('alert')).toBeLessThanOrEqual(2);
    await stored();
  });
});
