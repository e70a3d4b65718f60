// Scores observations with the anomaly models that apply to their devices: one batched inference
// per model per call, however many devices closed a window at that instant. A model that fails
// is reported and counted; its devices go unscored and everything else carries on.

import type { ModelScore } from '../alert/alert.js';
import type { WindowRef } from '../features/summary.js';
import type { ScoringModel } from '../model/contract.js';
import { windowMatches } from '../model/feature-rows.js';
import { writeVector } from '../model/feature-vector.js';
import type { Logger } from '../observe/log.js';
import type { KindOf } from './device-kinds.js';
import type { AnalysisMetrics } from './metrics.js';
import type { Observation } from './observations.js';

export interface ScorerOptions {
  readonly models: readonly ScoringModel[];
  readonly kindOf: KindOf;
  readonly log: Logger;
  readonly metrics: AnalysisMetrics;
}

export class Scorer {
  #models: readonly ScoringModel[];
  #kindOf: KindOf;
  readonly #byDevice = new Map<string, ScoringModel | null>();
  /** Reused input buffers, one per model, grown as batches grow. */
  readonly #buffers = new Map<ScoringModel, Float32Array>();

  constructor(private readonly o: ScorerOptions) {
    this.#models = o.models;
    this.#kindOf = o.kindOf;
  }

  get models(): readonly ScoringModel[] {
    return this.#models;
  }

  /**
   * Swap the model set (between batches), and with `kindOf` the device kinds; the old models are
   * returned for the caller to close (those it no longer uses).
   */
  replace(models: readonly ScoringModel[], kindOf?: KindOf): readonly ScoringModel[] {
    const old = this.#models;
    this.#models = models;
    if (kindOf) this.#kindOf = kindOf;
    this.#byDevice.clear();
    this.#buffers.clear();
    return old;
  }

  /** The model for a device: one naming the device wins over one naming its kind; the first listed wins a tie. */
  modelFor(device: string): ScoringModel | undefined {
    let m = this.#byDevice.get(device);
    if (m === undefined) {
      const kind = this.#kindOf(device);
      m = this.#models.find((x) => x.manifest.appliesTo.devices?.includes(device)) ?? (kind !== undefined ? this.#models.find((x) => x.manifest.appliesTo.kinds?.includes(kind)) : undefined) ?? null;
      this.#byDevice.set(device, m);
    }
    return m ?? undefined;
  }

  /** Whether a model scores `device` on `window` (the windows the analysis stage keeps for revisions). */
  scores(device: string, window: WindowRef): boolean {
    const model = this.modelFor(device);
    return model !== undefined && windowMatches(model.manifest.window, window);
  }

  /** Scores for the observations, by index (absent where no model applies, a feature is missing or the model failed). */
  async score(observations: readonly Observation[]): Promise<Map<number, ModelScore>> {
    const groups = new Map<ScoringModel, number[]>();
    observations.forEach((obs, i) => {
      const model = this.modelFor(obs.device);
      if (model === undefined || !windowMatches(model.manifest.window, obs.window)) return;
      let g = groups.get(model);
      if (g === undefined) groups.set(model, (g = []));
      g.push(i);
    });
    const scores = new Map<number, ModelScore>();
    await Promise.all([...groups].map(([model, indices]) => this.#scoreGroup(model, indices, observations, scores)));
    return scores;
  }

  async #scoreGroup(model: ScoringModel, indices: number[], observations: readonly Observation[], out: Map<number, ModelScore>): Promise<void> {
    const { name, version, features, threshold } = model.manifest;
    const width = features.length;
    const rows = this.#buffer(model, indices.length * width);
    const scored: number[] = [];
    for (const i of indices) {
      if (writeVector(observations[i]!.features, features, rows, scored.length * width)) scored.push(i);
      else this.o.metrics.skipped.labels('missing_features').inc();
    }
    if (scored.length === 0) return;
    const started = performance.now();
    try {
      const result = await model.score(rows.subarray(0, scored.length * width), scored.length);
      this.o.metrics.inference.observe((performance.now() - started) / 1000);
      this.o.metrics.rowsScored.labels(name).inc(scored.length);
      scored.forEach((i, k) => out.set(i, { model: name, version, value: result[k]!, threshold }));
    } catch (err) {
      this.o.metrics.modelErrors.labels(name).inc();
      this.o.metrics.skipped.labels('model_failed').inc(scored.length);
      this.o.log.error({ err, model: name, version, rows: scored.length }, 'model failed; windows go on unscored');
    }
  }

  #buffer(model: ScoringModel, size: number): Float32Array {
    let b = this.#buffers.get(model);
    if (b === undefined || b.length < size) {
      b = new Float32Array(Math.max(size, (b?.length ?? 0) * 2));
      this.#buffers.set(model, b);
    }
    return b;
  }
}
