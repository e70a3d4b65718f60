// The per-reading rules judge a reading when the ingest log takes it, before its group commit, and a
// checkpoint records the last seq they judged: on a real LevelDB, a checkpoint taken while readings
// were judged but not yet in the windows, then a "crash" (no final checkpoint), and the replay
// judges every reading exactly once over both runs.

import { afterEach, describe, expect, it } from 'vitest';
import type { AlertStateCut } from '../../edge/alert/engine.js';
import { systemClock } from '../../edge/clock/clock.js';
import { validateConfig } from '../../edge/config/load.js';
import type { Reading } from '../../edge/decode/reading.js';
import { Intake } from '../../edge/gateway/intake.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { CheckpointStore } from '../../edge/store/checkpoint.js';
import { openDb, type Db } from '../../edge/store/db.js';
import { Teardown } from '../helpers/mqtt.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const T0 = Date.UTC(2024, 10, 24, 12, 0, 0);

function reading(i: number): Reading {
  return { device: 'motor-1', ts: T0 + i * 100, tsFromArrival: false, receivedAt: T0 + i * 100, values: { vib_rms: i } };
}

/** Stand-ins for the analysis stage and the rules: the rules' state is the list of readings judged (by ts). */
function stage() {
  const judged: number[] = [];
  const analysis = { settle: () => Promise.resolve(), idle: true, reading: (r: Reading) => void judged.push(r.ts) };
  const rules = {
    cut: (): AlertStateCut => {
      const text = JSON.stringify(judged);
      return { text: () => Promise.resolve(text), close: () => {} };
    },
    restore: (state: unknown) => {
      judged.splice(0, judged.length, ...(state as number[]));
      return [];
    },
  };
  return { judged, analysis, rules };
}

async function openIntake(dir: TempDir, s: ReturnType<typeof stage>): Promise<{ db: Db; intake: Intake }> {
  const db = await openDb(dir.path);
  const config = validateConfig({ gateway: { id: 'gw-1' }, dataDir: dir.path, durability: { checkpointIntervalMs: 3_600_000 } });
  const intake = new Intake({
    db,
    config: config.durability,
    clock: systemClock,
    log: silentLogger(),
    metrics: new Registry(),
    engine: {
      gateway: 'gw-1',
      windows: [{ kind: 'tumbling', sizeMs: 1000 }],
      maxOutOfOrdernessMs: 200,
      allowedLatenessMs: 1000,
      idleTimeoutMs: 3_600_000,
      maxKeys: 1000,
      clock: systemClock,
      onSummary: () => {},
      onLate: () => {},
      onRejected: () => {},
    },
    analysis: s.analysis,
    rules: s.rules,
    onRestoredAlerts: () => {},
    flushStores: () => Promise.resolve(),
  });
  await intake.open();
  return { db, intake };
}

describe('per-reading rules judge on append', () => {
  it('judges a reading before its commit, and a crash after a checkpoint judges none twice', async () => {
    const dir = tempDir();
    teardown.defer(() => dir[Symbol.dispose]());

    // Run 1: five readings judged as they are appended, none yet on disk.
    const first = stage();
    const run1 = await openIntake(dir, first);
    const appended = [0, 1, 2, 3, 4].map((i) => run1.intake.append(reading(i), false));
    expect(first.judged).toEqual([0, 1, 2, 3, 4].map((i) => T0 + i * 100));
    expect(run1.intake.ingestLog.committedSeq).toBe(-1);
    // The checkpoint's feed position is behind what the rules judged; it puts those on disk first.
    await run1.intake.checkpoint();
    await Promise.all(appended);
    // Two more, on disk, after the checkpoint; then the "crash": the log and the database close, no final checkpoint.
    const after = [5, 6].map((i) => run1.intake.append(reading(i), false));
    await run1.intake.ingestLog.flush();
    await Promise.all(after);
    expect(first.judged).toHaveLength(7);
    await run1.intake.closeLog();
    await run1.db.close();

    const saved = await (async () => {
      const db = await openDb(dir.path);
      try {
        return await new CheckpointStore({ db }).latest();
      } finally {
        await db.close();
      }
    })();
    expect(saved!.position).toBeLessThan(4);
    expect(saved!.judged).toBe(4);

    // Run 2: the rules' state comes back with the five; the replay judges the two after them only.
    const second = stage();
    const run2 = await openIntake(dir, second);
    teardown.defer(async () => {
      await run2.intake.close();
      await run2.intake.closeLog();
      await run2.db.close();
    });
    expect(second.judged).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => T0 + i * 100));
  });
});
