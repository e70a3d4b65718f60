// How well a motor model does on simulated motors it never saw: how often it fires on normal
// motors, and how early it catches bearing wear. An alert here is ALERT_RUN consecutive windows
// above the threshold, a stand-in for the gateway's "N of M windows" alert rule.

import type { ScoringModel } from '../../edge/model/contract.js';
import type { FeatureRow } from '../../edge/model/feature-rows.js';
import type { FailureWindow } from '../scenario/plan.js';

/** Consecutive windows above the threshold that make an alert. */
export const ALERT_RUN = 3;

export interface NormalEvaluation {
  readonly devices: number;
  readonly windows: number;
  /** Fraction of windows scoring above the threshold. */
  readonly windowsAbove: number;
  /** Devices with at least one alert (ALERT_RUN windows in a row above the threshold). */
  readonly devicesAlerted: number;
}

export interface WearEvaluation {
  readonly devices: number;
  /** Devices alerted inside their failure window. */
  readonly detected: number;
  /** Devices alerted before their failure began (false alarms). */
  readonly alertedBefore: number;
  /**
   * For each detected device, how far through the failure window (0 = start, 1 = end) the
   * alerting window ended, sorted.
   */
  readonly progressAtAlert: readonly number[];
}

/** Scores of `rows` (in manifest order) in one batched call. */
export async function scoreRows(model: ScoringModel, rows: readonly FeatureRow[]): Promise<Float32Array> {
  const f = model.manifest.features.length;
  const x = new Float32Array(rows.length * f);
  rows.forEach((r, i) => x.set(r.vector, i * f));
  return model.score(x, rows.length);
}

export async function evaluateNormal(model: ScoringModel, rows: readonly FeatureRow[]): Promise<NormalEvaluation> {
  const scores = await scoreRows(model, rows);
  const threshold = model.manifest.threshold;
  let above = 0;
  for (const s of scores) if (s > threshold) above++;
  return {
    devices: new Set(rows.map((r) => r.device)).size,
    windows: rows.length,
    windowsAbove: above / rows.length,
    devicesAlerted: firstAlerts(rows, scores, threshold).size,
  };
}

export async function evaluateWear(model: ScoringModel, rows: readonly FeatureRow[], failures: readonly FailureWindow[]): Promise<WearEvaluation> {
  const scores = await scoreRows(model, rows);
  const alerts = firstAlerts(rows, scores, model.manifest.threshold);
  const byDevice = new Map(failures.map((f) => [f.device, f]));
  const progress: number[] = [];
  let before = 0;
  for (const [device, at] of alerts) {
    const f = byDevice.get(device);
    if (!f) continue;
    if (at <= f.start) before++;
    else if (at <= f.end) progress.push((at - f.start) / (f.end - f.start));
  }
  return { devices: byDevice.size, detected: progress.length, alertedBefore: before, progressAtAlert: progress.sort((a, b) => a - b) };
}

/** Per device, the end of the window that completed its first run of ALERT_RUN windows above the threshold. Rows are by device, then time. */
export function firstAlerts(rows: readonly FeatureRow[], scores: ArrayLike<number>, threshold: number): Map<string, number> {
  const first = new Map<string, number>();
  let device = '';
  let run = 0;
  rows.forEach((r, i) => {
    if (r.device !== device) {
      device = r.device;
      run = 0;
    }
    run = scores[i]! > threshold ? run + 1 : 0;
    if (run >= ALERT_RUN && !first.has(device)) first.set(device, r.end);
  });
  return first;
}
