// `reading-threshold` on a fake clock: judged on each raw reading (not a window), with the same
// hysteresis, `updated` policy and ids as the windowed rules, scoped by device and kind, carried
// through snapshot and restore, and accepted by the uplink protocol's alert schema.

import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../edge/alert/alert.js';
import { alertId } from '../../edge/alert/occurrence.js';
import { Analysis } from '../../edge/analysis/analysis.js';
import { analysisMetrics } from '../../edge/analysis/metrics.js';
import { Scorer } from '../../edge/analysis/scorer.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Reading } from '../../edge/decode/reading.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { AlertEventSchema } from '../../edge/uplink/schemas.js';
import { engineFor, GATEWAY, obs, T0 } from './alert-harness.js';

/** Readings in the tables come once a second: reading i has ts T0 + 1 s·i and arrives 40 ms later. */
const STEP = 1000;
const spike = { type: 'reading-threshold', name: 'vib-spike', metric: 'vib_rms', above: 2.8 };

const reading = (i: number, values: Record<string, number>, device = 'd1'): Reading => ({ device, ts: T0 + STEP * i, tsFromArrival: false, receivedAt: T0 + STEP * i + 40, values });

/** `raised@3`: the event's state and the index of the reading it happened at (`:d2` for another device than d1). */
const brief = (e: AlertEvent): string => `${e.state}@${(e.at - T0) / STEP}${e.device === 'd1' ? '' : `:${e.device}`}`;

/** Feed readings 0.. of vib_rms (null: the reading carries only another metric), the clock at each arrival; every event. */
function feed(rules: readonly unknown[], values: readonly (number | null)[], engine = engineFor({ rules })) {
  const events: AlertEvent[] = [];
  values.forEach((v, i) => {
    engine.clock.set(Math.max(engine.clock.now(), T0 + STEP * i + 40));
    events.push(...engine.engine.reading(reading(i, v === null ? { temp: 20 } : { vib_rms: v })));
  });
  return { events, briefs: events.map(brief), ...engine };
}

describe('reading-threshold: hysteresis in readings', () => {
  const cases: Array<{ name: string; rule: Record<string, unknown>; values: Array<number | null>; briefs: string[] }> = [
    { name: 'raises on the first crossing reading and clears on the first good one (defaults 1 and 1)', rule: {}, values: [1, 2, 4, 1, 1], briefs: ['raised@2', 'cleared@3'] },
    { name: 'raiseAfter: N bad readings in a row', rule: { raiseAfter: 2 }, values: [3, 1, 3, 3, 1], briefs: ['raised@3', 'cleared@4'] },
    { name: 'clearAfter: M good readings in a row; a bad one starts the count again', rule: { clearAfter: 3 }, values: [3, 1, 1, 3, 1, 1, 1], briefs: ['raised@0', 'cleared@6'] },
    { name: 'a reading without the metric counts neither way', rule: { raiseAfter: 2, clearAfter: 2 }, values: [3, null, 3, 1, null, 1], briefs: ['raised@2', 'cleared@5'] },
    { name: 'a value that is not finite counts neither way', rule: { raiseAfter: 2 }, values: [3, Number.NaN, 3, Number.POSITIVE_INFINITY], briefs: ['raised@2'] },
    { name: 'below: bad under the limit', rule: { above: undefined, below: 1 }, values: [2, 0.5, 0.9, 1.5], briefs: ['raised@1', 'cleared@3'] },
    // Excess 0.2 reported; 0.5 has doubled and grown by ≥ 0.28 (10% of 2.8); 0.7 has not doubled again; 1.7 has.
    { name: 'updated only when the excess doubles by at least 10% of the limit', rule: {}, values: [3, 3.3, 3.5, 4.5], briefs: ['raised@0', 'updated@1', 'updated@3'] },
    { name: 'a configured updateStep', rule: { updateStep: 1 }, values: [3, 3.3, 3.5, 4.5], briefs: ['raised@0', 'updated@3'] },
  ];

  it.each(cases)('$name', ({ rule, values, briefs }) => {
    expect(feed([{ ...spike, ...rule }], values).briefs).toEqual(briefs);
  });

  it('events are at the reading: id over its ts, reading evidence, message in readings, no window', () => {
    const { events } = feed([{ ...spike, raiseAfter: 2, severity: 'critical' }], [3, 4, 1]);
    const [raised, cleared] = events;
    const ts = T0 + STEP;
    expect(raised).toEqual({
      id: alertId(GATEWAY, 'd1', 'vib-spike', ts),
      revision: 0,
      state: 'raised',
      gateway: GATEWAY,
      device: 'd1',
      rule: 'vib-spike',
      ruleType: 'reading-threshold',
      severity: 'critical',
      raisedAt: ts,
      at: ts,
      emittedAt: ts + 40,
      message: 'vib_rms 4 > 2.8; bad 2 readings in a row',
      evidence: {
        rule: { ...spike, raiseAfter: 2, clearAfter: 1, severity: 'critical' },
        reading: { ts, receivedAt: ts + 40 },
        features: { vib_rms: 4 },
        bad: 2,
        good: 0,
        computed: { excess: 4 - 2.8, reported: 4 - 2.8 },
      },
    });
    expect(cleared).toMatchObject({ id: raised!.id, revision: 1, state: 'cleared', raisedAt: ts, at: ts + STEP, message: 'back to normal: vib_rms 1 (≤ 2.8); good 1 reading in a row' });
    expect(cleared!.evidence.reading).toEqual({ ts: ts + STEP, receivedAt: ts + STEP + 40 });
    expect(feed([spike], [4]).events[0]!.message).toBe('vib_rms 4 > 2.8; bad 1 reading in a row');
  });

  it('the uplink protocol accepts its events, and refuses a malformed reading in the evidence', () => {
    const { events } = feed([spike], [3, 4, 1]);
    expect(events.map((e) => e.state)).toEqual(['raised', 'updated', 'cleared']);
    for (const e of events) expect(Value.Check(AlertEventSchema, e)).toBe(true);
    const bad = { ...events[0]!, evidence: { ...events[0]!.evidence, reading: { ts: 'soon', receivedAt: 1 } } };
    expect(Value.Check(AlertEventSchema, bad)).toBe(false);
  });
});

describe('reading-threshold: what it looks at', () => {
  it('scope: devices and kinds, a device matching either', () => {
    const { engine } = engineFor({ rules: [{ ...spike, devices: ['p9'], kinds: ['motor'] }], kinds: { d1: 'motor', d2: 'pump', p9: 'pump' } });
    const events = ['d1', 'd2', 'p9'].flatMap((d) => engine.reading(reading(0, { vib_rms: 5 }, d)));
    expect(events.map(brief)).toEqual(['raised@0', 'raised@0:p9']);
    // A device out of scope leaves no state behind.
    expect(engine.snapshot().devices).not.toHaveProperty('d2');
  });

  it('readings it does not watch leave no state; windows never reach it', () => {
    const { engine } = engineFor({ rules: [spike, { type: 'threshold', name: 'hot', feature: 'vib_rms.mean', above: 2.8 }] });
    expect(engine.reading(reading(0, { temp: 99 }))).toEqual([]);
    expect(engine.devices).toBe(0);
    const fromWindow = engine.observe(obs(0, { 'vib_rms.mean': 9 })).events;
    expect(fromWindow.map((e) => e.rule)).toEqual(['hot']);
    expect(engine.reading(reading(1, { vib_rms: 9, temp: 20 })).map((e) => e.rule)).toEqual(['vib-spike']);
  });

  it('several rules on one metric, and rules on two metrics of one reading, each judge it', () => {
    const rules = [spike, { ...spike, name: 'vib-high', above: 5, severity: 'critical' }, { type: 'reading-threshold', name: 'cold', metric: 'temp', below: 0, updateStep: 1 }];
    const { engine } = engineFor({ rules });
    expect(engine.reading(reading(0, { vib_rms: 4, temp: -3 })).map((e) => e.rule)).toEqual(['vib-spike', 'cold']);
    expect(engine.reading(reading(1, { vib_rms: 6 })).map((e) => `${e.rule} ${e.state}`)).toEqual(['vib-spike updated', 'vib-high raised']);
    expect(engine.counters.rules['vib-spike']).toEqual({ raised: 1, updated: 1, cleared: 0 });
  });
});

describe('reading-threshold: snapshot and restore', () => {
  const rules = [{ ...spike, raiseAfter: 3, clearAfter: 2 }];
  const values = [1, 3, 3, 1, 3, 3, 3, 4, 4.5, 6, 1, 3, 1, 1, 1];

  it('a restored engine emits exactly what an uninterrupted one does, counters and open occurrence included', () => {
    const all = feed(rules, values).events;
    expect(all.map(brief)).toEqual(['raised@6', 'updated@7', 'updated@9', 'cleared@13']);
    for (const cut of [2, 5, 6, 8, 11, 13]) {
      const before = feed(rules, values.slice(0, cut));
      const saved = JSON.parse(JSON.stringify(before.engine.snapshot())) as unknown;
      const after = engineFor({ rules, clock: new FakeClock(before.clock.now()) });
      expect(after.engine.restore(saved)).toEqual([]);
      expect(after.engine.open()).toEqual(before.engine.open());
      const tail: AlertEvent[] = [];
      values.slice(cut).forEach((v, k) => {
        after.clock.set(T0 + STEP * (cut + k) + 40);
        tail.push(...after.engine.reading(reading(cut + k, { vib_rms: v })));
      });
      expect([...before.events, ...tail], `cut before reading ${cut}`).toEqual(all);
    }
  });

  it('a restore into rules without it clears its open alert', () => {
    const before = feed([spike], [4]);
    const after = engineFor({ rules: [] });
    const events = after.engine.restore(JSON.parse(JSON.stringify(before.engine.snapshot())));
    expect(events.map((e) => [e.id, e.state, e.ruleType])).toEqual([[before.events[0]!.id, 'cleared', 'reading-threshold']]);
  });
});

describe('Analysis.reading', () => {
  it('judges with the rules in charge now and passes their events to onAlerts, counted', () => {
    const clock = new FakeClock(T0);
    const registry = new Registry();
    const metrics = analysisMetrics(registry);
    const out: AlertEvent[] = [];
    const first = engineFor({ rules: [spike], clock }).engine;
    const analysis = new Analysis({
      scorer: new Scorer({ models: [], kindOf: () => undefined, log: silentLogger(), metrics }),
      rules: first,
      retainMs: 0,
      log: silentLogger(),
      metrics,
      onSummaries: () => {},
      onAlerts: (es) => out.push(...es),
    });
    analysis.reading(reading(0, { vib_rms: 1 }));
    analysis.reading(reading(1, { vib_rms: 4 }));
    expect(out.map(brief)).toEqual(['raised@1']);
    // A config push: the new rules take over the open alert and judge from now on.
    const second = engineFor({ rules: [{ ...spike, clearAfter: 2 }], clock }).engine;
    analysis.replaceRules(second, second.takeOver(first));
    analysis.reading(reading(2, { vib_rms: 1 }));
    expect(out.map(brief)).toEqual(['raised@1']);
    analysis.reading(reading(3, { vib_rms: 1 }));
    expect(out.map(brief)).toEqual(['raised@1', 'cleared@3']);
    expect(out[1]!.id).toBe(out[0]!.id);
    expect(metrics.alertEvents.labels('vib-spike', 'raised').value).toBe(1);
    expect(metrics.alertEvents.labels('vib-spike', 'cleared').value).toBe(1);
  });
});
