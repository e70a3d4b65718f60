// A scoring model computed in TypeScript (score = the sum of the raw features), recording every
// batch it is given: for tests of batching and failure handling around models, not of ONNX.

import type { ModelManifest, ScoringModel } from '../../edge/model/contract.js';

export class SumModel implements ScoringModel {
  readonly calls: number[][][] = [];
  failNext = false;
  /** While set, score() answers only once it resolves (a slow inference). */
  gate: Promise<void> | undefined;
  constructor(readonly manifest: ModelManifest) {}
  async score(rows: Float32Array, n: number): Promise<Float32Array> {
    const w = this.manifest.features.length;
    const batch = Array.from({ length: n }, (_, i) => Array.from(rows.subarray(i * w, i * w + w)));
    this.calls.push(batch);
    await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('runtime exploded');
    }
    return Float32Array.from(batch.map((r) => r.reduce((a, b) => a + b, 0)));
  }
  async close(): Promise<void> {}
}
