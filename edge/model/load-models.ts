// Loads the models a gateway config lists, checking each against the gateway's windows: a model
// made for a window the gateway does not keep could never score anything, so it is refused.

import type { WindowSpecConfig } from '../config/schema.js';
import { codedError } from '../errors/catalogue.js';
import { windowKey } from '../window/key.js';
import type { ScoringModel } from './contract.js';
import { loadModel } from './onnx-model.js';

/**
 * Load every model, or none: on any failure the ones already loaded are closed and the error
 * thrown. With `windows`, each model's window must be one of them.
 */
export async function loadModels(paths: readonly string[], windows?: readonly WindowSpecConfig[]): Promise<ScoringModel[]> {
  const kept = new Set(windows?.map((w) => windowKey(w)));
  const models: ScoringModel[] = [];
  try {
    for (const path of paths) {
      const model = await loadModel(path);
      models.push(model);
      const w = model.manifest.window;
      if (windows && !kept.has(windowKey(w))) {
        throw codedError('ERR_MODEL_WINDOW', [path, windowKey(w), [...kept].join(', ')]);
      }
    }
    return models;
  } catch (err) {
    await Promise.allSettled(models.map((m) => m.close()));
    throw err;
  }
}
