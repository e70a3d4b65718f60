// A cloud worker killed with SIGKILL after its ingests were acknowledged but before any roll-up
// pass: everything acknowledged is there after a restart, and the first pass brings the roll-ups
// to exactly what the summaries say — applied once, not again after another restart.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CloudStore } from '../../cloud/store/contract.js';
import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import { PgCloudStore } from '../../cloud/store/postgres/pg-store.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { diffRollups, rollupsFromScratch, storeRollups } from '../helpers/rollup-model.js';
import { tempDir } from '../helpers/temp-dir.js';

const CHILD = fileURLToPath(new URL('../../dist/test/fault/cloud-store-crash-child.js', import.meta.url));
const built = existsSync(CHILD) ? undefined : 'dist/ is not built: run `npm run build` (npm test does)';
const HOUR = 3_600_000;

/** Run the child until it has stored everything, then SIGKILL it. Returns how many it stored. */
async function storeThenKill(backend: 'level' | 'postgres', location: string, t0: number): Promise<number> {
  const child = spawn(process.execPath, [CHILD, backend, location, String(t0)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stored = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /stored (\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before storing`)));
  });
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
  return stored;
}

let server: PostgresServer | undefined;
afterAll(async () => {
  await server?.stop();
}, 60_000);

const cases: Array<[string, 'level' | 'postgres', string | undefined]> = [
  ['LevelDB', 'level', built],
  ['PostgreSQL', 'postgres', built ?? postgresUnavailable()],
];

describe.each(cases)('cloud store killed before its roll-up pass: %s', (_name, backend, skip) => {
  it.skipIf(skip !== undefined)(`recovers the pending roll-ups exactly once${skip ? ` — skipped: ${skip}` : ''}`, async () => {
    using dir = tempDir('tributary-crash-');
    const location = backend === 'level' ? dir.path : await (server ??= await startPostgres()).createDatabase();
    const open = async (): Promise<CloudStore> => {
      const options = { config: { rollups: { flushIntervalMs: 3_600_000 } } };
      const s = backend === 'level' ? new LevelCloudStore(location, options) : new PgCloudStore(location, options);
      await s.open();
      return s;
    };
    const t0 = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
    const stored = await storeThenKill(backend, location, t0);

    let store = await open();
    try {
      const held = await store.summaries({ from: 0, to: Date.now(), limit: 100_000 });
      expect(held.length).toBe(4 * 2 * 180);
      expect(stored).toBeGreaterThan(held.length); // revisions and their originals both acknowledged
      expect((await storeRollups(store.rollups())).size).toBe(0); // no pass ran before the kill
      await store.flushRollups();
      const model = rollupsFromScratch(held);
      expect(diffRollups(await storeRollups(store.rollups()), model)).toEqual([]);
      await store.close();
      // The work was deleted with the buckets written: another restart and pass change nothing.
      store = await open();
      await store.flushRollups();
      expect(diffRollups(await storeRollups(store.rollups()), model)).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);
});
