// Checkpoints on a real LevelDB, and recovery from them: a gateway "crashes" (stops without a
// final checkpoint) at random points, restarts from the checkpoint plus the log tail, and the
// summaries it emits, de-duplicated by (id, revision), are exactly those of a run without a crash.

import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Reading } from '../../edge/decode/reading.js';
import type { Summary } from '../../edge/features/summary.js';
import { recover } from '../../edge/gateway/recovery.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { CheckpointStore } from '../../edge/store/checkpoint.js';
import { openDb, type Db } from '../../edge/store/db.js';
import { IngestLog } from '../../edge/store/ingest-log.js';
import type { WindowEngine, WindowEngineOptions } from '../../edge/window/contract.js';
import { createWindowEngine } from '../../edge/window/engine.js';
import { Teardown } from '../helpers/mqtt.js';
import { prng } from '../helpers/prng.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const T0 = Date.UTC(2024, 10, 24, 12, 0, 0);

interface Parts {
  readonly db: Db;
  readonly log: IngestLog;
  readonly checkpoints: CheckpointStore;
  /** Where onCommitted feeds readings, as the gateway does: only logged readings reach the windows. */
  engine: WindowEngine | undefined;
  /** The newest seq fed to the engine: its log position. */
  fed: number;
}

async function open(dir: TempDir, clock: FakeClock): Promise<Parts> {
  const db = await openDb(dir.path);
  const parts: Partial<Parts> & { engine: WindowEngine | undefined; fed: number } = { engine: undefined, fed: -1 };
  const log = new IngestLog({
    db,
    clock,
    log: silentLogger(),
    metrics: new Registry(),
    commitIntervalMs: 1,
    onCommitted: (entries) => {
      for (const { seq, reading } of entries) {
        parts.engine?.add(reading);
        parts.fed = seq;
      }
    },
  });
  teardown.defer(() => db.close());
  teardown.add(log);
  await log.open();
  return Object.assign(parts, { db, log, checkpoints: new CheckpointStore({ db, committedSeq: () => log.committedSeq, partBytes: 4096 }) });
}

function engineOptions(clock: FakeClock, onSummary: (s: Summary) => void): WindowEngineOptions {
  return {
    gateway: 'gw-1',
    windows: [{ kind: 'tumbling', sizeMs: 1000 }, { kind: 'hopping', sizeMs: 3000, slideMs: 1000 }, { kind: 'session', gapMs: 600 }],
    maxOutOfOrdernessMs: 200,
    allowedLatenessMs: 1000,
    // Longer than the stream: idle closes depend on processing time, which a replay cannot repeat.
    idleTimeoutMs: 3_600_000,
    maxKeys: 1000,
    clock,
    onSummary,
    onLate: () => {},
    onRejected: () => {},
  };
}

function stream(seed: number, n: number): Reading[] {
  const random = prng(seed);
  const cursors = [0, 0, 0, 0];
  return Array.from({ length: n }, () => {
    const d = Math.floor(random() * cursors.length);
    cursors[d]! += random() < 0.1 ? 800 + Math.floor(random() * 1000) : Math.floor(random() * 200);
    const ts = T0 + cursors[d]! - Math.floor(random() < 0.1 ? random() * 1500 : random() * 150);
    return { device: `dev-${d}`, ts, tsFromArrival: false, receivedAt: 0, values: { temp: Math.round(random() * 1000) / 10, load: Math.floor(random() * 100) } };
  });
}

/** A summary without its emission time: what must be the same when it is re-emitted after recovery. */
const content = ({ emittedAt: _emittedAt, ...rest }: Summary) => rest;

function byIdAndRevision(summaries: readonly Summary[]): Map<string, ReturnType<typeof content>> {
  const out = new Map<string, ReturnType<typeof content>>();
  for (const s of summaries) {
    const key = `${s.id}/${s.revision}`;
    const earlier = out.get(key);
    // A re-emission after recovery is the same summary.
    if (earlier) expect(content(s), key).toEqual(earlier);
    out.set(key, content(s));
  }
  return out;
}

describe('CheckpointStore', () => {
  function snapshotOf(clock: FakeClock, readings: number) {
    const engine = createWindowEngine(engineOptions(clock, () => {}));
    for (let i = 0; i < readings; i++) engine.add({ device: `dev-${i % 50}`, ts: T0 + i * 10, tsFromArrival: false, receivedAt: clock.now(), values: { temp: i, load: -i } });
    const snapshot = engine.snapshot();
    engine.close();
    return snapshot;
  }

  it('has nothing before the first save, and returns what was saved after a reopen', async () => {
    using dir = tempDir();
    const clock = new FakeClock(T0);
    const snapshot = snapshotOf(clock, 2000);
    {
      const { db, log, checkpoints } = await open(dir, clock);
      expect(await checkpoints.latest()).toBeUndefined();
      const appended = log.append({ device: 'dev-0', ts: T0, tsFromArrival: false, receivedAt: T0, values: { temp: 1 } });
      clock.advance(1);
      await appended;
      const { bytes } = await checkpoints.save({ position: 0, takenAt: clock.now(), engine: snapshot, analysis: Buffer.from('detectors') });
      expect(bytes).toBeGreaterThan(4096); // split into several parts of 4 KiB
      await log.close();
      await db.close();
    }
    const { checkpoints } = await open(dir, clock);
    // The engine's snapshot as JSON holds it (its panes as arrays: snapshot.ts PanesCopy).
    expect(await checkpoints.latest()).toEqual({ position: 0, takenAt: T0 + 1, engine: JSON.parse(JSON.stringify(snapshot)), analysis: Buffer.from('detectors') });
  });

  it('replaces the previous checkpoint in the same batch, leaving only the new one', async () => {
    using dir = tempDir();
    const clock = new FakeClock(T0);
    const { db, checkpoints } = await open(dir, clock);
    await checkpoints.save({ position: -1, takenAt: 1, engine: snapshotOf(clock, 3000), analysis: Buffer.alloc(10_000, 7) });
    await checkpoints.save({ position: -1, takenAt: 2, engine: snapshotOf(clock, 10) });
    const latest = await checkpoints.latest();
    expect(latest?.takenAt).toBe(2);
    expect(latest?.analysis).toBeUndefined();
    const keys = await db.sublevel('checkpoint').keys().all();
    expect(keys.every((k) => k.startsWith('0000000000000001/'))).toBe(true);
  });

  it('refuses a position the log does not yet have on disk (TypeError)', async () => {
    using dir = tempDir();
    const clock = new FakeClock(T0);
    const { log, checkpoints } = await open(dir, clock);
    void log.append({ device: 'dev-0', ts: T0, tsFromArrival: false, receivedAt: T0, values: { temp: 1 } });
    await expect(checkpoints.save({ position: 0, takenAt: 1, engine: snapshotOf(clock, 1) })).rejects.toThrow(TypeError);
  });

  it('keeps the previous checkpoint when a save fails', async () => {
    using dir = tempDir();
    const clock = new FakeClock(T0);
    const { db, checkpoints } = await open(dir, clock);
    await checkpoints.save({ position: -1, takenAt: 1, engine: snapshotOf(clock, 5) });
    await db.close();
    await expect(checkpoints.save({ position: -1, takenAt: 2, engine: snapshotOf(clock, 6) })).rejects.toMatchObject({ code: 'ERR_STORE_WRITE' });
    await db.open();
    expect((await new CheckpointStore({ db }).latest())?.takenAt).toBe(1);
  });

  it('reports a damaged checkpoint as ERR_STORE_CORRUPT', async () => {
    using dir = tempDir();
    const clock = new FakeClock(T0);
    const { db, checkpoints } = await open(dir, clock);
    await checkpoints.save({ position: -1, takenAt: 1, engine: snapshotOf(clock, 500) });
    const sub = db.sublevel<string, Buffer>('checkpoint', { valueEncoding: 'buffer' });
    const [part] = await sub.keys({ gte: '0000000000000000/e/' }).all();
    await sub.put(part!, Buffer.from('not gzip'));
    await expect(checkpoints.latest()).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' });
    await sub.del(part!);
    await expect(checkpoints.latest()).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' });
  });
});

describe('recovery from a checkpoint and the log tail', () => {
  const N = 1500;
  const EVERY = 200; // readings between checkpoints

  /** Feed readings[from..to) through the log (and so into the engine), checkpointing every EVERY readings. */
  async function feed(clock: FakeClock, parts: Parts, readings: readonly Reading[], from: number, to: number): Promise<void> {
    const acks: Array<Promise<number>> = [];
    for (let i = from; i < to; i++) {
      clock.advance(3);
      acks.push(parts.log.append({ ...readings[i]!, receivedAt: clock.now() }));
      if ((i + 1) % EVERY === 0) {
        await parts.log.flush(); // on disk, so onCommitted has fed the engine
        await parts.checkpoints.save({ position: parts.fed, takenAt: clock.now(), engine: parts.engine!.snapshot() });
      }
    }
    await parts.log.flush();
    await Promise.all(acks); // every reading fed was acknowledged: durable
  }

  it.each([
    { seed: 1, crashAt: 0 },
    { seed: 1, crashAt: 777 },
    { seed: 2, crashAt: 1000 }, // right after a checkpoint
    { seed: 3, crashAt: 1499 },
  ])('seed $seed, crash after $crashAt readings: every reading counted once', async ({ seed, crashAt }) => {
    const readings = stream(seed, N);

    // The run that never crashed.
    const refClock = new FakeClock(T0);
    const reference: Summary[] = [];
    const ref = createWindowEngine(engineOptions(refClock, (s) => reference.push(s)));
    for (const r of readings) {
      refClock.advance(3);
      ref.add({ ...r, receivedAt: refClock.now() });
    }
    ref.flush();
    ref.close();

    using dir = tempDir();
    const clock = new FakeClock(T0);
    const emitted: Summary[] = [];
    {
      const parts = await open(dir, clock);
      parts.engine = (await recover({ log: parts.log, checkpoints: parts.checkpoints, engine: engineOptions(clock, (s) => emitted.push(s)) })).engine;
      await feed(clock, parts, readings, 0, crashAt);
      // kill -9: no final checkpoint, the engine's state is simply gone.
      parts.engine.close();
      await parts.log.close();
      await parts.db.close();
    }
    const parts = await open(dir, clock);
    const recovered = await recover({ log: parts.log, checkpoints: parts.checkpoints, engine: engineOptions(clock, (s) => emitted.push(s)) });
    const lastCheckpoint = crashAt - (crashAt % EVERY) - 1;
    expect(recovered.checkpoint?.position ?? -1).toBe(lastCheckpoint);
    expect(recovered.replayed).toBe(crashAt - 1 - lastCheckpoint);
    expect(recovered.position).toBe(crashAt - 1);
    parts.engine = recovered.engine;
    parts.fed = recovered.position;
    await feed(clock, parts, readings, crashAt, N);
    recovered.engine.flush();
    recovered.engine.close();

    expect(recovered.engine.stats.readingsIn).toBe(N);
    const got = byIdAndRevision(emitted);
    const want = byIdAndRevision(reference);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [key, s] of want) expect(got.get(key), key).toEqual(s);
  });

  it('sets aside a checkpoint of another window configuration and replays after it', async () => {
    using dir = tempDir();
    const clock = new FakeClock(T0);
    const readings = stream(4, 300);
    {
      const parts = await open(dir, clock);
      parts.engine = (await recover({ log: parts.log, checkpoints: parts.checkpoints, engine: engineOptions(clock, () => {}) })).engine;
      await feed(clock, parts, readings, 0, 250);
      parts.engine.close();
      await parts.log.close();
      await parts.db.close();
    }
    const parts = await open(dir, clock);
    const options = { ...engineOptions(clock, () => {}), windows: [{ kind: 'tumbling' as const, sizeMs: 5000 }] };
    const recovered = await recover({ log: parts.log, checkpoints: parts.checkpoints, engine: options });
    expect(recovered.refused?.code).toBe('ERR_CHECKPOINT_INCOMPATIBLE');
    expect(recovered.checkpoint).toBeUndefined();
    expect(recovered.replayed).toBe(50);
    expect(recovered.engine.stats.readingsIn).toBe(50);
    recovered.engine.close();
  });
});
