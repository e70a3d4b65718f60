// The alert engine beyond single rules: de-duplication and the `updated` policy, ids and evidence,
// silent devices on a fake clock, device/kind/window filters, bounds on state, and checkpoints.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../edge/alert/alert.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { errorOf } from '../helpers/errors.js';
import { brief, engineFor, feed, GATEWAY, obs, ONE_MIN, SIZE, T0, TEN_S } from './alert-harness.js';

const hot = { type: 'threshold', name: 'hot', feature: 'temp.mean', above: 80 } as const;
const temp = (i: number, v: number | null) => obs(i, v === null ? {} : { 'temp.mean': v });

describe('de-duplication and updates', () => {
  it('keeps one occurrence per (rule, device) and updates only when the excess doubles by at least updateStep', () => {
    const { engine, clock } = engineFor({ rules: [hot] });
    // Excess over 80: 1 (raised), 5 (< 1 + max(1, 8)), 9 (updated), 10, 17 (< 9 + 9), 40 (updated), then good.
    const { events, briefs } = feed(engine, clock, [81, 85, 89, 90, 97, 120, 70, 95], temp);
    expect(briefs).toEqual(['raised@0', 'updated@2', 'updated@5', 'cleared@6', 'raised@7']);
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 0]);
    const [first, , , cleared, again] = events as [AlertEvent, AlertEvent, AlertEvent, AlertEvent, AlertEvent];
    expect(new Set(events.slice(0, 4).map((e) => e.id)).size).toBe(1);
    expect(cleared.id).toBe(first.id);
    expect(again.id).not.toBe(first.id);
    expect(events.slice(0, 4).every((e) => e.raisedAt === T0 + SIZE)).toBe(true);
    expect(engine.counters.rules.hot).toEqual({ raised: 2, updated: 2, cleared: 1 });
  });

  it('honours a configured updateStep', () => {
    const { engine, clock } = engineFor({ rules: [{ ...hot, updateStep: 1 }] });
    // Excess 1 → 2 (doubled, +1) → 3 (not doubled) → 4 (doubled from 2).
    expect(feed(engine, clock, [81, 82, 83, 84], temp).briefs).toEqual(['raised@0', 'updated@1', 'updated@3']);
  });

  it('updates when a detector reports a kind of change not yet reported, even if not worse, once per kind', () => {
    const detectors = [{ name: 'ls', kind: 'level-shift', feature: 'temp.mean', params: { recent: 3, reference: 10, minSamples: 5 } }];
    const { engine, clock } = engineFor({ rules: [{ type: 'detector', name: 'changed', detector: 'ls', clearAfter: 20 }], detectors });
    // Around 10 (robust spread 0.74), then around 20: window 10 is a spike, 11-16 a level shift, learned from 17.
    // Around 20 again: 30 at window 30 is a spike, 35 starts another level shift (windows 36-38).
    const base = [10, 10.5, 9.5, 10, 10.5, 9.5, 10, 10.5, 9.5, 10];
    const up = (by: number) => base.map((v) => v + by);
    const values = [...base, ...up(10), ...up(10), 30, ...up(10).slice(0, 4), 30, 30.5, 29.5, 30];
    const { events, briefs } = feed(engine, clock, values, temp);
    // Kinds already reported (and excesses that did not double) are no news, however they alternate.
    expect(briefs).toEqual(['raised@10', 'updated@11']);
    expect(events.map((e) => e.evidence.detector?.change)).toEqual(['spike', 'level-shift']);
    expect(events[1]!.message).toMatch(/^changed: /);
    expect(engine.counters.detectors.ls).toEqual({ ran: values.length, fired: 7 + 1 + 1 + 3 });
  });

  it('ids are 32 hex of SHA-256 over gateway, device, rule and raisedAt', () => {
    const { engine, clock } = engineFor({ rules: [hot] });
    const [e] = feed(engine, clock, [70, 90], temp).events;
    const expected = createHash('sha256').update(`${GATEWAY}\u0000d1\u0000hot\u0000${T0 + 2 * SIZE}`).digest('hex').slice(0, 32);
    expect(e!.id).toBe(expected);
  });

  it('every event carries its evidence: rule, window, features, counts, computed values', () => {
    const { engine, clock } = engineFor({ rules: [{ ...hot, raiseAfter: 2, severity: 'critical' }] });
    const [raised] = feed(engine, clock, [85, 90], temp).events;
    expect(raised).toMatchObject({
      state: 'raised',
      gateway: GATEWAY,
      device: 'd1',
      rule: 'hot',
      ruleType: 'threshold',
      severity: 'critical',
      raisedAt: T0 + 2 * SIZE,
      at: T0 + 2 * SIZE,
      emittedAt: T0 + 2 * SIZE,
      message: 'temp.mean 90 > 80; bad 2 windows in a row',
      evidence: {
        rule: { type: 'threshold', name: 'hot', feature: 'temp.mean', above: 80, raiseAfter: 2, clearAfter: 1, severity: 'critical' },
        window: { kind: 'tumbling', start: T0 + SIZE, end: T0 + 2 * SIZE, size: SIZE },
        features: { 'temp.mean': 90 },
        bad: 2,
        good: 0,
        computed: { excess: 10, reported: 10 },
      },
    });
    expect(JSON.parse(JSON.stringify(raised))).toEqual(raised);
  });

  it('score events carry the score, rate events the rate', () => {
    const { engine, clock } = engineFor({
      rules: [
        { type: 'score', name: 's', ofWindows: 2 },
        { type: 'rate-of-change', name: 'r', feature: 'temp.mean', limitPerSecond: 0.1 },
      ],
    });
    clock.set(T0 + SIZE);
    engine.observe(obs(0, { 'temp.mean': 10 }, { score: 0.1 }));
    clock.set(T0 + 2 * SIZE);
    const [s, r] = engine.observe(obs(1, { 'temp.mean': 15 }, { score: 0.8 })).events;
    expect(s!.evidence.score).toEqual({ model: 'motor', version: '1', value: 0.8, threshold: 0.5 });
    expect(s!.evidence.computed).toMatchObject({ over: 1, of: 2 });
    expect(r!.evidence.computed).toMatchObject({ ratePerSecond: 0.5, previous: 10, seconds: 10 });
  });
});

describe('silent', () => {
  const silent = { type: 'silent', name: 'quiet', afterMs: 60_000 } as const;

  it('raises once after afterMs without a reading and clears when readings resume, on the fake clock', () => {
    const { engine, clock } = engineFor({ rules: [silent] });
    engine.seen('d1', T0);
    const events: AlertEvent[] = [];
    const tickAt = (ms: number) => {
      clock.set(T0 + ms);
      events.push(...engine.tick());
    };
    tickAt(59_999);
    expect(events).toEqual([]);
    tickAt(61_000);
    tickAt(80_000);
    expect(events.map(brief)).toEqual(['raised@+61000']);
    expect(events[0]).toMatchObject({ raisedAt: T0 + 60_000, at: T0 + 61_000, evidence: { lastSeen: T0 } });
    clock.set(T0 + 90_000);
    engine.seen('d1', T0 + 90_000);
    engine.seen('d1', T0 + 90_500);
    tickAt(91_000);
    tickAt(140_000);
    tickAt(151_000);
    expect(events.map(brief)).toEqual(['raised@+61000', 'cleared@+90000', 'raised@+151000']);
    expect(events[1]).toMatchObject({ id: events[0]!.id, revision: 1, evidence: { lastSeen: T0, computed: { silentMs: 90_000 } } });
    expect(events[2]).toMatchObject({ raisedAt: T0 + 90_500 + 60_000 });
    expect(engine.counters.rules.quiet).toEqual({ raised: 2, updated: 0, cleared: 1 });
  });

  it('only watches devices its filter includes, and only devices seen at least once', () => {
    const { engine, clock } = engineFor({ rules: [{ ...silent, kinds: ['motor'] }], kinds: { m1: 'motor', p1: 'pump' } });
    engine.seen('m1', T0);
    engine.seen('p1', T0);
    clock.set(T0 + 60_000);
    expect(engine.tick().map((e) => e.device)).toEqual(['m1']);
  });
});

describe('filters', () => {
  it('devices and kinds: a device matching either is in scope', () => {
    const rule = { ...hot, devices: ['d1'], kinds: ['motor'] };
    const { engine, clock } = engineFor({ rules: [rule], kinds: { d2: 'motor', d3: 'pump' } });
    clock.set(T0 + SIZE);
    const raised = ['d1', 'd2', 'd3'].flatMap((device) => engine.observe(obs(0, { 'temp.mean': 99 }, { device })).events.map((e) => e.device));
    expect(raised).toEqual(['d1', 'd2']);
  });

  it("window: a rule looks only at its window's observations (default: the engine's default window)", () => {
    const { engine, clock } = engineFor({ rules: [hot, { ...hot, name: 'hot-1min', window: ONE_MIN }] });
    clock.set(T0 + SIZE);
    expect(engine.observe(obs(0, { 'temp.mean': 99 }, { window: ONE_MIN })).events.map((e) => e.rule)).toEqual(['hot-1min']);
    expect(engine.observe(obs(0, { 'temp.mean': 99 }, { window: TEN_S })).events.map((e) => e.rule)).toEqual(['hot']);
  });

  it('detectors run only on their window, devices and feature, each device with its own history', () => {
    const detectors = [{ name: 'z', kind: 'robust-z', feature: 'temp.mean', devices: ['d1', 'd2'], params: { window: 10, minSamples: 3 } }];
    const { engine, clock } = engineFor({ detectors });
    const ran = (o: ReturnType<typeof obs>) => engine.observe(o).detectors.map((d) => `${d.detector}:${d.fired}`);
    for (let i = 0; i < 4; i++) {
      clock.set(T0 + SIZE * (i + 1));
      expect(ran(obs(i, { 'temp.mean': 10 + (i % 2) }))).toEqual(['z:false']);
    }
    clock.set(T0 + 5 * SIZE);
    expect(ran(obs(4, { 'temp.mean': 50 }))).toEqual(['z:true']);
    expect(ran(obs(4, { 'temp.mean': 50 }, { device: 'd2' }))).toEqual(['z:false']); // d2's history is empty: warming up
    expect(ran(obs(4, { 'temp.mean': 50 }, { device: 'd3' }))).toEqual([]);
    expect(ran(obs(5, { 'temp.max': 50 }))).toEqual([]);
    expect(ran(obs(5, { 'temp.mean': 50 }, { window: ONE_MIN }))).toEqual([]);
    expect(engine.counters.detectors.z).toEqual({ ran: 6, fired: 1 });
  });
});

describe('bounds and order', () => {
  it('an observation no later than the last of its device and window is stale and changes nothing', () => {
    const { engine, clock } = engineFor({ rules: [hot] });
    clock.set(T0 + 4 * SIZE);
    engine.observe(obs(3, { 'temp.mean': 70 }));
    expect(engine.observe(obs(2, { 'temp.mean': 99 })).events).toEqual([]);
    expect(engine.observe(obs(3, { 'temp.mean': 99 })).events).toEqual([]);
    expect(engine.observe(obs(3, { 'temp.mean': 99 }, { window: ONE_MIN })).events).toEqual([]); // another window: not stale, not this rule's
    expect(engine.counters).toMatchObject({ observations: 4, stale: 2 });
  });

  it('forgets a device idle for forgetAfterMs unless an alert of it is open', () => {
    const { engine, clock } = engineFor({ rules: [hot], alerts: { forgetAfterMs: 100_000 } });
    clock.set(T0 + SIZE);
    engine.observe(obs(0, { 'temp.mean': 70 }));
    engine.observe(obs(0, { 'temp.mean': 90 }, { device: 'd2' }));
    clock.set(T0 + SIZE + 99_999);
    engine.tick();
    expect(engine.devices).toBe(2);
    clock.set(T0 + SIZE + 100_000);
    engine.tick();
    expect(engine.devices).toBe(1);
    expect(engine.open().map((e) => e.device)).toEqual(['d2']);
    expect(engine.counters.forgotten).toBe(1);
  });

  it('beyond maxDevices, new devices are counted and skipped', () => {
    const { engine, clock } = engineFor({ rules: [hot], alerts: { maxDevices: 2 } });
    clock.set(T0 + SIZE);
    const events = ['d1', 'd2', 'd3'].flatMap((device) => engine.observe(obs(0, { 'temp.mean': 99 }, { device })).events);
    engine.seen('d4', T0);
    expect(events.map((e) => e.device)).toEqual(['d1', 'd2']);
    expect(engine.counters).toMatchObject({ refused: 2 });
    expect(engine.devices).toBe(2);
  });

  it('refuses a config with problems as a programmer mistake', () => {
    const rule = { type: 'detector', name: 'odd', detector: 'nope', severity: 'info', raiseAfter: 1, clearAfter: 1 } as const;
    expect(() => engineFor({}, { rules: [rule] })).toThrow(/no detector is named nope/);
  });
});

describe('snapshot and restore', () => {
  const setup = {
    rules: [
      { ...hot, raiseAfter: 2, clearAfter: 2 },
      { type: 'rate-of-change', name: 'fast', feature: 'temp.mean', limitPerSecond: 1 },
      { type: 'score', name: 'score', inWindows: 2, ofWindows: 4 },
      { type: 'detector', name: 'odd', detector: 'z' },
      { type: 'detector', name: 'shift', detector: 'ls', change: 'level-shift' },
      { type: 'silent', name: 'quiet', afterMs: 25_000 },
    ],
    detectors: [
      { name: 'z', kind: 'robust-z', feature: 'temp.mean', params: { window: 20, minSamples: 5 } },
      { name: 'ls', kind: 'level-shift', feature: 'temp.mean', params: { recent: 3, reference: 12, minSamples: 6 } },
    ],
  };
  // Two devices; d2 runs 5 hotter. A spike at 12, a step up at 30, silence from 44 to 50.
  const value = (i: number, device: string) => (i === 12 ? 95 : i >= 30 ? 84 : 60 + ((i * 7) % 5)) + (device === 'd2' ? 5 : 0);
  const score = (i: number) => ((i * 13) % 10) / 10;
  const windows = 60;

  /** Windows from..to of both devices; readings seen every window except the silent stretch. */
  function run(engine: ReturnType<typeof engineFor>['engine'], clock: FakeClock, from: number, to: number): string[] {
    const out: string[] = [];
    for (let i = from; i < to; i++) {
      clock.set(T0 + SIZE * (i + 1));
      const silent = i >= 44 && i < 50;
      for (const device of ['d1', 'd2']) {
        if (!silent) engine.seen(device, clock.now());
        if (!silent) out.push(...engine.observe(obs(i, { 'temp.mean': value(i, device) }, { device, score: score(i) })).events.map((e) => JSON.stringify(e)));
      }
      out.push(...engine.tick().map((e) => JSON.stringify(e)));
    }
    return out;
  }

  it('a restored engine emits exactly what an uninterrupted one does', async () => {
    const whole = engineFor(setup);
    const all = run(whole.engine, whole.clock, 0, windows);
    expect(new Set(all.map((e) => (JSON.parse(e) as AlertEvent).rule))).toEqual(new Set(['hot', 'fast', 'score', 'odd', 'shift', 'quiet']));
    for (const cut of [7, 25, 33, 47]) {
      const before = engineFor(setup);
      const head = run(before.engine, before.clock, 0, cut);
      // As a checkpoint takes it: the cut's text, the same text as the copy's.
      const text = await before.engine.cut().text();
      expect(text).toBe(JSON.stringify(before.engine.snapshot()));
      const saved = JSON.parse(text) as unknown;
      const after = engineFor({ ...setup, clock: new FakeClock(before.clock.now()) });
      expect(after.engine.restore(saved)).toEqual([]);
      expect(after.engine.open()).toEqual(before.engine.open());
      const tail = run(after.engine, after.clock, cut, windows);
      expect([...head, ...tail], `cut at window ${cut}`).toEqual(all);
    }
  });

  it("a cut's text is the state at the cut while the engine judges on between its turns (copy on write)", async () => {
    const whole = engineFor(setup);
    const all = run(whole.engine, whole.clock, 0, windows);
    for (const at of [7, 25, 33, 47]) {
      const { engine, clock } = engineFor(setup);
      const head = run(engine, clock, 0, at);
      const expected = JSON.stringify(engine.snapshot());
      // A turn given up before every device: windows are judged (and devices forgotten, alerts
      // raised and cleared, silence counted) between them, before and after the text passes each.
      const text = engine.cut({ turnBudgetMs: 0 }).text();
      const tail: string[] = [];
      for (let i = at; i < windows; i++) {
        tail.push(...run(engine, clock, i, i + 1));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      expect(await text, `cut at window ${at}`).toBe(expected);
      expect(engine.devices).toBe(2);
      // Copying did not change what the engine judged.
      expect([...head, ...tail], `cut at window ${at}`).toEqual(all);
    }
  });

  it("a cut's text leaves out a device that appears after the cut, and keeps one forgotten after it", async () => {
    // Without the silent rule, whose alert a long quiet would open (an open alert keeps a device).
    const { engine, clock } = engineFor({ ...setup, rules: setup.rules.filter((r) => r.type !== 'silent'), alerts: { forgetAfterMs: 100_000 } });
    run(engine, clock, 0, 3);
    const expected = JSON.stringify(engine.snapshot());
    const text = engine.cut({ turnBudgetMs: 0 }).text();
    clock.advance(200_000);
    engine.tick(); // idle devices without an open alert are forgotten
    engine.observe(obs(3, { 'temp.mean': 70 }, { device: 'd3' })); // new since the cut
    expect(engine.counters.forgotten).toBeGreaterThan(0);
    expect(await text).toBe(expected);
  });

  it('a cut changed before its text is made still gives the state at the cut; a closed cut gives none', async () => {
    const { engine, clock } = engineFor(setup);
    run(engine, clock, 0, 20);
    const expected = JSON.stringify(engine.snapshot());
    const cut = engine.cut();
    run(engine, clock, 20, 40);
    expect(JSON.stringify(engine.snapshot())).not.toBe(expected);
    expect(await cut.text()).toBe(expected);
    await expect(cut.text()).rejects.toThrow(/closed/);
    const closed = engine.cut();
    closed.close();
    await expect(closed.text()).rejects.toThrow(/closed/);
  });

  it('counts silence from the restore at the earliest', () => {
    const { engine, clock } = engineFor({ rules: [{ type: 'silent', name: 'quiet', afterMs: 60_000 }] });
    engine.seen('d1', T0);
    clock.set(T0 + 30_000);
    const saved = engine.snapshot();
    const later = engineFor({ rules: [{ type: 'silent', name: 'quiet', afterMs: 60_000 }], clock: new FakeClock(T0 + 600_000) });
    later.engine.restore(saved);
    expect(later.engine.tick()).toEqual([]);
    later.clock.advance(60_000);
    expect(later.engine.tick()).toMatchObject([{ state: 'raised', raisedAt: T0 + 660_000, evidence: { lastSeen: T0 } }]);
  });

  it('clears open alerts of rules no longer configured, and drops their state', () => {
    const { engine, clock } = engineFor({ rules: [hot, { ...hot, name: 'hot2' }] });
    feed(engine, clock, [99], temp);
    const restored = engineFor({ rules: [hot], clock: new FakeClock(clock.now() + 5000) });
    const events = restored.engine.restore(engine.snapshot());
    expect(events).toMatchObject([{ rule: 'hot2', state: 'cleared', revision: 1, message: 'rule hot2 is no longer configured' }]);
    expect(restored.engine.open().map((e) => e.rule)).toEqual(['hot']);
  });

  it('refuses a damaged checkpoint or one of another gateway with ERR_ALERT_RESTORE', () => {
    const { engine, clock } = engineFor({ rules: [hot] });
    feed(engine, clock, [99], temp);
    const good = engine.snapshot();
    const damaged = structuredClone(good) as { devices: Record<string, { tracks: Record<string, { bad: unknown }> }> };
    damaged.devices.d1!.tracks.hot!.bad = 'many';
    const fresh = () => engineFor({ rules: [hot] }).engine;
    expect(errorOf(() => fresh().restore(damaged)).code).toBe('ERR_ALERT_RESTORE');
    expect(errorOf(() => fresh().restore({ version: 2 })).code).toBe('ERR_ALERT_RESTORE');
    expect(errorOf(() => fresh().restore({ ...good, gateway: 'gw-other' })).message).toContain('gw-other');
  });
});

describe('taking over a running engine (a config push)', () => {
  it('carries hysteresis and open alerts to the rules still configured, clears those of rules gone, and starts new rules fresh', () => {
    const { engine, clock } = engineFor({ rules: [{ ...hot, raiseAfter: 3 }, { ...hot, name: 'gone' }] });
    feed(engine, clock, [99, 99], temp);
    const next = engineFor({ rules: [{ ...hot, raiseAfter: 3 }, { ...hot, name: 'new', raiseAfter: 2 }], clock });
    expect(next.engine.takeOver(engine)).toMatchObject([{ rule: 'gone', state: 'cleared', message: 'rule gone is no longer configured' }]);
    // hot had two bad windows of its three: the third raises it; the new rule counts from here.
    clock.set(T0 + SIZE * 3);
    expect(next.engine.observe(temp(2, 99)).events.map((e) => [e.rule, e.state])).toEqual([['hot', 'raised']]);
    clock.set(T0 + SIZE * 4);
    expect(next.engine.observe(temp(3, 99)).events.map((e) => [e.rule, e.state])).toEqual([['new', 'raised']]);
  });

  it('keeps counting silence from where the running engine did, not from the hand-over', () => {
    const rules = [{ type: 'silent', name: 'quiet', afterMs: 60_000 }];
    const { engine, clock } = engineFor({ rules });
    engine.seen('d1', T0);
    clock.set(T0 + 50_000);
    const next = engineFor({ rules, clock });
    next.engine.takeOver(engine);
    clock.set(T0 + 60_000);
    expect(next.engine.tick()).toMatchObject([{ rule: 'quiet', state: 'raised', raisedAt: T0 + 60_000 }]);
  });
});
