// The gateway's own uplink (edge/uplink/client.ts, with its outbox on a real LevelDB) against the
// cloud worker's embedded broker: it logs in with its token, its outbox drains as the cloud
// acknowledges, a summary the cloud refuses lands in the gateway's loss ledger, and the status
// report that carries the ledger ends in the cloud's registry, readable by the cloud's alert rules.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lossMark } from '../../cloud/alerts/loss-ledger.js';
import { systemClock } from '../../edge/clock/clock.js';
import { summaryId } from '../../edge/features/summary.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Uplink } from '../../edge/uplink/client.js';
import { brokerUrl, openCloud, testCloudConfig, testGateways } from '../helpers/cloud.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { metric, Teardown } from '../helpers/mqtt.js';
import { openTestOutbox } from '../helpers/outbox.js';
import { tempDir } from '../helpers/temp-dir.js';
import { uplinkConfig } from '../helpers/uplink.js';
import { exampleAlert, exampleRaw } from '../helpers/uplink-items.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Math.floor(Date.now() / HOUR) * HOUR - HOUR;

const teardown = new Teardown();
afterEach(() => teardown.run());

describe('a gateway\'s uplink to the cloud', () => {
  it('drains its outbox as the cloud acknowledges, and reports what the cloud refused', async () => {
    const dir = tempDir('tributary-cloud-uplink-');
    teardown.defer(() => dir[Symbol.dispose]());
    const { gateways, tokens } = await testGateways(['gw-7'], { 'gw-7': { site: 'plant-7', line: 'l1' } });
    const cloud = teardown.add(await openCloud(testCloudConfig(join(dir.path, 'cloud'), gateways)));
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${tokens['gw-7']}\n`);

    const box = await openTestOutbox(join(dir.path, 'outbox'), { clock: systemClock });
    teardown.defer(() => box.close());
    const uplink = new Uplink({
      gateway: 'gw-7',
      config: uplinkConfig({ url: brokerUrl(cloud), username: 'gw-7', tokenFile, lingerMs: 5, statusIntervalMs: 3_600_000, maxBatchItems: 200 }),
      outbox: box.outbox,
      clock: systemClock,
      log: silentLogger(),
      metrics: box.metrics,
    });
    teardown.add(uplink);

    const summaries = gatewaySummaries({ gateway: 'gw-7', devices: 4, metrics: ['temp', 'vib_rms'], start: START, seconds: 600, seed: 21, lateShare: 0.02 });
    for (const s of summaries) box.outbox.add('summary', s);
    // A window older than the cloud keeps: refused for good, so the gateway stops sending it.
    const old = summaries[0]!;
    const oldStart = START - 30 * DAY;
    const expired = { ...old, id: summaryId('gw-7', old.device, old.metric, 'tumbling', oldStart, 10_000), window: { ...old.window, start: oldStart, end: oldStart + 10_000 } };
    box.outbox.add('summary', expired);
    box.outbox.add('alert', exampleAlert('gw-7', 'gw-7-dev-1'));
    box.outbox.add('raw', exampleRaw('gw-7', 'gw-7-dev-1'));
    await uplink.open();

    await waitFor(() => box.outbox.stats().used === 0 && uplink.idle, 'the outbox to drain', 30_000);
    const newest = new Map<string, number>();
    for (const s of summaries) newest.set(s.id, Math.max(newest.get(s.id) ?? -1, s.revision));
    const stored = await cloud.store.summaries({ from: 0, to: Date.now(), limit: 100_000 });
    expect(stored.length).toBe(newest.size);
    expect(stored.every((s) => s.revision === newest.get(s.id) && s.site === 'plant-7' && s.line === 'l1')).toBe(true);
    expect(await cloud.store.alert('a'.repeat(32))).toBeDefined();
    expect(await cloud.store.rawSnippets({ gateway: 'gw-7' })).toHaveLength(1);
    expect(metric(cloud.metrics, 'tributary_cloud_items_total', 'summary', 'expired')).toBe(1);

    // The next status report carries the rejected summary in the gateway's loss ledger.
    await uplink.reportStatus();
    await waitFor(async () => lossMark((await cloud.store.gateways())[0]?.lossLedger)?.byCause['summary/rejected'] === 1, 'the ledger in the cloud registry', 10_000);
    const record = (await cloud.store.gateways())[0]!;
    expect(record).toMatchObject({ id: 'gw-7', backlog: 0 });
    expect(record.status?.backlog.summary.items).toBe(0);
  });
});
