// The decision threshold, calibrated on normal windows the fit never saw:
//
//   threshold = quantile(held-back scores, q) × margin
//
// q (default 0.995) is the share of normal windows expected at or below the threshold, so about
// 1 − q of normal windows score above it; margin (default 1) widens it for data noisier than the
// held-back rows. Alert rules (N bad windows of M) then turn per-window false alarms into rare alerts.

import { quantile as quantileOf } from './distributions.js';

export interface Calibration {
  readonly trainingRows: number;
  readonly heldBackRows: number;
  readonly quantile: number;
  readonly margin: number;
  readonly threshold: number;
  /** The held-back scores' distribution, for judging the threshold. */
  readonly heldBackScores: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  /** Fraction of held-back windows above the threshold (≈ 1 − quantile when margin is 1). */
  readonly heldBackAboveThreshold: number;
}

export function calibrate(heldBackScores: ArrayLike<number>, trainingRows: number, quantile: number, margin: number): Calibration {
  if (!(quantile > 0 && quantile <= 1)) throw new TypeError(`quantile must be in (0, 1], got ${quantile}`);
  if (!(margin > 0 && Number.isFinite(margin))) throw new TypeError(`margin must be a positive number, got ${margin}`);
  const threshold = quantileOf(heldBackScores, quantile) * margin;
  let above = 0;
  for (let i = 0; i < heldBackScores.length; i++) if (heldBackScores[i]! > threshold) above++;
  const r = (v: number) => Number(v.toPrecision(6));
  return {
    trainingRows,
    heldBackRows: heldBackScores.length,
    quantile,
    margin,
    threshold,
    heldBackScores: {
      p50: r(quantileOf(heldBackScores, 0.5)),
      p90: r(quantileOf(heldBackScores, 0.9)),
      p99: r(quantileOf(heldBackScores, 0.99)),
      max: r(quantileOf(heldBackScores, 1)),
    },
    heldBackAboveThreshold: r(above / heldBackScores.length),
  };
}
