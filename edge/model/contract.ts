// An anomaly model as the gateway uses it: an ONNX graph plus the manifest that says what goes in
// and what comes out. The scorer builds feature vectors in manifest order and calls `score` once
// per window close for every device due at that instant.
//
// Lifecycle: load (checks the graph against the manifest, refusing a mismatch with
// ERR_MODEL_MISMATCH) → score() any number of times → close().

import type { WindowSpecConfig } from '../config/schema.js';

export interface ModelManifest {
  /** e.g. `motor-baseline`. */
  readonly name: string;
  /** Free-form but ordered by the producer, e.g. `2026-11-30.1`; reported with every score. */
  readonly version: string;
  /** How it was made: `pca` (Hotelling T² and SPE/Q), `autoencoder`, or `external`. */
  readonly algorithm: 'pca' | 'autoencoder' | 'external';
  /** The window the features are taken over; must be one of the gateway's windows.definitions. */
  readonly window: WindowSpecConfig;
  /** Ordered input features, `<metric>.<feature>` (feature: a key of Features, e.g. `vib_rms.mean`). */
  readonly features: readonly string[];
  /** Applied by the runtime before the graph: x' = (x − mean) / std, per feature. */
  readonly normalisation: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** The graph's input: a float32 tensor [N, features.length]; N is the batch. */
  readonly input: { readonly name: string };
  /** The graph's output: float32 [N] (or [N, 1]), the anomaly score, higher = worse. */
  readonly output: { readonly name: string; readonly meaning: string };
  /** Decision threshold on the score, calibrated on held-back normal data. */
  readonly threshold: number;
  /** Which devices it scores: device ids, device kinds (see the gateway's `devices.kinds`), or both. */
  readonly appliesTo: { readonly devices?: readonly string[]; readonly kinds?: readonly string[] };
  /** How it was trained: rows, source, calibration; informational. */
  readonly training?: Readonly<Record<string, unknown>>;
}

export interface ScoringModel {
  readonly manifest: ModelManifest;
  /**
   * Score `n` feature vectors, row-major in `rows` (n × features.length, raw, not normalised).
   * One call is one batched inference. Rejects with ERR_MODEL_RUN when the runtime fails.
   */
  score(rows: Float32Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}
