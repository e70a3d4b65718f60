// The models a gateway scores with: those its config names (`models[].path`) and those the cloud
// pushed (by manifest name). A pushed model takes the place of the configured model of the same
// name, keeping its position (which decides ties in Scorer.modelFor); one of a new name comes after
// the configured ones. Changes are prepared off to the side — loaded and checked while the running
// set keeps scoring — then committed once the scorer has swapped, and only then are the models
// nothing uses any more closed.

import type { WindowSpecConfig } from '../config/schema.js';
import { codedError } from '../errors/catalogue.js';
import { windowKey } from '../window/key.js';
import type { ScoringModel } from './contract.js';
import { loadModel } from './onnx-model.js';

/** Where a running model came from. */
export type ModelSource = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'push'; readonly id: string };

export interface ModelEntry {
  readonly model: ScoringModel;
  readonly source: ModelSource;
}

/** A change ready to commit: the models to score with, in order; or to discard. */
export interface PreparedModels {
  readonly models: readonly ScoringModel[];
  /** What runs, in order, with where it came from (for the applied report). */
  readonly entries: readonly ModelEntry[];
  /** Make it the running set; returns the models nothing uses any more (close them after the swap). */
  commit(): ScoringModel[];
  /** Close what was loaded for this change; the running set is untouched. */
  discard(): Promise<void>;
}

export class ModelSet {
  /** Configured models by path, in config order. */
  #files = new Map<string, ScoringModel>();
  /** Pushed models by manifest name. */
  #pushed = new Map<string, { readonly id: string; readonly model: ScoringModel }>();

  constructor(private readonly windows: readonly WindowSpecConfig[]) {}

  /** The running models in scoring order, with their sources. */
  get entries(): ModelEntry[] {
    return compose(this.#files, this.#pushed);
  }

  /** Every model loaded (the running ones and configured ones a pushed model hides), for closing. */
  all(): ScoringModel[] {
    return [...new Set([...this.#files.values(), ...[...this.#pushed.values()].map((p) => p.model)])];
  }

  /**
   * The configured models become those at `paths`: models already loaded from a path are kept,
   * new paths loaded and checked against the gateway's windows. Throws what loading throws
   * (ERR_MODEL_READ, ERR_MODEL_MANIFEST, ERR_MODEL_MISMATCH, ERR_MODEL_WINDOW), having closed
   * whatever it loaded.
   */
  async withFiles(paths: readonly string[]): Promise<PreparedModels> {
    const files = new Map<string, ScoringModel>();
    const loaded: ScoringModel[] = [];
    try {
      for (const path of paths) {
        let model = this.#files.get(path) ?? files.get(path);
        if (model === undefined) {
          model = await loadModel(path);
          loaded.push(model);
          this.checkWindow(model, path);
        }
        files.set(path, model);
      }
    } catch (err) {
      await Promise.allSettled(loaded.map((m) => m.close()));
      throw err;
    }
    return this.#prepared(files, this.#pushed, loaded);
  }

  /** `model` (loaded and checked by the caller, window included) runs under its manifest name, brought by push `id`. */
  withPushed(id: string, model: ScoringModel): PreparedModels {
    const pushed = new Map(this.#pushed);
    pushed.set(model.manifest.name, { id, model });
    return this.#prepared(this.#files, pushed, [model]);
  }

  /** Throws ERR_MODEL_WINDOW when the model's window is not one of the gateway's. */
  checkWindow(model: ScoringModel, source: string): void {
    const kept = this.windows.map((w) => windowKey(w));
    const w = windowKey(model.manifest.window);
    if (!kept.includes(w)) throw codedError('ERR_MODEL_WINDOW', [source, w, kept.join(', ')]);
  }

  #prepared(files: Map<string, ScoringModel>, pushed: Map<string, { readonly id: string; readonly model: ScoringModel }>, loaded: ScoringModel[]): PreparedModels {
    const entries = compose(files, pushed);
    return {
      entries,
      models: entries.map((e) => e.model),
      commit: () => {
        const before = this.all();
        this.#files = files;
        this.#pushed = pushed;
        const now = new Set(this.all());
        return before.filter((m) => !now.has(m));
      },
      discard: async () => {
        await Promise.allSettled(loaded.map((m) => m.close()));
      },
    };
  }
}

function compose(files: ReadonlyMap<string, ScoringModel>, pushed: ReadonlyMap<string, { readonly id: string; readonly model: ScoringModel }>): ModelEntry[] {
  const used = new Set<string>();
  const entries: ModelEntry[] = [];
  for (const [path, model] of files) {
    const name = model.manifest.name;
    const over = pushed.get(name);
    if (over && !used.has(name)) {
      used.add(name);
      entries.push({ model: over.model, source: { kind: 'push', id: over.id } });
    } else if (!over) {
      entries.push({ model, source: { kind: 'file', path } });
    }
  }
  for (const [name, p] of [...pushed].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!used.has(name)) entries.push({ model: p.model, source: { kind: 'push', id: p.id } });
  }
  return entries;
}
