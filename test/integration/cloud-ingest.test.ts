// The cloud's ingest on its embedded broker, end to end over real MQTT into a real LevelDB (and a
// real PostgreSQL): batches of every class stored and acknowledged, resends acknowledged and not
// counted twice, bad messages dead-lettered with their reason without holding up the rest, and the
// PUBACK held until the write is durable.

import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { Cloud } from '../../cloud/service/cloud.js';
import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import type { StoredSummary } from '../../cloud/store/contract.js';
import { summaryId } from '../../edge/features/summary.js';
import { encodeBatch, newBatchId } from '../../edge/uplink/protocol.js';
import { brokerUrl, gatedStore, openCloud, testCloudConfig, testGateways } from '../helpers/cloud.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { metric, Teardown } from '../helpers/mqtt.js';
import { postgresUnavailable, startPostgres } from '../helpers/postgres.js';
import { diffRollups, rollupsFromScratch, storeRollups } from '../helpers/rollup-model.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { exampleAlert, exampleRaw, exampleReadingAlert, exampleStatus, T } from '../helpers/uplink-items.js';
import { UplinkSender } from '../helpers/uplink-sender.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
/** Windows an hour old: well inside the default 7 days the cloud keeps summaries. */
const START = Math.floor(Date.now() / HOUR) * HOUR - HOUR;

const teardown = new Teardown();
let dir: TempDir | undefined;
afterEach(async () => {
  await teardown.run();
  dir?.[Symbol.dispose]();
  dir = undefined;
});

async function worker(over: Record<string, unknown> = {}, options: Parameters<typeof openCloud>[1] = {}): Promise<{ cloud: Cloud; tokens: Record<string, string> }> {
  dir = tempDir('tributary-cloud-ingest-');
  const { gateways, tokens } = await testGateways(['gw-a', 'gw-b'], { 'gw-a': { site: 'plant-1', line: 'press' } });
  const cloud = teardown.add(await openCloud(testCloudConfig(dir.path, gateways, over), options));
  return { cloud, tokens };
}

async function sender(cloud: Cloud, gateway: string, token: string, ackTimeoutMs = 10_000): Promise<UplinkSender> {
  const s = await UplinkSender.connect({ url: brokerUrl(cloud), gateway, token, ackTimeoutMs });
  teardown.defer(() => s.close());
  return s;
}

/** The highest revision of each id. */
function latest<T extends { id: string; revision: number }>(items: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const s of items) if ((out.get(s.id)?.revision ?? -1) < s.revision) out.set(s.id, s);
  return out;
}

const items = (cloud: Cloud, cls: string, outcome: string) => metric(cloud.metrics, 'tributary_cloud_items_total', cls, outcome);

describe('cloud ingest (embedded broker, LevelDB)', () => {
  it('stores a gateway\'s batches of every class and acknowledges each item once it is durable; a resend is acknowledged and not counted twice', async () => {
    const { cloud, tokens } = await worker();
    const seen: StoredSummary[] = [];
    cloud.bus.on('summaries', (s) => seen.push(...s));
    const gw = await sender(cloud, 'gw-a', tokens['gw-a']!);
    const summaries = gatewaySummaries({ gateway: 'gw-a', devices: 4, metrics: ['temp', 'vib_rms'], start: START, seconds: 600, seed: 1, lateShare: 0.02 });
    const newest = latest(summaries);
    expect(newest.size).toBe(4 * 2 * 60);
    expect(summaries.length).toBeGreaterThan(newest.size);

    await gw.deliver('summary', summaries, 100);
    await gw.deliver('alert', [exampleAlert('gw-a', 'gw-a-dev-1', 0), exampleAlert('gw-a', 'gw-a-dev-1', 1)]);
    await gw.deliver('raw', [exampleRaw('gw-a', 'gw-a-dev-1')]);
    await gw.deliver('status', [exampleStatus('gw-a', 3)]);
    expect(gw.rejected).toEqual([]);
    const acked = gw.acks.flatMap((a) => a.acks);
    expect(acked.filter((a) => a.class === 'summary').length).toBe(summaries.length);

    const store = cloud.store;
    await store.flushRollups();
    const stored = await store.summaries({ from: 0, to: Date.now(), limit: 100_000 });
    expect(stored.length).toBe(newest.size);
    for (const s of stored) expect(s.revision).toBe(newest.get(s.id)!.revision);
    // Placed by the gateways config: gw-a's devices are at plant-1 / press.
    expect(new Set(stored.map((s) => `${s.site}/${s.line}`))).toEqual(new Set(['plant-1/press']));
    expect(diffRollups(await storeRollups(store.rollups()), rollupsFromScratch(stored))).toEqual([]);
    expect((await store.devices({ gateway: 'gw-a' })).map((d) => d.id)).toEqual(['gw-a-dev-0', 'gw-a-dev-1', 'gw-a-dev-2', 'gw-a-dev-3']);
    expect((await store.alert('a'.repeat(32)))?.event.revision).toBe(1);
    expect((await store.rawSnippets({ alert: 'a'.repeat(32) })).length).toBe(1);
    await waitFor(async () => (await store.gateways()).find((g) => g.id === 'gw-a')?.status?.seq === 3, 'the status report in the registry');
    expect((await store.gateways())[0]).toMatchObject({ id: 'gw-a', backlog: 120, lossLedger: { lossSince: T, loss: [{ class: 'raw', reason: 'evicted', items: 3 }] } });
    // The bus saw every stored revision that changed something.
    expect(seen.length).toBe(items(cloud, 'summary', 'inserted') + items(cloud, 'summary', 'replaced'));

    const inserted = items(cloud, 'summary', 'inserted');
    expect(inserted).toBe(newest.size);
    const before = await storeRollups(store.rollups());
    // The whole outbox again (a gateway that lost its acks): acknowledged, nothing counted twice.
    const acksBefore = gw.acks.length;
    await gw.deliver('summary', summaries, 250);
    expect(gw.acks.length).toBeGreaterThan(acksBefore);
    expect(items(cloud, 'summary', 'inserted')).toBe(inserted);
    expect(items(cloud, 'summary', 'unchanged') + items(cloud, 'summary', 'stale')).toBeGreaterThanOrEqual(newest.size);
    await store.flushRollups();
    expect(diffRollups(await storeRollups(store.rollups()), new Map([...before].map(([k, r]) => [k, r.point])))).toEqual([]);
    expect(metric(cloud.metrics, 'tributary_cloud_ingest_in_flight')).toBe(0);
  });

  it('stores a reading-threshold alert with the reading it was raised by (no window)', async () => {
    const { cloud, tokens } = await worker();
    const gw = await sender(cloud, 'gw-a', tokens['gw-a']!);
    const alert = exampleReadingAlert('gw-a', 'gw-a-dev-1');
    await gw.deliver('alert', [alert]);
    expect(gw.rejected).toEqual([]);
    expect(items(cloud, 'alert', 'inserted')).toBe(1);
    const stored = await cloud.store.alert(alert.id);
    expect(stored).toMatchObject({ state: 'open', event: { ruleType: 'reading-threshold', at: T + 3_000, evidence: { reading: { ts: T + 3_000, receivedAt: T + 3_040 }, features: { vib_rms: 4 } } } });
    expect(stored!.event.evidence.window).toBeUndefined();
    expect(stored!.history).toEqual([expect.objectContaining({ from: null, to: 'open', by: 'gateway:gw-a', revision: 0 })]);
  });

  it('dead-letters a bad message with its reason, rejects invalid items by id, and goes on with the rest', async () => {
    const { cloud, tokens } = await worker();
    const gw = await sender(cloud, 'gw-b', tokens['gw-b']!);
    const good = gatewaySummaries({ gateway: 'gw-b', devices: 2, metrics: ['temp'], start: START, seconds: 120, seed: 2 });
    const up = 'tributary/v1/gw-b/up/summary';
    const envelope = (items: unknown[]) => ({ v: 1, gateway: 'gw-b', class: 'summary', batch: newBatchId(), sentAt: Date.now(), items });
    const badItem = { ...good[0]!, id: 'f'.repeat(32), revision: 0, features: { ...good[0]!.features, count: 'three' } };
    const mismatched = { ...good[1]!, id: summaryId('gw-b', 'elsewhere', 'temp', 'tumbling', START, 10_000) };
    const expired = { ...good[2]!, window: { ...good[2]!.window, start: START - 30 * 24 * HOUR, end: START - 30 * 24 * HOUR + 10_000 } };
    const expiredItem = { ...expired, id: summaryId('gw-b', expired.device, expired.metric, 'tumbling', expired.window.start, 10_000) };

    await gw.publishRaw(up, 'not json at all');
    await gw.publishRaw(up, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]));
    await gw.publishRaw('tributary/v2/gw-b/up/summary', JSON.stringify({ ...envelope([good[0]]), v: 2 }));
    await gw.publishRaw(up, JSON.stringify({ ...envelope([good[0]]), gateway: 'gw-a' }));
    await gw.publishRaw('tributary/v1/gw-b/up/metrics', JSON.stringify(envelope([good[0]])));
    await gw.publishRaw(up, gzipSync(JSON.stringify(envelope([{ no: 'id' }]))));
    // One message with valid items and invalid ones: the valid are stored and acked, the invalid rejected by id.
    const mixed = encodeBatch({ gateway: 'gw-b', class: 'summary', batch: newBatchId(), sentAt: Date.now(), items: [good[3]!, badItem, mismatched, expiredItem] as never }, { gzip: true });
    await gw.publishRaw(mixed.topic, mixed.payload);
    await gw.deliver('summary', good, 50);

    await waitFor(() => gw.rejected.length >= 3, 'the rejects');
    expect(gw.rejected.map((r) => [r.id, r.reason]).sort()).toEqual(
      [
        [badItem.id, 'invalid'],
        [mismatched.id, 'invalid'],
        [expiredItem.id, 'expired'],
      ].sort(),
    );
    expect(gw.rejected.find((r) => r.id === badItem.id)?.detail).toMatch(/features\.count/);
    const dead = await cloud.store.deadLetters({ order: 'oldest' });
    expect(dead.map((d) => d.reason)).toEqual(['not_json', 'bad_compression', 'unsupported_version', 'wrong_topic', 'wrong_topic', 'invalid_item']);
    expect(dead[0]).toMatchObject({ gateway: 'gw-b', topic: up });
    expect(dead[0]!.bytes.toString()).toBe('not json at all');
    for (const [reason, n] of [['not_json', 1], ['bad_compression', 1], ['unsupported_version', 1], ['wrong_topic', 2], ['invalid_item', 1]] as const) {
      expect(metric(cloud.metrics, 'tributary_cloud_dead_letters_total', reason), reason).toBe(n);
    }
    expect((await cloud.store.summaries({ from: 0, to: Date.now(), limit: 10_000 })).length).toBe(latest(good).size);
    expect(items(cloud, 'summary', 'invalid')).toBe(3);
    expect(items(cloud, 'summary', 'expired')).toBe(1);
  });

  it('holds the PUBACK and the ack until the summaries are durable', async () => {
    dir = tempDir('tributary-cloud-ingest-');
    const gated = gatedStore(new LevelCloudStore(dir.path));
    const { gateways, tokens } = await testGateways(['gw-a']);
    const cloud = teardown.add(await openCloud(testCloudConfig(dir.path, gateways), { store: gated.store }));
    const gw = await sender(cloud, 'gw-a', tokens['gw-a']!);
    const batch = gatewaySummaries({ gateway: 'gw-a', devices: 1, metrics: ['temp'], start: START, seconds: 60, seed: 3 });
    const enc = encodeBatch({ gateway: 'gw-a', class: 'summary', batch: newBatchId(), sentAt: Date.now(), items: batch }, { gzip: true });
    let pubackAt = 0;
    const published = gw.client.publishAsync(enc.topic, enc.payload, { qos: 1 }).then(() => (pubackAt = performance.now()));
    await waitFor(() => gated.waiting() === 1, 'the write to be waiting');
    // Give a premature PUBACK or ack every chance to arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pubackAt).toBe(0);
    expect(gw.acks).toEqual([]);
    gated.release();
    await published;
    await waitFor(() => gw.acks.length === 1, 'the ack');
    expect(pubackAt).toBeGreaterThanOrEqual(gated.durableAt[0]!);
    expect(gw.acks[0]!.acks.length).toBe(batch.length);
  });
});

describe.skipIf(postgresUnavailable() !== undefined)('cloud ingest (embedded broker, PostgreSQL)', () => {
  it('stores and acknowledges a gateway\'s summaries in PostgreSQL', async () => {
    const server = await startPostgres();
    teardown.defer(() => server.stop());
    const { cloud, tokens } = await worker({ db: await server.createDatabase() });
    expect(cloud.store.name).toMatch(/postgres/);
    const gw = await sender(cloud, 'gw-a', tokens['gw-a']!);
    const summaries = gatewaySummaries({ gateway: 'gw-a', devices: 3, metrics: ['temp'], start: START, seconds: 300, seed: 4, lateShare: 0.02 });
    await gw.deliver('summary', summaries, 100);
    await gw.deliver('summary', summaries, 100);
    await cloud.store.flushRollups();
    const stored = await cloud.store.summaries({ from: 0, to: Date.now(), limit: 100_000 });
    expect(stored.length).toBe(latest(summaries).size);
    expect(items(cloud, 'summary', 'inserted')).toBe(stored.length);
    expect(diffRollups(await storeRollups(cloud.store.rollups()), rollupsFromScratch(stored))).toEqual([]);
  });
});
