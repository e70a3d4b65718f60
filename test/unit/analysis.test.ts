// The analysis stage on a fake clock: window summaries become device observations, every device
// due at one instant is scored in one batched call per model, scores join the summaries, alerts go
// out before summaries, and a failing model is counted without stopping aggregation.

import { describe, expect, it } from 'vitest';
import type { AlertEvent, WindowObservation } from '../../edge/alert/alert.js';
import { Analysis, type AlertRules, type Judged } from '../../edge/analysis/analysis.js';
import { deviceKinds } from '../../edge/analysis/device-kinds.js';
import { analysisMetrics } from '../../edge/analysis/metrics.js';
import { Scorer } from '../../edge/analysis/scorer.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Summary } from '../../edge/features/summary.js';
import type { ModelManifest } from '../../edge/model/contract.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { createWindowEngine } from '../../edge/window/engine.js';
import { SumModel } from '../helpers/sum-model.js';
import { waitFor } from '../helpers/wait.js';

const T0 = Date.UTC(2024, 10, 24, 12, 0, 0);

const manifest = (over: Partial<ModelManifest> = {}): ModelManifest => ({
  name: 'sum',
  version: '1',
  algorithm: 'external',
  window: { kind: 'tumbling', sizeMs: 1000 },
  features: ['a.mean', 'b.max'],
  normalisation: { mean: [0, 0], std: [1, 1] },
  input: { name: 'x' },
  output: { name: 'score', meaning: 'sum' },
  threshold: 10,
  appliesTo: { kinds: ['motor'] },
  ...over,
});

/** Rules that raise on every window whose score is over threshold, recording what they saw. */
class ScoreRules implements AlertRules {
  readonly seenObs: WindowObservation[] = [];
  observe(obs: WindowObservation) {
    this.seenObs.push(obs);
    const events: AlertEvent[] =
      obs.score && obs.score.value > obs.score.threshold
        ? [{ id: `a-${obs.device}-${obs.window.start}`, revision: 0, state: 'raised', gateway: 'gw', device: obs.device, rule: 'hot', ruleType: 'score', severity: 'warning', raisedAt: obs.window.end, at: obs.window.end, emittedAt: 0, message: 'hot', evidence: { rule: {}, score: obs.score } }]
        : [];
    return { detectors: [], events };
  }
  reading(): readonly AlertEvent[] {
    return [];
  }
  seen(): void {}
  tick(): readonly AlertEvent[] {
    return [];
  }
}

/** Rules that raise on every window whose a.mean is over 10, whatever the device. */
class MeanRules extends ScoreRules {
  override observe(obs: WindowObservation) {
    this.seenObs.push(obs);
    const hot = (obs.features['a.mean'] ?? 0) > 10 && obs.window.kind === 'tumbling';
    const events: AlertEvent[] = hot ? [{ id: `m-${obs.device}-${obs.window.start}`, revision: 0, state: 'raised', gateway: 'gw', device: obs.device, rule: 'mean', ruleType: 'threshold', severity: 'warning', raisedAt: obs.window.end, at: obs.window.end, emittedAt: 0, message: 'mean', evidence: { rule: {} } }] : [];
    return { detectors: [], events };
  }
}

function setup(models: SumModel[], rules?: AlertRules, summarySlice?: number) {
  const clock = new FakeClock(T0 + 60_000);
  const registry = new Registry();
  const metrics = analysisMetrics(registry);
  const out: Array<{ kind: 'summary'; s: Summary } | { kind: 'alert'; e: AlertEvent }> = [];
  const judged: Judged[] = [];
  const scorer = new Scorer({ models, kindOf: deviceKinds({ motor: ['motor-*'] }), log: silentLogger(), metrics });
  const analysis = new Analysis({
    scorer,
    ...(rules ? { rules } : {}),
    retainMs: 5000,
    log: silentLogger(),
    metrics,
    onSummaries: (ss) => ss.forEach((s) => out.push({ kind: 'summary', s })),
    onAlerts: (es) => es.forEach((e) => out.push({ kind: 'alert', e })),
    onJudged: (j) => judged.push(j),
    ...(summarySlice !== undefined ? { summarySlice } : {}),
  });
  const engine = createWindowEngine({
    gateway: 'gw',
    windows: [{ kind: 'tumbling', sizeMs: 1000 }, { kind: 'hopping', sizeMs: 2000, slideMs: 1000 }],
    maxOutOfOrdernessMs: 0,
    allowedLatenessMs: 2000,
    idleTimeoutMs: 60_000,
    maxKeys: 1000,
    clock,
    onSummary: (s) => analysis.summary(s),
    onLate: () => {},
    onRejected: () => {},
  });
  const add = (device: string, ts: number, values: Record<string, number>) => engine.add({ device, ts: T0 + ts, tsFromArrival: false, receivedAt: clock.now(), values });
  return { analysis, engine, out, judged, metrics, add, scorer };
}

describe('analysis stage', () => {
  it('with summarySlice, hands alert events on at once and summaries in slices; settle() and idle wait for the slices', async () => {
    const { analysis, engine, out, add } = setup([], new MeanRules(), 2);
    for (const d of ['pump-1', 'pump-2', 'pump-3']) add(d, 100, { a: 20, b: 1 });
    // One turn: every device's reading at 1000 ms closes [0, 1000) (tumbling) and the first hopping window.
    for (const d of ['pump-1', 'pump-2', 'pump-3']) add(d, 1000, { a: 0, b: 0 });
    await Promise.resolve(); // the stage cuts its batch in a microtask
    // The alerts are out; the summaries (3 devices × 2 metrics × 2 windows) wait for their turns.
    expect(out.map((o) => o.kind)).toEqual(['alert', 'alert', 'alert']);
    expect(analysis.pendingSummaries).toBe(12);
    expect(analysis.idle).toBe(false);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(out.filter((o) => o.kind === 'summary').length).toBeLessThanOrEqual(2);
    await analysis.settle();
    expect(analysis.idle).toBe(true);
    expect(analysis.pendingSummaries).toBe(0);
    const summaries = out.flatMap((o) => (o.kind === 'summary' ? [`${o.s.device}/${o.s.metric}/${o.s.window.kind}`] : []));
    expect(summaries).toHaveLength(12);
    // Per device, the order the engine emitted them in (one device's summaries before the next's).
    expect(summaries.map((k) => k.split('/')[0])).toEqual(['pump-1', 'pump-1', 'pump-1', 'pump-1', 'pump-2', 'pump-2', 'pump-2', 'pump-2', 'pump-3', 'pump-3', 'pump-3', 'pump-3']);
    engine.close();
  });

  it('scores every device due at one instant in one batched call, and the score joins each metric summary', async () => {
    const model = new SumModel(manifest());
    const { analysis, engine, out, add } = setup([model]);
    for (const d of ['motor-1', 'motor-2', 'motor-3', 'pump-1']) {
      add(d, 100, { a: 1, b: 2 });
      add(d, 600, { a: 3, b: 5 });
    }
    // One turn: every device's reading at 1000 ms closes [0, 1000).
    for (const d of ['motor-1', 'motor-2', 'motor-3', 'pump-1']) add(d, 1000, { a: 0, b: 0 });
    await analysis.settle();
    expect(model.calls).toHaveLength(1);
    // Three motors (the pump is not of a kind the model applies to); a.mean = 2, b.max = 5.
    expect(model.calls[0]).toEqual([[2, 5], [2, 5], [2, 5]]);
    const tumbling = out.flatMap((o) => (o.kind === 'summary' && o.s.window.kind === 'tumbling' ? [o.s] : []));
    expect(tumbling).toHaveLength(8);
    for (const s of tumbling) {
      if (s.device.startsWith('motor')) expect(s.score).toEqual({ model: 'sum', version: '1', value: 7, threshold: 10 });
      else expect(s.score).toBeUndefined();
    }
    // Hopping windows are not the model's window: never scored.
    expect(out.some((o) => o.kind === 'summary' && o.s.window.kind === 'hopping' && o.s.score !== undefined)).toBe(false);
    engine.close();
  });

  it('sends alert events ahead of the summaries of the same batch', async () => {
    const model = new SumModel(manifest());
    const { analysis, engine, out, add } = setup([model], new ScoreRules());
    add('motor-1', 100, { a: 20, b: 2 });
    add('motor-1', 1000, { a: 0, b: 0 });
    await analysis.settle();
    const kinds = out.map((o) => o.kind);
    expect(kinds[0]).toBe('alert');
    expect(kinds.slice(1).every((k) => k === 'summary')).toBe(true);
    expect(out[0]).toMatchObject({ kind: 'alert', e: { device: 'motor-1', evidence: { score: { value: 22 } } } });
    engine.close();
  });

  it('counts a window missing a feature as skipped and scores the rest', async () => {
    const model = new SumModel(manifest());
    const { analysis, engine, metrics, add } = setup([model]);
    add('motor-1', 100, { a: 1, b: 1 });
    add('motor-2', 100, { a: 1 }); // no b: b.max is missing
    add('motor-1', 1000, { a: 0, b: 0 });
    add('motor-2', 1000, { a: 0, b: 0 });
    await analysis.settle();
    expect(model.calls).toEqual([[[1, 1]]]);
    expect(metrics.skipped.get('missing_features')).toBe(1);
    expect(metrics.rowsScored.get('sum')).toBe(1);
    engine.close();
  });

  it('a model failing at run time is counted; its windows go out unscored and the next batch is scored', async () => {
    const model = new SumModel(manifest());
    const { analysis, engine, out, metrics, add } = setup([model]);
    model.failNext = true;
    add('motor-1', 100, { a: 1, b: 1 });
    add('motor-1', 1000, { a: 1, b: 1 });
    await analysis.settle();
    add('motor-1', 2000, { a: 1, b: 1 });
    await analysis.settle();
    const scored = out.flatMap((o) => (o.kind === 'summary' && o.s.window.kind === 'tumbling' ? [[o.s.window.start - T0, o.s.score?.value]] : []));
    expect(scored).toEqual([[0, undefined], [0, undefined], [1000, 2], [1000, 2]]);
    expect(metrics.modelErrors.get('sum')).toBe(1);
    expect(metrics.skipped.get('model_failed')).toBe(1);
    engine.close();
  });

  it('a late reading re-scores the revised window with every metric, and the rules judge it once', async () => {
    const model = new SumModel(manifest());
    const rules = new ScoreRules();
    const { analysis, engine, out, judged, add } = setup([model], rules);
    add('motor-1', 100, { a: 1, b: 1 });
    add('motor-1', 1500, { a: 1, b: 1 }); // closes [0, 1000): a.mean 1, b.max 1
    await analysis.settle();
    add('motor-1', 200, { b: 9 }); // late, only b: the window is revised with b.max 9
    await analysis.settle();
    expect(model.calls.map((c) => c[0])).toEqual([[1, 1], [1, 9]]);
    const revised = out.flatMap((o) => (o.kind === 'summary' && o.s.window.kind === 'tumbling' && o.s.revision === 1 ? [o.s] : []));
    expect(revised.map((s) => [s.metric, s.score?.value])).toEqual([['b', 10]]);
    expect(rules.seenObs.filter((o) => o.window.kind === 'tumbling')).toHaveLength(1);
    expect(judged.filter((j) => j.observation.window.kind === 'tumbling').map((j) => j.observation.revised)).toEqual([false, true]);
    engine.close();
  });

  it('swaps models and rules between two batches: those handed in before score and judge with the old, those after with the new', async () => {
    const v1 = new SumModel(manifest());
    const v2 = new SumModel(manifest({ version: '2', threshold: 1 }));
    const rules = new ScoreRules();
    const { analysis, engine, out, add, scorer } = setup([v1], rules);
    add('motor-1', 100, { a: 20, b: 2 });
    add('motor-1', 1000, { a: 1, b: 1 }); // [0, 1000) closes: gathered, not yet scored
    const newRules = new ScoreRules();
    const cleared: AlertEvent = { id: 'c'.repeat(32), revision: 1, state: 'cleared', gateway: 'gw', device: 'motor-1', rule: 'gone', ruleType: 'threshold', severity: 'warning', raisedAt: T0, at: T0, emittedAt: T0, message: 'rule gone is no longer configured', evidence: { rule: {} } };
    const swapped = analysis.between(() => {
      scorer.replace([v2]);
      analysis.replaceRules(newRules, [cleared]);
      return 'done';
    });
    add('motor-1', 2000, { a: 1, b: 1 }); // [1000, 2000) closes after the swap was asked for
    expect(await swapped).toBe('done');
    await analysis.settle();
    expect(v1.calls).toEqual([[[20, 2]]]);
    expect(v2.calls).toEqual([[[1, 1]]]);
    expect(rules.seenObs.filter((o) => o.window.kind === 'tumbling').map((o) => o.score?.version)).toEqual(['1']);
    expect(newRules.seenObs.filter((o) => o.window.kind === 'tumbling').map((o) => o.score?.version)).toEqual(['2']);
    const versions = out.flatMap((o) => (o.kind === 'summary' && o.s.score ? [o.s.score.version] : o.kind === 'alert' ? [o.e.rule] : []));
    expect(versions).toEqual(['hot', '1', '1', 'gone', 'hot', '2', '2']);
    engine.close();
  });

  it('keeps for revisions only the windows a model scores', async () => {
    const model = new SumModel(manifest());
    const { analysis, engine, out, add } = setup([model]);
    for (const d of ['motor-1', 'pump-1']) {
      add(d, 100, { a: 1, b: 1 });
      add(d, 1500, { a: 1, b: 1 }); // closes [0, 1000) (both windows' first)
    }
    await analysis.settle();
    // motor-1's tumbling window only: the model's window; the hopping windows and the pump's are not scored.
    expect(analysis.retained).toBe(1);
    add('pump-1', 200, { b: 9 }); // late: revises the pump's windows with b alone, unscored
    await analysis.settle();
    const revised = out.flatMap((o) => (o.kind === 'summary' && o.s.device === 'pump-1' && o.s.revision === 1 ? [[o.s.window.kind, o.s.metric, o.s.score]] : []));
    expect(revised).toEqual([['tumbling', 'b', undefined], ['hopping', 'b', undefined]]);
    expect(analysis.retained).toBe(1);
    engine.close();
  });

  it('judges devices no model scores in the turn their windows close, without waiting for a slow model', async () => {
    const model = new SumModel(manifest());
    let release!: () => void;
    model.gate = new Promise((resolve) => (release = resolve));
    const { analysis, engine, out, add } = setup([model], new MeanRules());
    for (const d of ['motor-1', 'pump-1']) add(d, 100, { a: 20, b: 2 });
    for (const d of ['motor-1', 'pump-1']) add(d, 1000, { a: 0, b: 0 }); // both close [0, 1000)
    await waitFor(() => model.calls.length === 1, 'the motor to be scored');
    // The motor waits for its model; the pump's alert and summaries are out already, alert first.
    expect(out[0]).toMatchObject({ kind: 'alert', e: { device: 'pump-1' } });
    expect(out.length).toBeGreaterThan(1);
    expect(out.every((o) => (o.kind === 'alert' ? o.e.device : o.s.device) === 'pump-1')).toBe(true);
    release();
    await analysis.settle();
    expect(out.filter((o) => o.kind === 'alert').map((o) => (o.kind === 'alert' ? o.e.device : ''))).toEqual(['pump-1', 'motor-1']);
    const motorTumbling = out.flatMap((o) => (o.kind === 'summary' && o.s.device === 'motor-1' && o.s.window.kind === 'tumbling' ? [o.s.score?.value] : []));
    expect(motorTumbling).toEqual([22, 22]);
    engine.close();
  });

  it('keeps each device in window order: an unscored device goes through the chain while a swap waits, or while its earlier window waits there', async () => {
    const v1 = new SumModel(manifest());
    const v2 = new SumModel(manifest({ version: '2' }));
    let release1!: () => void;
    let release2!: () => void;
    v1.gate = new Promise((resolve) => (release1 = resolve));
    v2.gate = new Promise((resolve) => (release2 = resolve));
    const rules = new MeanRules();
    const { analysis, engine, add, scorer } = setup([v1], rules);
    const pumpWindows = () => rules.seenObs.filter((o) => o.device === 'pump-1' && o.window.kind === 'tumbling').map((o) => o.window.start - T0);
    add('motor-1', 100, { a: 1, b: 1 });
    add('motor-1', 1000, { a: 1, b: 1 }); // batch 1: waits for v1
    await waitFor(() => v1.calls.length === 1, 'v1 to be asked');
    const swapped = analysis.between(() => scorer.replace([v2]));
    add('pump-1', 1100, { a: 20, b: 1 });
    add('motor-1', 2000, { a: 1, b: 1 });
    add('pump-1', 2000, { a: 1, b: 1 }); // batch 2, behind the swap: the pump's [1000, 2000) with the motor's, waiting for v2
    await Promise.resolve();
    release1();
    await swapped;
    await waitFor(() => v2.calls.length === 1, 'v2 to be asked');
    add('pump-1', 3000, { a: 20, b: 1 }); // no swap waits now, but the pump's earlier window does: behind it
    await Promise.resolve();
    expect(pumpWindows()).toEqual([]);
    release2();
    await analysis.settle();
    expect(pumpWindows()).toEqual([1000, 2000]);
    // Nothing of the pump waits any more: its next window is judged in its own turn.
    add('pump-1', 4000, { a: 1, b: 1 });
    await Promise.resolve();
    expect(pumpWindows()).toEqual([1000, 2000, 3000]);
    engine.close();
  });

  it('a model naming a device wins over one naming its kind', () => {
    const byKind = new SumModel(manifest({ name: 'kind' }));
    const byDevice = new SumModel(manifest({ name: 'device', appliesTo: { devices: ['motor-7'] } }));
    const scorer = new Scorer({ models: [byKind, byDevice], kindOf: deviceKinds({ motor: ['motor-*'] }), log: silentLogger(), metrics: analysisMetrics(new Registry()) });
    expect(scorer.modelFor('motor-7')?.manifest.name).toBe('device');
    expect(scorer.modelFor('motor-8')?.manifest.name).toBe('kind');
    expect(scorer.modelFor('pump-1')).toBeUndefined();
  });
});
