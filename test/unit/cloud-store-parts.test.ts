// The cloud store's pure parts: its config checks, which summaries feed roll-ups, the stored bytes
// of summaries and of pending roll-up work, group commit, and when roll-up passes run.

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { decodePending, encodePending } from '../../cloud/rollup/pending.js';
import { RollupPlan } from '../../cloud/rollup/plan.js';
import { storeConfigFrom } from '../../cloud/store/config.js';
import type { StoredSummary } from '../../cloud/store/contract.js';
import { GroupCommit } from '../../cloud/store/group-commit.js';
import { RollupScheduler } from '../../cloud/store/rollup-scheduler.js';
import { SerialQueue } from '../../cloud/store/serial-queue.js';
import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import { PgCloudStore } from '../../cloud/store/postgres/pg-store.js';
import { createCloudStore } from '../../cloud/store/registry.js';
import { decodeSummary, encodeSummary } from '../../cloud/store/summary-codec.js';
import { errorOf } from '../helpers/errors.js';
import { windowSummary } from '../helpers/summaries.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

describe('cloud store config', () => {
  it('fills in the defaults: 1 min / 1 h / 1 day, 10 s tumbling windows, 7 days of summaries', () => {
    const c = storeConfigFrom();
    expect(c.rollups.resolutions.map((r) => r.resolutionMs)).toEqual([MIN, 60 * MIN, DAY]);
    expect(c.rollups.sourceWindowsMs).toEqual([10_000]);
    expect(c.retention.summariesMs).toBe(7 * DAY);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    [{ rollups: { resolutions: [{ resolutionMs: MIN, retentionMs: 0 }, { resolutionMs: 90_000, retentionMs: 0 }] } }, 'rollups.resolutions.1.resolutionMs: 90000 must be a multiple'],
    [{ rollups: { resolutions: [{ resolutionMs: MIN, retentionMs: DAY }] } }, 'rollups.resolutions.0.retentionMs: 86400000 is shorter than retention.summariesMs'],
    [{ rollups: { sourceWindowsMs: [7_000] } }, 'rollups.sourceWindowsMs.0: 7000 does not divide the finest resolution 60000'],
    [{ rollups: { colour: 'red' } }, 'rollups: unknown key "colour"'],
  ])('refuses %j', (raw, problem) => {
    const err = errorOf(() => storeConfigFrom(raw));
    expect(err.code).toBe('ERR_CONFIG_INVALID');
    expect(err.message).toContain(problem);
  });
});

describe('roll-up plan', () => {
  const plan = new RollupPlan(storeConfigFrom({ rollups: { sourceWindowsMs: [10_000, 5_000] } }).rollups);
  it.each([
    ['a tumbling window of a source size', windowSummary({ device: 'd', metric: 'm', start: 20_000 }), true],
    ['another source size', windowSummary({ device: 'd', metric: 'm', start: 20_000, size: 5_000 }), true],
    ['a tumbling size not listed', windowSummary({ device: 'd', metric: 'm', start: 20_000, size: 1_000 }), false],
    ['a hopping window (overlaps its neighbours)', windowSummary({ device: 'd', metric: 'm', kind: 'hopping', start: 20_000, size: 10_000, slide: 5_000 }), false],
    ['a session window (no fixed extent)', windowSummary({ device: 'd', metric: 'm', kind: 'session', start: 20_000, size: 10_000 }), false],
    ['a retraction', { ...windowSummary({ device: 'd', metric: 'm', start: 20_000 }), retracted: true }, false],
    ['a window not aligned to its size', windowSummary({ device: 'd', metric: 'm', start: 25_000 }), false],
  ])('%s feeds roll-ups: %s', (_what, s, feeds) => {
    expect(plan.feeds(s)).toBe(feeds);
  });

  it('names the 12 buckets of a window: 4 scopes at each resolution, finest first', () => {
    const refs = plan.bucketsOf({ device: 'd', metric: 'm', site: 's', line: 'l', windowStart: DAY + 61 * MIN + 20_000 });
    expect(refs.map((r) => [r.series.scope.kind, r.resolutionMs, r.start])).toEqual(
      [MIN, 60 * MIN, DAY].flatMap((res) => ['device', 'line', 'site', 'fleet'].map((k) => [k, res, Math.floor((DAY + 61 * MIN + 20_000) / res) * res])),
    );
  });
});

describe('stored bytes', () => {
  it('gives a stored summary back as it was, hopping slide, retraction and non-ASCII names included', () => {
    const base = windowSummary({ device: 'pump-7', metric: 'vib_rms', kind: 'hopping', size: 60_000, slide: 10_000, start: 1_700_000_000_000, values: [0.4, -1.5e-7, 3e9] });
    const stored: StoredSummary = { ...base, revision: 3, retracted: true, site: 'Düsseldorf', line: 'línea "2"', rolledUp: false, receivedAt: 1_700_000_100_000 };
    expect(decodeSummary(encodeSummary(stored))).toEqual(stored);
    const plain: StoredSummary = { ...windowSummary({ device: 'd', metric: 'm', start: 0 }), site: 'gw-1', line: 'default', rolledUp: true, receivedAt: 5 };
    expect(decodeSummary(encodeSummary(plain))).toEqual(plain);
    // Fields beyond the known ones (a model score on newer gateways) are kept too.
    const scored = { ...plain, score: { model: 'motor-baseline', version: '2026-11-30.1', value: 7.5, threshold: 5 } };
    expect(decodeSummary(encodeSummary(scored))).toEqual(scored);
  });

  it('gives pending roll-up work back as it was', () => {
    const s = windowSummary({ device: 'd1', metric: 'temp', start: 600_000, values: [1, 2, 3] });
    const work = {
      adds: [{ device: 'd1', metric: 'temp', site: 'Ñandú', line: 'a', windowStart: 600_000, partials: s.partials }],
      recompute: [{ device: 'd2', metric: 'temp', site: 's', line: 'b', windowStart: 0 }],
    };
    expect(decodePending(encodePending(work))).toEqual(work);
    expect(decodePending(encodePending({ adds: [], recompute: [] }))).toEqual({ adds: [], recompute: [] });
  });
});

describe('serial queue', () => {
  it('runs jobs one at a time in call order; a failure stops nothing', async () => {
    const queue = new SerialQueue();
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const job = (name: string, wait?: Promise<void>) => async () => {
      ran.push(name);
      await wait;
      if (name === 'b') throw new Error('b failed');
      return name;
    };
    const running = queue.run(job('running', gate));
    await Promise.resolve(); // it starts (on a microtask) and waits at the gate
    const jobs = [running, queue.run(job('a')), queue.run(job('b')), queue.run(job('c'))];
    const idle = queue.idle();
    await Promise.resolve();
    expect(ran).toEqual(['running']); // the others wait for it
    release();
    const settled = await Promise.allSettled(jobs);
    await idle;
    expect(ran).toEqual(['running', 'a', 'b', 'c']);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(queue.queued).toBe(4);
  });
});

describe('group commit', () => {
  it('joins batches that arrive while a write is in flight, answers each caller with its own results, and keeps call order', async () => {
    const queue = new SerialQueue();
    const writes: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const group = new GroupCommit<string, string>(
      queue,
      async (items) => {
        writes.push([...items]);
        if (writes.length === 1) await gate;
        return items.map((i) => i.toUpperCase());
      },
      5,
    );
    const first = group.submit(['a']);
    await Promise.resolve(); // the first write starts and waits at the gate
    const second = group.submit(['b', 'c']);
    const third = group.submit(['d']);
    const other = queue.run(async () => writes.push(['other write']));
    const fourth = group.submit(['e']); // after another write: must not jump ahead of it
    const fifth = group.submit(['f', 'g', 'h', 'i', 'j']); // would exceed 5 items: a group of its own
    release();
    expect(await Promise.all([first, second, third, fourth, fifth])).toEqual([['A'], ['B', 'C'], ['D'], ['E'], ['F', 'G', 'H', 'I', 'J']]);
    await other;
    expect(writes).toEqual([['a'], ['b', 'c', 'd'], ['other write'], ['e'], ['f', 'g', 'h', 'i', 'j']]);
  });

  it('rejects every caller of a group whose write fails, and carries on with the next', async () => {
    const queue = new SerialQueue();
    let fail = true;
    const group = new GroupCommit<number, number>(
      queue,
      async (items) => {
        if (fail) throw new Error('disk full');
        return items.map((i) => i * 2);
      },
      100,
    );
    const a = group.submit([1]);
    const b = group.submit([2]);
    await expect(a).rejects.toThrow('disk full');
    await expect(b).rejects.toThrow('disk full');
    fail = false;
    expect(await group.submit([3])).toEqual([6]);
  });
});

describe('roll-up scheduler', () => {
  const setup = (maxPending = 100) => {
    const clock = new FakeClock();
    const calls: number[] = [];
    let answer: () => Promise<boolean> = async () => true;
    const scheduler = new RollupScheduler({
      clock,
      intervalMs: 1000,
      maxPending,
      pass: () => {
        calls.push(clock.now());
        return answer();
      },
    });
    return { clock, calls, scheduler, answer: (fn: () => Promise<boolean>) => (answer = fn) };
  };

  it('runs one pass flushIntervalMs after work is left pending, not before, and none without work', () => {
    const { clock, calls, scheduler } = setup();
    clock.advance(5000);
    expect(calls).toEqual([]);
    scheduler.added(10);
    clock.advance(600);
    scheduler.added(10);
    clock.advance(399);
    expect(calls).toEqual([]);
    clock.advance(1);
    expect(calls.length).toBe(1);
    clock.advance(5000);
    expect(calls.length).toBe(1);
  });

  it('makes an ingest wait for a pass once maxPending windows are waiting, one pass for all who wait', async () => {
    const { calls, scheduler } = setup(50);
    scheduler.added(30);
    await scheduler.relieve();
    expect(calls.length).toBe(0);
    scheduler.added(30);
    await Promise.all([scheduler.relieve(), scheduler.relieve()]);
    expect(calls.length).toBe(1);
    expect(scheduler.pending).toBe(0);
  });

  it('tries again later when a pass fails or gives way to another worker, and stops at close', async () => {
    const { clock, calls, scheduler, answer } = setup();
    answer(async () => false);
    scheduler.added(5);
    clock.advance(1000);
    await Promise.resolve();
    expect(scheduler.pending).toBe(5);
    answer(async () => {
      throw new Error('connection lost');
    });
    clock.advance(1000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.length).toBe(2);
    expect(scheduler.pending).toBe(5);
    scheduler.close();
    clock.advance(10_000);
    expect(calls.length).toBe(2);
  });
});

describe('store registry', () => {
  it.each([
    ['postgres://tributary@db:5432/cloud', PgCloudStore],
    ['postgresql://db/cloud', PgCloudStore],
    ['./data/cloud', LevelCloudStore],
    ['level:/var/lib/tributary', LevelCloudStore],
  ])('%s opens a %o', (db, kind) => {
    expect(createCloudStore(db)).toBeInstanceOf(kind);
  });

  it.each(['', 'mysql://db/cloud'])('refuses %j with ERR_CLOUD_DB_URL', (db) => {
    expect(errorOf(() => createCloudStore(db)).code).toBe('ERR_CLOUD_DB_URL');
  });
});
