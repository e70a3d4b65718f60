// The acknowledging test peer over a real aedes broker: a gateway-side MQTT.js client sends
// encoded batches and reads the acks back with the protocol's decoder; each fault knob behaves.

import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { decodeAck, encodeBatch, newBatchId, uplinkTopics, type Ack, type AckDecodeResult, type UplinkBatchInput } from '../../edge/uplink/protocol.js';
import { AckPeer } from '../helpers/ack-peer.js';
import { connectClient, startPlainBroker, Teardown } from '../helpers/mqtt.js';
import { exampleAlert, exampleSummary } from '../helpers/uplink-items.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const GW = 'gw-7';

async function setup(gzipAcks = false): Promise<{ peer: AckPeer; gateway: MqttClient; answers: AckDecodeResult[] }> {
  const broker = teardown.add(await startPlainBroker());
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const peer = teardown.add(await AckPeer.start({ url, gzip: gzipAcks }));
  const gateway = await connectClient(url, { clientId: GW }, teardown);
  const answers: AckDecodeResult[] = [];
  gateway.on('message', (topic, payload) => answers.push(decodeAck(topic, payload)));
  await gateway.subscribeAsync(uplinkTopics.ack(GW), { qos: 1 });
  return { peer, gateway, answers };
}

function summaries(n: number, from = 0): UplinkBatchInput {
  return { gateway: GW, class: 'summary', batch: newBatchId(), sentAt: Date.now(), items: Array.from({ length: n }, (_, i) => exampleSummary(GW, `pump-${from + i}`)) };
}

async function send(gateway: MqttClient, batch: UplinkBatchInput, gzip = true): Promise<void> {
  const enc = encodeBatch(batch, { gzip, gzipMinBytes: 0 });
  await gateway.publishAsync(enc.topic, enc.payload, { qos: 1 });
}

function ackOf(r: AckDecodeResult | undefined): Ack {
  if (!r?.ok) throw new Error(`expected a valid ack, got ${r ? r.reason : 'nothing'}`);
  return r.ack;
}

describe('AckPeer', () => {
  it('round-trips a gzip batch over a real broker: items held by id, acked by id and revision', async () => {
    const { peer, gateway, answers } = await setup(true);
    const batch = summaries(25);
    await send(gateway, batch);
    await waitFor(() => answers.length === 1, 'the ack');
    const ack = ackOf(answers[0]);
    expect(ack.batch).toBe(batch.batch);
    expect(ack.acks).toEqual(batch.items.map((s) => ({ class: 'summary', id: s.id, rev: 0 })));
    expect(peer.of('summary').map((h) => h.id).sort()).toEqual(batch.items.map((s) => s.id).sort());
    expect(peer.duplicates).toBe(0);
  });

  it('counts a re-sent batch as duplicates, keeps the highest revision, and acks again', async () => {
    const { peer, gateway, answers } = await setup();
    const batch = summaries(3);
    await send(gateway, batch);
    await send(gateway, batch);
    const revised = { ...batch, batch: newBatchId(), items: [{ ...batch.items[0]!, revision: 1 }] } as UplinkBatchInput;
    await send(gateway, revised);
    await waitFor(() => answers.length === 3, 'three acks');
    expect(peer.duplicates).toBe(3);
    expect(peer.items.get(batch.items[0]!.id)).toMatchObject({ revision: 1, copies: 3 });
    expect(ackOf(answers[2]).acks).toEqual([{ class: 'summary', id: batch.items[0]!.id, rev: 1 }]);
  });

  it('dead-letters a message it cannot decode, with the reason, and acks nothing', async () => {
    const { peer, gateway, answers } = await setup();
    await gateway.publishAsync(uplinkTopics.up(GW, 'summary'), Buffer.from('not json'), { qos: 1 });
    await send(gateway, summaries(1));
    await waitFor(() => answers.length === 1, 'the ack of the good batch');
    expect(peer.deadLetters).toEqual([expect.objectContaining({ reason: 'not_json' })]);
  });

  it('rejects invalid items and items it is told to, by id with a reason', async () => {
    const { peer, gateway, answers } = await setup();
    const good = exampleAlert(GW, 'pump-1');
    const refused = { ...exampleAlert(GW, 'pump-2'), id: 'b'.repeat(32) };
    const broken = { ...exampleAlert(GW, 'pump-3'), id: 'c'.repeat(32), severity: 'apocalyptic' };
    peer.faults.reject.set(refused.id, 'forbidden');
    await send(gateway, { gateway: GW, class: 'alert', batch: 'b1', sentAt: 1, items: [good, refused, broken as typeof good] });
    await waitFor(() => answers.length === 1, 'the ack');
    const ack = ackOf(answers[0]);
    expect(ack.acks).toEqual([{ class: 'alert', id: good.id, rev: 0 }]);
    expect(ack.rejects).toEqual([
      { class: 'alert', id: broken.id, rev: 0, reason: 'invalid', detail: expect.stringContaining('severity') },
      { class: 'alert', id: refused.id, rev: 0, reason: 'forbidden' },
    ]);
    expect(peer.of('alert').map((h) => h.id)).toEqual([good.id]);
  });

  it('drops acks, sends malformed acks, or acks unknown ids when told to', async () => {
    const { peer, gateway, answers } = await setup();
    peer.faults.dropAcks = true;
    await send(gateway, summaries(1, 0));
    await waitFor(() => peer.batches.length === 1, 'the first batch to arrive');
    peer.faults.dropAcks = false;
    peer.faults.malformedAcks = true;
    await send(gateway, summaries(1, 1));
    await waitFor(() => answers.length === 1, 'the malformed ack');
    peer.faults.malformedAcks = false;
    peer.faults.unknownIds = 2;
    const third = summaries(1, 2);
    await send(gateway, third);
    await waitFor(() => answers.length === 2, 'the third ack');
    // Acks come back in order on one connection: the first batch's ack was never sent.
    expect(answers[0]).toMatchObject({ ok: false, reason: 'invalid' });
    const ack = ackOf(answers[1]);
    expect(ack.acks).toHaveLength(3);
    expect(ack.acks[0]).toEqual({ class: 'summary', id: third.items[0]!.id, rev: 0 });
    expect(peer.items.size).toBe(3);
  });

  it('drops its connection mid-batch without acking, comes back, and acks the re-sent batch', async () => {
    const { peer, gateway, answers } = await setup();
    peer.faults.disconnectOnMessage = 1;
    const batch = summaries(5);
    await send(gateway, batch);
    await waitFor(() => peer.disconnects === 1 && peer.batches.length >= 1, 'the peer to drop the connection');
    await send(gateway, batch); // the gateway's ack timeout ran out: it sends again
    await waitFor(() => answers.some((a) => a.ok && a.ack.batch === batch.batch), 'an ack for the re-sent batch');
    expect(ackOf(answers.find((a) => a.ok)).acks.map((a) => a.id).sort()).toEqual(batch.items.map((s) => s.id).sort());
    expect(peer.duplicates).toBeGreaterThanOrEqual(5); // recorded before the drop, then again
  });
});
