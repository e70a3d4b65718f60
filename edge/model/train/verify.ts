// Check a freshly trained model the way the gateway will run it: load it in onnxruntime (manifest
// and graph checks included), score the held-back rows in one batch, and compare with the
// TypeScript reference. Then describe the result in a few lines for the person who trained it.

import type { ModelPaths } from '../model-files.js';
import { loadModelFromBytes } from '../onnx-model.js';
import type { TrainedModel } from './train.js';

export interface Verification {
  /** Largest |onnxruntime − reference| over the held-back rows. */
  readonly maxAbsDiff: number;
  /** Fraction of held-back rows onnxruntime scores above the threshold. */
  readonly heldBackAbove: number;
}

/** Throws ERR_MODEL_MANIFEST / ERR_MODEL_MISMATCH if the model would not load in the gateway. */
export async function verifyTrained(trained: TrainedModel): Promise<Verification> {
  const model = await loadModelFromBytes(trained.onnx, trained.manifest);
  try {
    const f = trained.manifest.features.length;
    const n = trained.heldBack.length;
    const rows = new Float32Array(n * f);
    trained.heldBack.forEach((r, i) => rows.set(r.vector, i * f));
    const scores = await model.score(rows, n);
    const reference = trained.reference(rows, n);
    let maxAbsDiff = 0;
    let above = 0;
    for (let i = 0; i < n; i++) {
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(scores[i]! - reference[i]!));
      if (scores[i]! > trained.manifest.threshold) above++;
    }
    return { maxAbsDiff, heldBackAbove: above / n };
  } finally {
    await model.close();
  }
}

/** What was written and how it was calibrated, as lines for stdout. */
export function describeTrained(trained: TrainedModel, paths: ModelPaths, check: Verification): string {
  const m = trained.manifest;
  const c = trained.calibration;
  const t = (m.training ?? {}) as Record<string, unknown>;
  const w = m.window;
  const window = w.kind === 'session' ? `session ${w.gapMs} ms` : w.kind === 'hopping' ? `hopping ${w.sizeMs} ms / ${w.slideMs} ms` : `tumbling ${w.sizeMs} ms`;
  const pca = t.pca as { components: number; explainedVariance: number; t2Limit: number; qLimit: number; confidence: number } | undefined;
  const ae = t.autoencoder as { layers: number[]; epochs: number; bestEpoch: number; validationLoss: number } | undefined;
  const fit = pca
    ? `${pca.components} component(s) explaining ${(100 * pca.explainedVariance).toFixed(1)}% of the variance; T²_lim ${pca.t2Limit}, Q_lim ${pca.qLimit} at ${pca.confidence}`
    : ae
      ? `layers ${ae.layers.join('→')}, ${ae.epochs} epochs, weights of epoch ${ae.bestEpoch} (validation loss ${ae.validationLoss})`
      : '';
  const s = c.heldBackScores;
  return [
    `wrote ${paths.onnx} and ${paths.manifest}`,
    `model ${m.name}@${m.version}: ${m.algorithm} on ${m.features.length} feature(s) over ${window}: ${m.features.join(', ')}`,
    `fit on ${c.trainingRows} window(s) of ${String(t.devices)} device(s): ${fit}`,
    `threshold ${fmt(m.threshold)} = quantile ${c.quantile} of ${c.heldBackRows} held-back window(s) × ${c.margin} (held-back p50 ${s.p50}, p90 ${s.p90}, p99 ${s.p99}, max ${s.max})`,
    `onnxruntime scores ${(100 * check.heldBackAbove).toFixed(2)}% of held-back windows above it, and agrees with the TypeScript reference to ${check.maxAbsDiff.toExponential(1)}`,
    '',
  ].join('\n');
}

const fmt = (v: number): string => Number(v.toPrecision(6)).toString();
