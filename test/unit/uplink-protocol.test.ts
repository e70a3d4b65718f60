// The uplink wire protocol: every class round-trips (plain and gzip), whole messages are refused
// with the right reason, bad items are singled out by id, acks decode or are refused, never thrown.

import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { catalogue } from '../../edge/errors/catalogue.js';
import {
  decodeAck, decodeUplink, encodeAck, encodeBatch, encodeBatchAsync, ItemText, newBatchId, parseTopic, protocolReason, PROTOCOL_VERSION, rawSnippetId, statusId,
  uplinkTopics, type OutgoingBatch, type ProtocolReason, type UplinkBatchInput, type UplinkDecodeResult,
} from '../../edge/uplink/protocol.js';
import { exampleAlert, exampleRaw, exampleStatus, exampleSummary } from '../helpers/uplink-items.js';

const GW = 'gw-7';
const up = (cls: string, gw = GW) => `tributary/v1/${gw}/up/${cls}`;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

const batches: Array<UplinkBatchInput> = [
  { gateway: GW, class: 'summary', batch: 'b1', sentAt: 1, items: [exampleSummary(GW, 'pump-1', 0), exampleSummary(GW, 'pump-1', 10_000, [4, 5], 2)] },
  { gateway: GW, class: 'alert', batch: 'b2', sentAt: 2, items: [exampleAlert(GW, 'pump-1'), exampleAlert(GW, 'pump-1', 1)] },
  { gateway: GW, class: 'raw', batch: 'b3', sentAt: 3, items: [exampleRaw(GW, 'pump-1')] },
  { gateway: GW, class: 'status', batch: 'b4', sentAt: 4, items: [exampleStatus(GW, 0), exampleStatus(GW, 1)] },
] as Array<UplinkBatchInput>;

function expectOk(r: UplinkDecodeResult): Extract<UplinkDecodeResult, { ok: true }> {
  if (!r.ok) throw new Error(`refused: ${r.reason}: ${r.error.message}`);
  return r;
}

describe('uplink protocol: batches', () => {
  it.each(batches.flatMap((b) => [{ b, gzip: false }, { b, gzip: true }]))('round-trips a $b.class batch (gzip $gzip)', ({ b, gzip }) => {
    const enc = encodeBatch(b, { gzip, gzipMinBytes: 0 });
    expect(enc.topic).toBe(uplinkTopics.up(GW, b.class));
    expect(enc.compressed).toBe(gzip);
    expect(enc.payload[0] === 0x1f && enc.payload[1] === 0x8b).toBe(gzip);
    const r = expectOk(decodeUplink(enc.topic, enc.payload));
    expect(r.invalid).toEqual([]);
    expect(r.batch).toEqual({ v: PROTOCOL_VERSION, ...b });
  });

  it.each([{ gzip: false, gzipMinBytes: 0 }, { gzip: true, gzipMinBytes: 0 }, { gzip: true, gzipMinBytes: 1 << 20 }])('encodeBatchAsync gives the bytes encodeBatch gives ($gzip, $gzipMinBytes)', async (options) => {
    // Small documents are compressed at once, large ones (500 summaries, past 16 KiB) on the thread pool.
    const large: UplinkBatchInput = { gateway: GW, class: 'summary', batch: 'c'.repeat(32), sentAt: 1, items: Array.from({ length: 500 }, (_, i) => exampleSummary(GW, `motor-${i}`, 0, [1, 2, i])) };
    expect(encodeBatch(large).jsonBytes).toBeGreaterThan(16 * 1024);
    for (const b of [...batches, large]) {
      const sync = encodeBatch(b, options);
      const async = await encodeBatchAsync(b, options);
      expect(async).toEqual(sync);
    }
  });

  it('sends items given as their JSON text (ItemText) in the same bytes as the items themselves, the bytes JSON.stringify gives', async () => {
    for (const b of batches) {
      const document = JSON.stringify({ v: PROTOCOL_VERSION, ...b });
      expect(encodeBatch(b).payload.toString()).toBe(document);
      const asText = { ...b, items: b.items.map((item) => new ItemText(JSON.stringify(item))) } as OutgoingBatch;
      for (const options of [{}, { gzip: true, gzipMinBytes: 0 }]) {
        expect(encodeBatch(asText, options)).toEqual(encodeBatch(b, options));
        expect(await encodeBatchAsync(asText, options)).toEqual(encodeBatch(b, options));
      }
      expect(gunzipSync(encodeBatch(asText, { gzip: true, gzipMinBytes: 0 }).payload).toString()).toBe(document);
      // Some items as text, some not.
      const mixed = { ...b, items: [...b.items, new ItemText(JSON.stringify(b.items[0]))] } as OutgoingBatch;
      expect((await encodeBatchAsync(mixed)).payload.toString()).toBe(JSON.stringify({ v: PROTOCOL_VERSION, ...b, items: [...b.items, b.items[0]] }));
    }
  });

  it('encodeBatchAsync gives the loop up while it makes a long JSON document (not for alert events)', async () => {
    // Items whose JSON takes 1 ms each (a getter that waits): 20 ms in all, five or more budgets of 4 ms.
    const slow = (i: number) => ({
      id: `s-${i}`,
      get spin(): number {
        const until = performance.now() + 1;
        while (performance.now() < until);
        return i;
      },
    });
    const turnsDuring = async (cls: 'summary' | 'alert'): Promise<{ turns: number; text: string }> => {
      const items = Array.from({ length: 20 }, (_, i) => slow(i));
      const batch = { gateway: GW, class: cls, batch: 'b9', sentAt: 9, items } as unknown as UplinkBatchInput;
      let turns = 0;
      let done = false;
      const tick = (): void => {
        if (done) return;
        turns++;
        setImmediate(tick);
      };
      setImmediate(tick);
      const enc = await encodeBatchAsync(batch);
      done = true;
      return { turns, text: enc.payload.toString() };
    };
    const summaries = await turnsDuring('summary');
    expect(summaries.turns).toBeGreaterThanOrEqual(4);
    // The same document as JSON.stringify of the whole (the getters give the same values again).
    expect(summaries.text).toBe(JSON.stringify({ v: PROTOCOL_VERSION, gateway: GW, class: 'summary', batch: 'b9', sentAt: 9, items: Array.from({ length: 20 }, (_, i) => ({ id: `s-${i}`, spin: i })) }));
    // Alert events are encoded in one go: their message leaves in the turn it was made.
    expect((await turnsDuring('alert')).turns).toBe(0);
  });

  it('compresses only documents of at least gzipMinBytes, and compression pays on summaries', () => {
    const small = encodeBatch(batches[2]!, { gzip: true, gzipMinBytes: 10_000 });
    expect(small.compressed).toBe(false);
    const many = { ...batches[0]!, items: Array.from({ length: 50 }, (_, i) => exampleSummary(GW, `pump-${i}`, i * 10_000)) } as UplinkBatchInput;
    const big = encodeBatch(many, { gzip: true });
    expect(big.compressed).toBe(true);
    expect(big.payload.length).toBeLessThan(big.jsonBytes / 2);
  });

  it('ignores properties it does not know (a newer sender within the same version)', () => {
    const item = { ...exampleSummary(GW, 'pump-1'), quality: 'good' };
    const r = expectOk(decodeUplink(up('summary'), json({ v: 1, gateway: GW, class: 'summary', batch: 'b', sentAt: 1, items: [item], hint: 'x' })));
    expect(r.batch.items).toHaveLength(1);
  });

  const tooBig = Buffer.alloc(2000, 0x20);
  const bomb = gzipSync(Buffer.from(JSON.stringify({ v: 1, pad: 'x'.repeat(5000) })));
  const envelope = { v: 1, gateway: GW, class: 'summary', batch: 'b', sentAt: 1, items: [exampleSummary(GW, 'pump-1')] };
  const refusals: Array<{ what: string; topic?: string; payload: Buffer; reason: ProtocolReason; code: string }> = [
    { what: 'a payload over maxBytes', payload: tooBig, reason: 'too_large', code: 'ERR_PROTOCOL_TOO_LARGE' },
    { what: 'a gzip bomb (over maxDecompressedBytes)', payload: bomb, reason: 'too_large', code: 'ERR_PROTOCOL_TOO_LARGE' },
    { what: 'gzip magic then garbage', payload: Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]), reason: 'bad_compression', code: 'ERR_PROTOCOL_BAD_COMPRESSION' },
    { what: 'text that is not JSON', payload: Buffer.from('temp=1'), reason: 'not_json', code: 'ERR_PROTOCOL_NOT_JSON' },
    { what: 'bytes that are not UTF-8', payload: Buffer.from([0x7b, 0xff, 0x7d]), reason: 'not_json', code: 'ERR_PROTOCOL_NOT_JSON' },
    { what: 'a JSON array', payload: json([envelope]), reason: 'not_json', code: 'ERR_PROTOCOL_NOT_JSON' },
    { what: 'an unknown version of any shape', payload: json({ v: 2, anything: true }), reason: 'unsupported_version', code: 'ERR_PROTOCOL_VERSION' },
    { what: 'no version', payload: json({ ...envelope, v: undefined }), reason: 'unsupported_version', code: 'ERR_PROTOCOL_VERSION' },
    { what: 'an envelope without items', payload: json({ ...envelope, items: [] }), reason: 'invalid', code: 'ERR_PROTOCOL_INVALID' },
    { what: 'an unknown class', topic: up('video'), payload: json({ ...envelope, class: 'video' }), reason: 'invalid', code: 'ERR_PROTOCOL_INVALID' },
    { what: 'a gateway other than the topic\'s', topic: up('summary', 'gw-8'), payload: json(envelope), reason: 'wrong_topic', code: 'ERR_PROTOCOL_TOPIC' },
    { what: 'a class other than the topic\'s', topic: up('alert'), payload: json(envelope), reason: 'wrong_topic', code: 'ERR_PROTOCOL_TOPIC' },
    { what: 'a topic of another version', topic: `tributary/v3/${GW}/up/summary`, payload: json(envelope), reason: 'wrong_topic', code: 'ERR_PROTOCOL_TOPIC' },
    { what: 'a topic outside the tree', topic: 'sensors/pump-1', payload: json(envelope), reason: 'wrong_topic', code: 'ERR_PROTOCOL_TOPIC' },
  ];

  it.each(refusals)('refuses $what as $reason', ({ topic, payload, reason, code }) => {
    const r = decodeUplink(topic ?? up('summary'), payload, { maxBytes: 1000, maxDecompressedBytes: 1000 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(reason);
    expect(r.error.code).toBe(code);
    expect(r.error.retryable).toBe(false);
    if (topic === undefined) expect(r.gateway).toBe(GW);
  });

  it('singles out bad items by id and revision, keeping the good ones', () => {
    const good = exampleSummary(GW, 'pump-1');
    const badFeature = { ...exampleSummary(GW, 'pump-2'), revision: 3, features: { ...good.features, mean: 'hot' } };
    const otherGateway = exampleSummary('gw-9', 'pump-3');
    const noId = { revision: 0 };
    const r = expectOk(decodeUplink(up('summary'), json({ ...envelope, items: [badFeature, good, otherGateway, noId] })));
    expect(r.batch.items).toEqual([good]);
    expect(r.invalid).toEqual([
      { index: 0, id: badFeature.id, rev: 3, problem: 'features.mean: must be number' },
      { index: 2, id: otherGateway.id, rev: 0, problem: `gateway is not ${GW}` },
      { index: 3, problem: expect.stringContaining('id') },
    ]);
  });

  it('maps every protocol error code to a reason', () => {
    const codes = Object.keys(catalogue).filter((c) => c.startsWith('ERR_PROTOCOL_'));
    expect(codes.map((c) => protocolReason(c as keyof typeof catalogue))).toEqual(['too_large', 'bad_compression', 'not_json', 'unsupported_version', 'invalid', 'wrong_topic']);
    expect(protocolReason('ERR_STORE_WRITE')).toBeUndefined();
  });
});

describe('uplink protocol: acks', () => {
  const ack = {
    gateway: GW,
    batch: 'b1',
    acks: [{ class: 'summary' as const, id: 'a'.repeat(32), rev: 2 }],
    rejects: [{ class: 'raw' as const, id: 'b'.repeat(32), rev: 0, reason: 'invalid', detail: 'readings.0.ts: must be integer' }],
  };

  it.each([false, true])('round-trips (gzip %s)', (gzip) => {
    const enc = encodeAck(ack, { gzip, gzipMinBytes: 0 });
    expect(enc.topic).toBe(`tributary/v1/${GW}/ack`);
    expect(decodeAck(enc.topic, enc.payload)).toEqual({ ok: true, ack: { v: 1, ...ack } });
  });

  it.each([
    { what: 'acks missing', body: { v: 1, gateway: GW }, reason: 'invalid' },
    { what: 'an id that is not 32 hex', body: { v: 1, gateway: GW, acks: [{ class: 'summary', id: 'x', rev: 0 }] }, reason: 'invalid' },
    { what: 'a negative revision', body: { v: 1, gateway: GW, acks: [{ class: 'summary', id: 'a'.repeat(32), rev: -1 }] }, reason: 'invalid' },
    { what: 'a reject without a reason', body: { v: 1, gateway: GW, acks: [], rejects: [{ class: 'raw', id: 'a'.repeat(32), rev: 0 }] }, reason: 'invalid' },
    { what: 'another gateway', body: { v: 1, gateway: 'gw-8', acks: [] }, reason: 'wrong_topic' },
    { what: 'version 9', body: { v: 9, gateway: GW, acks: [] }, reason: 'unsupported_version' },
    { what: 'a string', body: 'ack', reason: 'not_json' },
  ])('refuses an ack with $what as $reason', ({ body, reason }) => {
    const r = decodeAck(uplinkTopics.ack(GW), json(body));
    expect(r).toMatchObject({ ok: false, reason });
  });

  it('refuses an ack on an up topic and raw garbage without throwing', () => {
    expect(decodeAck(up('summary'), json({ v: 1, gateway: GW, acks: [] }))).toMatchObject({ ok: false, reason: 'wrong_topic' });
    expect(decodeAck(uplinkTopics.ack(GW), Buffer.from([0x1f, 0x8b, 0x08]))).toMatchObject({ ok: false, reason: 'bad_compression' });
  });
});

describe('uplink protocol: topics and ids', () => {
  it.each([
    { topic: 'tributary/v1/gw-7/up/alert', parsed: { direction: 'up', version: 'v1', gateway: 'gw-7', class: 'alert' } },
    { topic: 'tributary/v1/gw-7/ack', parsed: { direction: 'down', version: 'v1', gateway: 'gw-7', kind: 'ack' } },
    { topic: 'tributary/v1/gw-7/config', parsed: { direction: 'down', version: 'v1', gateway: 'gw-7', kind: 'config' } },
    { topic: 'tributary/v1//ack', parsed: undefined },
    { topic: 'tributary/v1/gw-7/up/alert/extra', parsed: undefined },
    { topic: 'other/v1/gw-7/ack', parsed: undefined },
  ])('parses $topic', ({ topic, parsed }) => {
    expect(parseTopic(topic)).toEqual(parsed);
  });

  it('names the reserved down topics and the subscriptions', () => {
    expect([uplinkTopics.config(GW), uplinkTopics.model(GW), uplinkTopics.down(GW), uplinkTopics.allUp]).toEqual([
      'tributary/v1/gw-7/config', 'tributary/v1/gw-7/model', 'tributary/v1/gw-7/+', 'tributary/+/+/up/+',
    ]);
  });

  it('makes deterministic item ids and random batch ids', () => {
    const a = 'c'.repeat(32);
    expect(rawSnippetId(GW, 'pump-1', a, 0)).toBe(rawSnippetId(GW, 'pump-1', a, 0));
    expect(new Set([rawSnippetId(GW, 'pump-1', a, 0), rawSnippetId(GW, 'pump-1', a, 1), rawSnippetId(GW, 'pump-2', a, 0), statusId(GW, 0), statusId(GW, 1)]).size).toBe(5);
    expect(statusId(GW, 4)).toMatch(/^[0-9a-f]{32}$/);
    expect(newBatchId()).toMatch(/^[0-9a-f]{16}$/);
    expect(newBatchId()).not.toBe(newBatchId());
  });

  it('refuses to encode an empty batch (a programmer mistake)', () => {
    expect(() => encodeBatch({ gateway: GW, class: 'alert', batch: 'b', sentAt: 1, items: [] })).toThrow(TypeError);
  });
});
