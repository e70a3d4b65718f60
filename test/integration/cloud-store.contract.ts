// The cloud store contract: one suite every CloudStore implementation must pass (LevelDB and
// PostgreSQL each run it from their own test file). Summaries and roll-ups are here; alerts, the
// registry, dead letters and retention are in cloud-store-records.contract.ts, config and model
// push in cloud-store-push.contract.ts, both run from here too.

import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Summary } from '../../edge/features/summary.js';
import type { CloudStore, IngestOutcome, StoredSummary } from '../../cloud/store/contract.js';
import type { CloudStoreOptions } from '../../cloud/store/options.js';
import { expectCode } from '../helpers/errors.js';
import { waitFor } from '../helpers/wait.js';
import { prng } from '../helpers/prng.js';
import { changedKeys, diffRollups, modelKey, rollupsFromScratch, storeRollups } from '../helpers/rollup-model.js';
import { noisyValues, windowSummary } from '../helpers/summaries.js';
import { DAY, HOUR, MIN, NOW, ingested, type Harness } from './cloud-store-harness.js';
import { pushContract } from './cloud-store-push.contract.js';
import { recordsContract } from './cloud-store-records.contract.js';

export interface ContractTarget {
  /** A fresh, empty storage location (a folder, a database URL). */
  fresh(): Promise<string>;
  /** A store on `location`, not yet opened. */
  create(location: string, options: CloudStoreOptions): CloudStore;
}

export interface ContractOptions {
  /** Why this implementation cannot be tested here (named in the skipped suite's title). */
  readonly skip?: string | undefined;
  readonly setup: () => Promise<ContractTarget>;
  readonly teardown?: () => Promise<void>;
}

export function cloudStoreContract(name: string, o: ContractOptions): void {
  describe.skipIf(o.skip !== undefined)(`cloud store contract: ${name}${o.skip ? ` — skipped: ${o.skip}` : ''}`, () => {
    let target: ContractTarget;
    const opened: CloudStore[] = [];
    beforeAll(async () => {
      target = await o.setup();
    }, 120_000);
    afterAll(async () => {
      await o.teardown?.();
    }, 60_000);
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    const harness = (): Harness => {
      const clock = new FakeClock(NOW);
      return {
        clock,
        async open({ config, location } = {}) {
          const loc = location ?? (await target.fresh());
          const store = target.create(loc, { clock, config });
          opened.push(store);
          await store.open();
          return { store, location: loc };
        },
      };
    };

    summariesContract(harness);
    recordsContract(harness);
    pushContract(harness);
  });
}

function summariesContract(harness: () => Harness): void {
  const outcomes = (results: ReadonlyArray<{ outcome: IngestOutcome }>) => results.map((r) => r.outcome);

  it('follows the lifecycle: nothing before open, idempotent open and close, data kept across a reopen', async () => {
    const h = harness();
    const { store, location } = await h.open();
    await store.open();
    const s = windowSummary({ device: 'd1', metric: 'temp', start: NOW - HOUR, values: [1, 2, 3] });
    expect(outcomes(await ingested(store, [s]))).toEqual(['inserted']);
    const before = await storeRollups(store.rollups());
    await store.close();
    await store.close();
    expect(store.status).toBe('closed');
    await expectCode(store.ingestSummaries([s]), 'ERR_NOT_OPEN');
    const { store: again } = await h.open({ location });
    expect(outcomes(await again.ingestSummaries([s]))).toEqual(['unchanged']);
    expect(changedKeys(before, await storeRollups(again.rollups()))).toEqual([]);
    expect((await again.summaries({ from: 0, to: NOW })).map((x) => x.id)).toEqual([s.id]);
  });

  it('applies roll-ups in a pass: flushIntervalMs on the clock after a batch, on flushRollups, or at once past maxPendingWindows', async () => {
    const h = harness();
    const { store } = await h.open({ config: { rollups: { flushIntervalMs: 5000, maxPendingWindows: 3 } } });
    const w = (i: number) => windowSummary({ device: 'd1', metric: 'temp', start: NOW - HOUR + i * 10_000 });
    await store.ingestSummaries([w(0)]);
    expect((await storeRollups(store.rollups())).size).toBe(0);
    h.clock.advance(4999);
    expect((await storeRollups(store.rollups())).size).toBe(0);
    h.clock.advance(1);
    await waitFor(async () => (await storeRollups(store.rollups())).size === 12, 'the timed roll-up pass');

    await store.ingestSummaries([w(1)]);
    await store.flushRollups();
    const minute = async () => (await store.series({ scope: { kind: 'fleet' }, metric: 'temp', resolutionMs: MIN, from: 0, to: NOW }))[0]?.windows;
    expect(await minute()).toBe(2);
    // Three windows pending: the ingest that brings them waits for the pass.
    await store.ingestSummaries([w(2), w(3), w(4)]);
    expect(await minute()).toBe(5);
  });

  it('de-duplicates by id: same revision unchanged, lower stale, higher replaces, per item and in order', async () => {
    const { store } = await harness().open();
    const w = { device: 'd1', metric: 'temp', start: NOW - HOUR };
    const r0 = windowSummary({ ...w, values: [1, 2] });
    const r1 = windowSummary({ ...w, revision: 1, values: [1, 2, 30] });
    const other = windowSummary({ ...w, start: NOW - HOUR + 10_000, values: [5] });
    const results = await ingested(store, [r0, r0, other]);
    expect(results).toEqual([
      { id: r0.id, revision: 0, outcome: 'inserted', rolledUp: true },
      { id: r0.id, revision: 0, outcome: 'unchanged', rolledUp: true },
      { id: other.id, revision: 0, outcome: 'inserted', rolledUp: true },
    ]);
    const afterFirst = await storeRollups(store.rollups());
    expect(outcomes(await ingested(store, [r0]))).toEqual(['unchanged']);
    expect(changedKeys(afterFirst, await storeRollups(store.rollups()))).toEqual([]);

    expect(outcomes(await ingested(store, [r1, r0]))).toEqual(['replaced', 'stale']);
    const held = await store.summaries({ device: 'd1', from: 0, to: NOW });
    expect(held.map((s) => [s.id, s.revision])).toEqual([
      [r1.id, 1],
      [other.id, 0],
    ]);
    const minute = (await store.series({ scope: { kind: 'device', device: 'd1' }, metric: 'temp', resolutionMs: MIN, from: 0, to: NOW }))[0]!;
    expect(minute.windows).toBe(2);
    expect(minute.features.count).toBe(4);
    expect(minute.features.max).toBe(30);
    expect(minute.features.sum).toBe(1 + 2 + 30 + 5);
    expect(diffRollups(await storeRollups(store.rollups()), rollupsFromScratch(held))).toEqual([]);
  });

  it('refuses a batch it cannot key (a NUL in a name) with a TypeError, without failing batches sent beside it', async () => {
    const { store } = await harness().open();
    const good = windowSummary({ device: 'd1', metric: 'temp', start: NOW - HOUR });
    const bad = windowSummary({ device: 'd\u00002', metric: 'temp', start: NOW - HOUR });
    const [refused, stored] = await Promise.allSettled([store.ingestSummaries([bad]), store.ingestSummaries([good])]);
    expect(refused.status === 'rejected' && refused.reason instanceof TypeError).toBe(true);
    expect(stored.status === 'fulfilled' && stored.value.map((r) => r.outcome)).toEqual(['inserted']);
  });

  it('applies several revisions of one id within a batch in order', async () => {
    const { store } = await harness().open();
    const w = { device: 'd1', metric: 'temp', start: NOW - HOUR };
    const revs = [0, 1, 2].map((revision) => windowSummary({ ...w, revision, values: [revision + 1, 10 * (revision + 1)] }));
    expect(outcomes(await ingested(store, [revs[0]!, revs[2]!, revs[1]!, revs[2]!]))).toEqual(['inserted', 'replaced', 'stale', 'unchanged']);
    const held = await store.summaries({ from: 0, to: NOW });
    expect(held.map((s) => s.revision)).toEqual([2]);
    expect(diffRollups(await storeRollups(store.rollups()), rollupsFromScratch(held))).toEqual([]);
  });

  it('drops what an id holds when a retraction arrives, and keeps ignoring older revisions of it', async () => {
    const { store } = await harness().open();
    const session = windowSummary({ device: 'd1', metric: 'temp', kind: 'session', size: 5000, start: NOW - HOUR, values: [1, 2] });
    const absorbed = { ...session, revision: 1, retracted: true };
    expect(await store.ingestSummaries([session])).toEqual([{ id: session.id, revision: 0, outcome: 'inserted', rolledUp: false }]);
    expect(outcomes(await store.ingestSummaries([absorbed, session]))).toEqual(['retracted', 'stale']);
    expect(await store.summaries({ from: 0, to: NOW })).toEqual([]);

    // A rolled-up window withdrawn: its buckets are rebuilt without it.
    const a = windowSummary({ device: 'd1', metric: 'temp', start: NOW - HOUR, values: [100] });
    const b = windowSummary({ device: 'd1', metric: 'temp', start: NOW - HOUR + 10_000, values: [1] });
    await ingested(store, [a, b]);
    expect(outcomes(await ingested(store, [{ ...a, revision: 1, retracted: true }]))).toEqual(['retracted']);
    const held = await store.summaries({ from: 0, to: NOW });
    expect(held.map((s) => s.id)).toEqual([b.id]);
    const rollups = await storeRollups(store.rollups());
    expect(diffRollups(rollups, rollupsFromScratch(held))).toEqual([]);
    expect(rollups.get(modelKey({ kind: 'fleet' }, 'temp', HOUR, NOW - HOUR))?.point.features.max).toBe(1);
  });

  it('rolls up only tumbling windows of a source size: hopping and session windows are stored but not rolled up', async () => {
    const { store } = await harness().open();
    const start = NOW - HOUR;
    const batch = [
      windowSummary({ device: 'd1', metric: 'temp', kind: 'hopping', size: 60_000, slide: 10_000, start }),
      windowSummary({ device: 'd1', metric: 'temp', kind: 'session', size: 5_000, start }),
      windowSummary({ device: 'd1', metric: 'temp', kind: 'tumbling', size: 1_000, start }),
    ];
    expect((await ingested(store, batch)).map((r) => [r.outcome, r.rolledUp])).toEqual([
      ['inserted', false],
      ['inserted', false],
      ['inserted', false],
    ]);
    expect((await storeRollups(store.rollups())).size).toBe(0);
    expect((await store.summaries({ device: 'd1', from: 0, to: NOW })).length).toBe(3);
    const fed = windowSummary({ device: 'd1', metric: 'temp', start });
    expect(await ingested(store, [fed])).toEqual([{ id: fed.id, revision: 0, outcome: 'inserted', rolledUp: true }]);
    expect((await storeRollups(store.rollups())).size).toBe(12); // 4 scopes × 3 resolutions
  });

  it('a late summary for a window a day old changes exactly the buckets it belongs to', async () => {
    const { store } = await harness().open();
    await store.upsertDevices([
      { id: 'd1', gateway: 'gw-1', lastSeen: NOW, site: 'A', line: 'L1' },
      { id: 'd2', gateway: 'gw-1', lastSeen: NOW, site: 'A', line: 'L1' },
      { id: 'd3', gateway: 'gw-1', lastSeen: NOW, site: 'A', line: 'L2' },
      { id: 'd4', gateway: 'gw-2', lastSeen: NOW, site: 'B', line: 'L1' },
    ]);
    const random = prng(7);
    const late = { device: 'd1', metric: 'temp', start: NOW - DAY + 5 * MIN + 20_000 };
    const all: Summary[] = [];
    for (const device of ['d1', 'd2', 'd3', 'd4']) {
      const gateway = device === 'd4' ? 'gw-2' : 'gw-1';
      for (const metric of ['temp', 'vib']) {
        // Two hours around "a day ago" (crossing the day's start) and the last ten minutes.
        for (const [from, to] of [
          [NOW - DAY - HOUR, NOW - DAY + HOUR],
          [NOW - 10 * MIN, NOW],
        ] as const) {
          for (let t = from; t < to; t += 10_000) {
            if (device === late.device && metric === late.metric && t === late.start) continue;
            all.push(windowSummary({ gateway, device, metric, start: t, values: noisyValues(random, 5, 50, 10) }));
          }
        }
      }
    }
    for (let i = 0; i < all.length; i += 500) await store.ingestSummaries(all.slice(i, i + 500));
    await store.flushRollups();

    const expected = (site: string, line: string) =>
      [MIN, HOUR, DAY]
        .flatMap((res) => {
          const start = Math.floor(late.start / res) * res;
          return [
            modelKey({ kind: 'device', device: 'd1' }, 'temp', res, start),
            modelKey({ kind: 'line', site, line }, 'temp', res, start),
            modelKey({ kind: 'site', site }, 'temp', res, start),
            modelKey({ kind: 'fleet' }, 'temp', res, start),
          ];
        })
        .sort();
    const check = async (s: Summary, outcome: IngestOutcome, changed: string[]) => {
      const before = await storeRollups(store.rollups());
      expect(outcomes(await ingested(store, [s]))).toEqual([outcome]);
      const after = await storeRollups(store.rollups());
      expect(changedKeys(before, after)).toEqual(changed);
      expect(diffRollups(after, rollupsFromScratch(await store.summaries({ from: 0, to: NOW + DAY, limit: 100_000 })))).toEqual([]);
    };

    // The gateway comes back after a day offline: a brand-new window.
    await check(windowSummary({ ...late, values: [500, 20] }), 'inserted', expected('A', 'L1'));
    // A revision of it: recomputed buckets, the same ones.
    await check(windowSummary({ ...late, revision: 1, values: [-40, 7, 9] }), 'replaced', expected('A', 'L1'));
    // The device has moved to another site and line since: its old and new places both change.
    await store.upsertDevices([{ id: 'd1', gateway: 'gw-1', lastSeen: NOW, site: 'C', line: 'L9' }]);
    await check(windowSummary({ ...late, revision: 2, values: [3] }), 'replaced', [...new Set([...expected('A', 'L1'), ...expected('C', 'L9')])].sort());
  }, 120_000);

  it('roll-ups equal a from-scratch recomputation after random interleavings, revisions and resends', async () => {
    const { store } = await harness().open();
    await store.upsertDevices([
      { id: 'm1', gateway: 'gw-1', lastSeen: NOW, site: 'north', line: 'a' },
      { id: 'm2', gateway: 'gw-1', lastSeen: NOW, site: 'north', line: 'b' },
      { id: 'm3', gateway: 'gw-2', lastSeen: NOW, site: 'south', line: 'a' },
    ]);
    const random = prng(20241124);
    // 90 minutes across a UTC midnight, so day and hour buckets both split.
    const from = NOW - DAY - 45 * MIN;
    const messages: Summary[] = [];
    const finals = new Map<string, Summary>();
    for (const device of ['m1', 'm2', 'm3', 'm4']) {
      const gateway = device === 'm1' || device === 'm2' ? 'gw-1' : 'gw-2';
      for (const metric of ['temp', 'vib']) {
        for (let t = from; t < from + 90 * MIN; t += 10_000) {
          const revisions = random() < 0.15 ? 1 + Math.floor(random() * 3) : 1;
          for (let revision = 0; revision < revisions; revision++) {
            const s = windowSummary({ gateway, device, metric, start: t, revision, values: noisyValues(random, 1 + Math.floor(random() * 6), metric === 'temp' ? -5 : 1, 20) });
            messages.push(s);
            finals.set(s.id, s);
            if (random() < 0.1) messages.push(s); // a resend
          }
          if (random() < 0.05) messages.push(windowSummary({ gateway, device, metric, start: t, kind: 'hopping', size: 60_000, slide: 10_000 }));
        }
      }
    }
    // Shuffle (Fisher-Yates), then cut into batches of random size.
    for (let i = messages.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [messages[i], messages[j]] = [messages[j]!, messages[i]!];
    }
    for (let i = 0; i < messages.length; ) {
      const n = 1 + Math.floor(random() * 400);
      await store.ingestSummaries(messages.slice(i, i + n));
      // Passes now and then, so some apply one batch and some many.
      if (random() < 0.2) await store.flushRollups();
      i += n;
    }
    await store.flushRollups();
    const held = (await store.summaries({ from: 0, to: NOW, limit: 100_000 })).filter((s) => s.window.kind === 'tumbling');
    expect(held.length).toBe(finals.size);
    for (const s of held) expect(s.revision).toBe(finals.get(s.id)!.revision);
    const rollups = await storeRollups(store.rollups());
    expect(diffRollups(rollups, rollupsFromScratch(held))).toEqual([]);
    // m4 is not in the registry: its gateway is its site, `default` its line.
    expect(rollups.has(modelKey({ kind: 'line', site: 'gw-2', line: 'default' }, 'temp', DAY, NOW - DAY))).toBe(true);
  }, 120_000);

  it('keeps roll-ups exact when passes run while several senders store batches at once', async () => {
    const { store } = await harness().open();
    const random = prng(77);
    const from = NOW - 2 * HOUR;
    const senders = ['s1', 's2', 's3', 's4'].map((device, i) => {
      const batches: Summary[][] = [];
      let batch: Summary[] = [];
      for (let t = from; t < from + 40 * MIN; t += 10_000) {
        batch.push(windowSummary({ gateway: `gw-${i % 2}`, device, metric: 'temp', start: t, values: noisyValues(random, 2, 10, 5) }));
        // A revision of a window a little earlier: its buckets are rebuilt.
        if (random() < 0.2) batch.push(windowSummary({ gateway: `gw-${i % 2}`, device, metric: 'temp', start: t - 30_000, revision: 1 + Math.floor(random() * 3), values: noisyValues(random, 3, 10, 5) }));
        if (batch.length >= 20) batches.push((batch = []));
      }
      batches.push(batch);
      return batches.filter((b) => b.length > 0);
    });
    // Passes back to back while the senders store; the senders store half their batches, wait for
    // a second pass to start, then store the rest: passes run with ingest in flight whatever their
    // speed (a pass gives the loop up every few ms, so one pass can outlast many batches).
    let storing = true;
    let secondPass: () => void = () => {};
    const second = new Promise<void>((resolve) => (secondPass = resolve));
    const flusher = (async () => {
      let passes = 0;
      while (storing) {
        if (++passes === 2) secondPass();
        await store.flushRollups();
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all(
      senders.map(async (batches) => {
        const half = Math.ceil(batches.length / 2);
        for (const b of batches.slice(0, half)) await store.ingestSummaries(b);
        await second;
        for (const b of batches.slice(half)) await store.ingestSummaries(b);
      }),
    );
    storing = false;
    await flusher;
    await store.flushRollups();
    const held = await store.summaries({ from: 0, to: NOW, limit: 100_000 });
    expect(diffRollups(await storeRollups(store.rollups()), rollupsFromScratch(held))).toEqual([]);
  }, 120_000);

  it('answers series queries per device, line, site and fleet, by resolution and time range', async () => {
    const { store } = await harness().open();
    await store.upsertDevices([{ id: 'd1', gateway: 'gw-1', lastSeen: NOW, site: 'A', line: 'L1' }]);
    const start = NOW - 2 * HOUR;
    const batch: Summary[] = [];
    for (let t = start; t < NOW; t += 10_000) batch.push(windowSummary({ device: 'd1', metric: 'temp', start: t, values: [(t - start) / 10_000] }));
    await ingested(store, batch);
    const q = (scope: Parameters<CloudStore['series']>[0]['scope'], resolutionMs: number, from = 0, to = NOW) => store.series({ scope, metric: 'temp', resolutionMs, from, to });
    const minutes = await q({ kind: 'device', device: 'd1' }, MIN);
    expect(minutes.length).toBe(120);
    expect(minutes[0]!.start).toBe(start);
    expect(minutes[0]!.windows).toBe(6);
    expect(minutes[1]!.features.min).toBe(6);
    expect([2, 3].some((v) => Math.abs(minutes[0]!.sketch.quantile(0.5) - v) <= 0.03 * v)).toBe(true);
    const hours = await q({ kind: 'line', site: 'A', line: 'L1' }, HOUR);
    expect(hours.map((p) => [p.start, p.windows])).toEqual([
      [start, 360],
      [start + HOUR, 360],
    ]);
    expect(hours[1]!.features.max).toBe(719);
    expect((await q({ kind: 'site', site: 'A' }, DAY)).map((p) => p.windows)).toEqual([720]);
    expect((await q({ kind: 'fleet' }, MIN, start + 10 * MIN, start + 12 * MIN)).map((p) => p.start)).toEqual([start + 10 * MIN, start + 11 * MIN]);
    expect(await q({ kind: 'site', site: 'nowhere' }, MIN)).toEqual([]);
    const p99 = (await q({ kind: 'fleet' }, DAY))[0]!.sketch.quantile(0.99);
    expect(Math.abs(p99 - 712) / 712).toBeLessThan(0.02);
  });

  it('keeps summaries as sent, fields it does not use included, with where they were rolled up', async () => {
    const h = harness();
    const { store } = await h.open();
    // A field the store has no column for (a model score, as newer gateways send) is kept too.
    const s: Summary = Object.assign(windowSummary({ device: 'd1', metric: 'temp', start: NOW - HOUR, values: [1.5, 2.25] }), {
      score: { model: 'motor-baseline', version: '1', value: 7.5, threshold: 5 },
    });
    const hop = windowSummary({ device: 'd1', metric: 'temp', kind: 'hopping', size: 60_000, slide: 10_000, start: NOW - HOUR });
    await store.ingestSummaries([s, hop]);
    const held = await store.summaries({ device: 'd1', metric: 'temp', from: NOW - HOUR, to: NOW - HOUR + 1 });
    const expected: StoredSummary[] = [
      { ...s, site: 'gw-1', line: 'default', rolledUp: true, receivedAt: h.clock.now() },
      { ...hop, site: 'gw-1', line: 'default', rolledUp: false, receivedAt: h.clock.now() },
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(held).toEqual(expected);
    expect(await store.summaries({ gateway: 'gw-2', from: 0, to: NOW })).toEqual([]);
    expect((await store.summaries({ from: 0, to: NOW, limit: 1 })).length).toBe(1);
  });
}
