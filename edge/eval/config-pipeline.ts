// The eval pipeline from a gateway config and/or model files: the same windows, device kinds,
// models, detectors and alert rules the gateway would run.

import { AlertEngine } from '../alert/engine.js';
import { deviceKinds } from '../analysis/device-kinds.js';
import { validateAnalysisConfig } from '../config/analysis-load.js';
import { loadConfigFile } from '../config/load.js';
import type { WindowSpecConfig } from '../config/schema.js';
import { codedError } from '../errors/catalogue.js';
import { loadModels } from '../model/load-models.js';
import { windowKey } from '../window/key.js';
import type { EvalPipeline } from './pipeline.js';

/**
 * With a config: its windows, kinds, models (plus `modelPaths`), detectors and rules. With model
 * files alone: their windows, and one rule — 5 of 5 windows over the model's threshold, cleared
 * after 10 good ones, as the auto pipeline does. The judged window is the first model's, else the
 * first of the config's windows.
 */
export async function configPipeline(configPath: string | undefined, modelPaths: readonly string[], device: string): Promise<EvalPipeline> {
  const config = configPath ? loadConfigFile(configPath) : undefined;
  const paths = [...(config?.models.map((m) => m.path) ?? []), ...modelPaths];
  // With model files alone, each brings its own window.
  const models = await loadModels(paths, config?.windows.definitions);
  const windows: WindowSpecConfig[] = config ? [...config.windows.definitions] : unique(models.map((m) => m.manifest.window));
  const judged = models[0]?.manifest.window ?? windows[0];
  if (judged === undefined || judged.kind === 'session') {
    await Promise.allSettled(models.map((m) => m.close()));
    throw codedError('ERR_CLI_USAGE', ['eval needs a tumbling or hopping window to judge rows by: give a model or a config with one', 'eval']);
  }
  const analysis = config ? { detectors: config.detectors, alerts: config.alerts } : validateAnalysisConfig({ alerts: { rules: [{ name: 'anomaly', type: 'score', inWindows: 5, ofWindows: 5, clearAfter: 10, window: judged }] } });
  return {
    windows,
    judged,
    models,
    kinds: config?.devices.kinds ?? {},
    rules: (clock) => new AlertEngine({ gateway: 'eval', rules: analysis.alerts.rules, detectors: analysis.detectors, defaultWindow: windows[0]!, clock, kindOf: deviceKinds(config?.devices.kinds ?? {}) }),
    recipe: [
      config ? `pipeline: ${configPath}` : 'pipeline: the given model(s); 5 of 5 windows over the threshold raise an alert, 10 good ones clear it',
      ...models.map((m) => `model: ${m.manifest.name} ${m.manifest.version} on ${m.manifest.features.join(', ')} over ${windowKey(m.manifest.window)}`),
    ],
    fitted: `device ${device}`,
  };
}

function unique(windows: readonly WindowSpecConfig[]): WindowSpecConfig[] {
  const seen = new Map(windows.map((w) => [windowKey(w), w]));
  return [...seen.values()];
}
