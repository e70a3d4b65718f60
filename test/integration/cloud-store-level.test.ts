// The cloud store contract against LevelDB, each case in its own temporary folder; and alert
// writes beside summary writes.

import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { exampleAlert } from '../helpers/uplink-items.js';
import { waitFor } from '../helpers/wait.js';
import { cloudStoreContract } from './cloud-store.contract.js';

const dirs: TempDir[] = [];

cloudStoreContract('LevelDB', {
  setup: async () => ({
    fresh: async () => {
      const dir = tempDir('tributary-cloud-');
      dirs.push(dir);
      return dir.path;
    },
    create: (location, options) => new LevelCloudStore(location, options),
  }),
  teardown: async () => {
    for (const d of dirs.splice(0)) d[Symbol.dispose]();
  },
});

describe('LevelDB cloud store: alert writes', () => {
  it('stores an alert event while a group of summaries is still being written', async () => {
    using dir = tempDir('tributary-cloud-');
    // Fault injection: LevelDB holds every large batch (the summaries') until released; small ones (an alert's) go through.
    const proto = ClassicLevel.prototype as unknown as { batch: (...args: unknown[]) => { length: number; write: (o?: unknown) => Promise<void> } };
    const batch = proto.batch;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    proto.batch = function (this: unknown, ...args: unknown[]) {
      const b = batch.apply(this, args);
      if (args.length === 0) {
        const write = b.write.bind(b);
        b.write = async (o?: unknown) => {
          if (b.length > 100) {
            held++;
            await gate;
          }
          return write(o);
        };
      }
      return b;
    };
    const store = new LevelCloudStore(dir.path);
    try {
      await store.open();
      const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;
      const summaries = gatewaySummaries({ gateway: 'gw-1', devices: 20, metrics: ['temp'], start: hour, seconds: 600, seed: 9 });
      let summariesDone = false;
      const written = store.ingestSummaries(summaries).then(() => (summariesDone = true));
      await waitFor(() => held === 1, 'the summaries\' write to be held');
      const [result] = await store.upsertAlerts([exampleAlert('gw-1', 'gw-1-dev-1')]);
      expect(result).toMatchObject({ outcome: 'inserted', state: 'open' });
      expect(summariesDone).toBe(false);
      release();
      await written;
      expect((await store.summaries({ from: 0, to: Date.now(), limit: 100_000 })).length).toBe(summaries.length);
    } finally {
      release();
      proto.batch = batch;
      await store.close();
    }
  });
});
