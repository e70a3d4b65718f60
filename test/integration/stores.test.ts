// The LevelDB stores: batched writes, bounded logs that evict oldest first, reopen continuing the sequence.

import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { BatchWriter } from '../../edge/store/batch-writer.js';
import { BoundedLog, readLog } from '../../edge/store/bounded-log.js';
import { openDb, type Db } from '../../edge/store/db.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

let dir: TempDir;
let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  dir[Symbol.dispose]();
});

async function setup(maxEntries: number) {
  dir ??= tempDir();
  db = await openDb(dir.path);
  const clock = new FakeClock();
  const registry = new Registry();
  const evicted = registry.counter('evicted_total', 'evicted').labels();
  const writer = new BatchWriter({ db, clock, log: silentLogger(), flushIntervalMs: 20, writeErrors: registry.counter('write_errors_total', 'errors') });
  const log = await BoundedLog.open<{ n: number }>(db, 'things', writer, maxEntries, evicted);
  return { clock, writer, log, evicted };
}

describe('bounded LevelDB log', () => {
  it('batches writes until the flush interval passes on the clock', async () => {
    dir = tempDir();
    const { clock, writer, log } = await setup(100);
    log.append({ n: 1 });
    log.append({ n: 2 });
    expect(writer.pending).toBe(2);
    expect((await readLog(db!, 'things', 10, 'oldest')).entries).toEqual([]);
    clock.advance(20);
    await writer.flush(); // the timer's flush is already under way; this waits for it
    expect(writer.pending).toBe(0);
    expect((await readLog<{ n: number }>(db!, 'things', 10, 'oldest')).entries.map((e) => e.value.n)).toEqual([1, 2]);
  });

  it('evicts the oldest entries beyond maxEntries and counts each eviction', async () => {
    dir = tempDir();
    const { log, evicted } = await setup(3);
    for (let n = 1; n <= 5; n++) log.append({ n });
    expect(log.size).toBe(3);
    expect(evicted.value).toBe(2);
    expect((await log.list(10, 'oldest')).map((e) => e.value.n)).toEqual([3, 4, 5]);
    expect((await log.list(2, 'newest')).map((e) => e.value.n)).toEqual([5, 4]);
  });

  it('continues the sequence after a reopen, so nothing is overwritten', async () => {
    dir = tempDir();
    let s = await setup(100);
    s.log.append({ n: 1 });
    s.log.append({ n: 2 });
    await s.writer.close();
    await db!.close();
    s = await setup(100);
    expect(s.log.size).toBe(2);
    expect(s.log.append({ n: 3 })).toBe(2);
    expect((await s.log.list(10, 'oldest')).map((e) => [e.seq, e.value.n])).toEqual([[0, 1], [1, 2], [2, 3]]);
  });
});
