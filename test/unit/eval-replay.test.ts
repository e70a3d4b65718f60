// Replaying rows through the analysis pipeline: each row gets the verdict of the first window that
// contains it, computed from that row and earlier ones only.

import { describe, expect, it } from 'vitest';
import type { AlertEvent, WindowObservation } from '../../edge/alert/alert.js';
import { AlertEngine } from '../../edge/alert/engine.js';
import type { AlertRules } from '../../edge/analysis/analysis.js';
import { validateAnalysisConfig } from '../../edge/config/analysis-load.js';
import { replay } from '../../edge/eval/replay.js';
import { SumModel } from '../helpers/sum-model.js';

const T0 = Date.UTC(2024, 0, 1);
const rows = [1, 1, 1, 9, 1, 1, 1].map((v, i) => ({ ts: T0 + i * 1000, values: { x: v } }));

/** Raises while the score is over threshold, clears on the first window under it. */
class Over implements AlertRules {
  #open: { id: string; revision: number; raisedAt: number } | undefined;
  observe(obs: WindowObservation) {
    const bad = obs.score !== undefined && obs.score.value > obs.score.threshold;
    const events: AlertEvent[] = [];
    const base = { gateway: 'eval', device: obs.device, rule: 'r', ruleType: 'score', severity: 'warning', at: obs.window.end, emittedAt: 0, message: '', evidence: { rule: {} } } as const;
    if (bad && !this.#open) {
      this.#open = { id: `a${obs.window.end}`, revision: 0, raisedAt: obs.window.end };
      events.push({ ...base, id: this.#open.id, revision: 0, state: 'raised', raisedAt: obs.window.end });
    } else if (!bad && this.#open) {
      events.push({ ...base, id: this.#open.id, revision: this.#open.revision + 1, state: 'cleared', raisedAt: this.#open.raisedAt });
      this.#open = undefined;
    }
    return { detectors: [], events };
  }
  reading() {
    return [];
  }
  seen(): void {}
  tick() {
    return [];
  }
}

describe('eval replay', () => {
  it('maps hopping-window verdicts onto rows causally', async () => {
    const model = new SumModel({
      name: 'm', version: '1', algorithm: 'external', window: { kind: 'hopping', sizeMs: 2000, slideMs: 1000 },
      features: ['x.max'], normalisation: { mean: [0], std: [1] }, input: { name: 'x' }, output: { name: 's', meaning: '' }, threshold: 5, appliesTo: { devices: ['d'] },
    });
    const spec = { kind: 'hopping', sizeMs: 2000, slideMs: 1000 } as const;
    const r = await replay(rows, { device: 'd', windows: [spec], judged: spec, models: [model], rules: () => new Over() });
    // Row i's window is [i−1 s, i+1 s): the max of rows i−1 and i.
    expect(r.rows.map((x) => x.score)).toEqual([1, 1, 1, 9, 9, 1, 1]);
    expect(r.rows.map((x) => x.alertOpen)).toEqual([false, false, false, true, true, false, false]);
    expect(r.rows.map((x) => x.raised)).toEqual([false, false, false, true, false, false, false]);
    expect(r.events.map((e) => e.state)).toEqual(['raised', 'cleared']);
    // Every row's window was scored in its own batch, in order.
    expect(model.calls.length).toBe(rows.length);
  });

  it('leaves rows unscored where no model applies', async () => {
    const spec = { kind: 'tumbling', sizeMs: 1000 } as const;
    const r = await replay(rows, { device: 'd', windows: [spec], judged: spec });
    expect(r.rows.every((x) => Number.isNaN(x.score) && !x.alertOpen)).toBe(true);
    expect(r.judged).toBe(rows.length);
  });

  it('judges per-reading rules on each row, as the gateway does on each logged reading', async () => {
    const spec = { kind: 'tumbling', sizeMs: 2000 } as const;
    const rules = validateAnalysisConfig({ alerts: { rules: [{ type: 'reading-threshold', name: 'spike', metric: 'x', above: 5, clearAfter: 2 }] } }).alerts.rules;
    const r = await replay(rows, { device: 'd', windows: [spec], judged: spec, rules: (clock) => new AlertEngine({ gateway: 'eval', rules, defaultWindow: spec, clock }) });
    // Row 3 (x = 9) raises on itself, not on its window; rows 4 and 5 (x = 1) clear it.
    expect(r.rows.map((x) => x.raised)).toEqual([false, false, false, true, false, false, false]);
    expect(r.rows.map((x) => x.alertOpen)).toEqual([false, false, false, true, true, false, false]);
    expect(r.events.map((e) => [e.state, e.at - T0])).toEqual([
      ['raised', 3000],
      ['cleared', 5000],
    ]);
  });
});
