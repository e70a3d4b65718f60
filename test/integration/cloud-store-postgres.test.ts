// The cloud store contract against a real PostgreSQL server started for this file (initdb in a
// temporary folder), each case in a fresh database; then what only PostgreSQL has: migrations,
// and several workers writing one database. Skips, naming the package, without PostgreSQL.

import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Summary } from '../../edge/features/summary.js';
import { MIGRATIONS } from '../../cloud/store/postgres/migrations.js';
import { PgCloudStore } from '../../cloud/store/postgres/pg-store.js';
import { expectCode } from '../helpers/errors.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { prng } from '../helpers/prng.js';
import { diffRollups, rollupsFromScratch, storeRollups } from '../helpers/rollup-model.js';
import { noisyValues, windowSummary } from '../helpers/summaries.js';
import { DAY, MIN, NOW } from './cloud-store-harness.js';
import { cloudStoreContract } from './cloud-store.contract.js';

const skip = postgresUnavailable();
let starting: Promise<PostgresServer> | undefined;
const server = () => (starting ??= startPostgres());
afterAll(async () => {
  if (starting) await (await starting).stop();
}, 60_000);

cloudStoreContract('PostgreSQL', {
  skip,
  setup: async () => {
    const s = await server();
    return { fresh: () => s.createDatabase(), create: (location, options) => new PgCloudStore(location, options) };
  },
});

describe.skipIf(skip !== undefined)(`PostgreSQL store${skip ? ` — skipped: ${skip}` : ''}`, () => {
  const query = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  it('applies its migrations once, even to workers opening together, and refuses a newer schema', async () => {
    const url = await (await server()).createDatabase();
    const stores = [new PgCloudStore(url), new PgCloudStore(url), new PgCloudStore(url)];
    await Promise.all(stores.map((s) => s.open()));
    await Promise.all(stores.map((s) => s.close()));
    const again = new PgCloudStore(url);
    await again.open();
    await again.close();
    expect(await query(url, 'SELECT version, name FROM schema_migrations ORDER BY version')).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));

    await query(url, `INSERT INTO schema_migrations (version, name) VALUES (${Math.max(...MIGRATIONS.map((m) => m.version)) + 1}, 'from the future')`);
    await expectCode(new PgCloudStore(url).open(), 'ERR_CLOUD_DB_TOO_NEW');
  }, 60_000);

  it('says it cannot connect, naming the server but not the password', async () => {
    const s = await server();
    const url = s.url('postgres').replace(/:(\d+)\//, ':1/').replace('postgres@', 'postgres:secret@');
    const store = new PgCloudStore(url);
    expect(store.name).not.toContain('secret');
    await expectCode(store.open(), 'ERR_CLOUD_DB_CONNECT');
  });

  it('counts every summary once and keeps the roll-ups exact when two workers write one database at once', async () => {
    const url = await (await server()).createDatabase();
    const clock = new FakeClock(NOW);
    const workers = [new PgCloudStore(url, { clock }), new PgCloudStore(url, { clock })];
    await Promise.all(workers.map((w) => w.open()));
    try {
      const random = prng(99);
      const messages: Summary[] = [];
      for (const device of ['p1', 'p2', 'p3']) {
        for (let t = NOW - DAY; t < NOW - DAY + 30 * MIN; t += 10_000) {
          const s = windowSummary({ device, metric: 'flow', start: t, values: noisyValues(random, 3, 10, 5) });
          messages.push(s, s); // each worker may receive it
          if (random() < 0.2) messages.push(windowSummary({ device, metric: 'flow', start: t, revision: 1, values: noisyValues(random, 4, 12, 5) }));
        }
      }
      for (let i = messages.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [messages[i], messages[j]] = [messages[j]!, messages[i]!];
      }
      // Split between the workers, each sending its share in batches, both at the same time.
      const shares: Summary[][] = [[], []];
      for (const m of messages) shares[random() < 0.5 ? 0 : 1]!.push(m);
      const inserted = await Promise.all(
        workers.map(async (w, i) => {
          let n = 0;
          for (let at = 0; at < shares[i]!.length; at += 37) n += (await w.ingestSummaries(shares[i]!.slice(at, at + 37))).filter((r) => r.outcome === 'inserted').length;
          return n;
        }),
      );
      expect(inserted[0]! + inserted[1]!).toBe(3 * 180);
      // Either worker's pass applies the work both left pending.
      await workers[1]!.flushRollups();
      const held = await workers[0]!.summaries({ from: 0, to: NOW, limit: 10_000 });
      expect(held.length).toBe(3 * 180);
      for (const w of workers) expect(diffRollups(await storeRollups(w.rollups()), rollupsFromScratch(held))).toEqual([]);
      // A worker drops its bucket cache when the other has run a pass since its own, so windows
      // merged by each in turn still land on the right totals.
      await workers[0]!.flushRollups();
      for (const [i, device] of [[1, 'p1'], [0, 'p2'], [1, 'p3']] as const) {
        await workers[i]!.ingestSummaries([windowSummary({ device, metric: 'flow', start: NOW - DAY + 40 * MIN, values: [i + 1] })]);
        await workers[i]!.flushRollups();
      }
      const all = await workers[0]!.summaries({ from: 0, to: NOW, limit: 10_000 });
      expect(diffRollups(await storeRollups(workers[0]!.rollups()), rollupsFromScratch(all))).toEqual([]);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  }, 120_000);
});
