// Scale-out: two cloud workers share the load through `$share` subscriptions on Debian's mosquitto
// (MQTT 5) and store into one PostgreSQL, while three gateways stream real window summaries (made
// by the edge's window engine, late readings and so revisions included) through their own uplink
// (edge/uplink/client.ts, outbox on LevelDB), and then send a quarter of them again. Every summary
// must be stored exactly once, both workers must have done part of the work, and the roll-ups must
// equal, bucket for bucket, those of a single worker (LevelDB, its embedded broker) fed the same.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cloud } from '../../cloud/service/cloud.js';
import type { CloudConfig } from '../../cloud/config/schema.js';
import { systemClock } from '../../edge/clock/clock.js';
import type { Summary } from '../../edge/features/summary.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Uplink } from '../../edge/uplink/client.js';
import { brokerUrl, openCloud, testCloudConfig, testGateways } from '../helpers/cloud.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { mosquittoUnavailable, startMosquitto } from '../helpers/mosquitto.js';
import { metric, Teardown } from '../helpers/mqtt.js';
import { postgresUnavailable, startPostgres } from '../helpers/postgres.js';
import { diffRollups, pointsOf, rollupsFromScratch, storeRollups } from '../helpers/rollup-model.js';
import { openTestOutbox } from '../helpers/outbox.js';
import { tempDir } from '../helpers/temp-dir.js';
import { uplinkConfig } from '../helpers/uplink.js';
import { waitFor } from '../helpers/wait.js';

const HOUR = 3_600_000;
const START = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const GATEWAYS = ['gw-1', 'gw-2', 'gw-3'] as const;
const PLACES = { 'gw-1': { site: 'plant-a', line: 'press' }, 'gw-2': { site: 'plant-a', line: 'paint' }, 'gw-3': { site: 'plant-b' } };
const missing = mosquittoUnavailable() ?? postgresUnavailable();

const teardown = new Teardown();
const dirs = [tempDir('tributary-scale-'), tempDir('tributary-scale-')];
afterAll(async () => {
  await teardown.run();
  for (const d of dirs) d[Symbol.dispose]();
});

/** What each gateway's window engine emitted, revisions included, in order. */
const streams = new Map<string, Summary[]>();
beforeAll(() => {
  GATEWAYS.forEach((gateway, g) => {
    streams.set(gateway, gatewaySummaries({ gateway, devices: 5, metrics: ['temp', 'vib_rms', 'current'], start: START, seconds: 900, seed: 100 + g, lateShare: 0.01 }));
  });
});

/**
 * Each gateway queues its summaries in a fresh outbox and its uplink sends them (batches of 40,
 * 8 in flight) until the outbox is empty; then a quarter of them again (a gateway that lost its acks).
 */
async function stream(url: string, tokens?: Record<string, string>): Promise<void> {
  await Promise.all(
    GATEWAYS.map(async (gateway) => {
      const dir = tempDir('tributary-scale-gw-');
      const tokenFile = join(dir.path, 'token');
      if (tokens) writeFileSync(tokenFile, tokens[gateway]!);
      const box = await openTestOutbox(join(dir.path, 'outbox'), { clock: systemClock });
      const uplink = new Uplink({
        gateway,
        config: uplinkConfig({ url, lingerMs: 5, maxBatchItems: 40, statusIntervalMs: 3_600_000, ...(tokens ? { username: gateway, tokenFile } : {}) }),
        outbox: box.outbox,
        clock: systemClock,
        log: silentLogger(),
        metrics: box.metrics,
      });
      const drained = () => waitFor(() => box.outbox.stats().used === 0 && uplink.idle, `${gateway}'s outbox to drain`, 60_000);
      try {
        const summaries = streams.get(gateway)!;
        for (const s of summaries) box.outbox.add('summary', s);
        await uplink.open();
        await drained();
        for (const s of summaries.slice(0, Math.ceil(summaries.length / 4))) box.outbox.add('summary', s);
        await drained();
        expect(box.outbox.ledger.entries(), gateway).toEqual([]);
      } finally {
        await uplink.close();
        await box.close();
        dir[Symbol.dispose]();
      }
    }),
  );
}

const inserted = (cloud: Cloud) => metric(cloud.metrics, 'tributary_cloud_items_total', 'summary', 'inserted');

describe.skipIf(missing !== undefined)(`scale-out: two workers, one PostgreSQL, mosquitto (${missing ?? 'mosquitto, postgresql'})`, () => {
  it('stores every summary exactly once across the workers, with the roll-ups of a single worker', async () => {
    const mosquitto = await startMosquitto();
    teardown.defer(() => mosquitto.stop());
    const pg = await startPostgres();
    teardown.defer(() => pg.stop());
    const db = await pg.createDatabase();
    const gatewaysOnBroker: CloudConfig['gateways'] = Object.fromEntries(GATEWAYS.map((g) => [g, PLACES[g]]));
    const workers = await Promise.all(
      ['worker-1', 'worker-2'].map(async (id) =>
        teardown.add(
          await openCloud(
            testCloudConfig(dirs[0]!.path, gatewaysOnBroker, {
              cloud: { id },
              db,
              mqtt: { broker: { enabled: false }, client: { url: mosquitto.url, connections: 2 } },
            }),
          ),
        ),
      ),
    );

    await stream(mosquitto.url);
    const [w1, w2] = workers as [Cloud, Cloud];
    await w1.store.flushRollups();

    const newest = new Map<string, number>();
    for (const summaries of streams.values()) for (const s of summaries) newest.set(s.id, Math.max(newest.get(s.id) ?? -1, s.revision));
    const stored = await w2.store.summaries({ from: 0, to: Date.now(), limit: 1_000_000 });
    expect(stored.length).toBe(newest.size);
    expect(stored.filter((s) => s.revision !== newest.get(s.id))).toEqual([]);
    expect(new Set(stored.map((s) => s.id)).size).toBe(newest.size);
    // Exactly once: each id inserted by one worker, once; both workers took part.
    expect(inserted(w1) + inserted(w2)).toBe(newest.size);
    for (const w of workers) {
      // The broker deals messages round robin over the four connections: each worker gets a real share.
      expect(inserted(w), w.config.cloud.id).toBeGreaterThan(newest.size / 10);
      expect(metric(w.metrics, 'tributary_cloud_messages_total', 'summary'), w.config.cloud.id).toBeGreaterThan(0);
    }
    const unchanged = metric(w1.metrics, 'tributary_cloud_items_total', 'summary', 'unchanged') + metric(w2.metrics, 'tributary_cloud_items_total', 'summary', 'unchanged');
    expect(unchanged).toBeGreaterThan(0);
    const pgRollups = await storeRollups(w1.store.rollups());
    expect(diffRollups(pgRollups, rollupsFromScratch(stored))).toEqual([]);

    // One worker, LevelDB, its embedded broker, fed the same messages.
    const { gateways, tokens } = await testGateways(GATEWAYS, PLACES);
    const single = teardown.add(await openCloud(testCloudConfig(dirs[1]!.path, gateways, { cloud: { id: 'single' } })));
    await stream(brokerUrl(single), tokens);
    await single.store.flushRollups();
    const levelRollups = await storeRollups(single.store.rollups());
    expect(levelRollups.size).toBe(pgRollups.size);
    expect(levelRollups.size).toBeGreaterThan(0);
    const scopes = new Set([...pgRollups.values()].map((r) => `${r.scope.kind}/${r.resolutionMs}`));
    expect(scopes.size).toBe(4 * 3);
    expect(diffRollups(pgRollups, pointsOf(levelRollups))).toEqual([]);
  });
});
