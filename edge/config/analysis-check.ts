// The checks on `detectors` and `alerts` a schema cannot express: names unique, rules naming
// detectors that exist and watch the same window, limits that make sense together.

import type { WindowSpec } from '../window/contract.js';
import { windowKey } from '../window/key.js';
import type { AlertsConfig, DetectorConfig } from './analysis-schema.js';

export interface AnalysisWindows {
  /** The gateway's windows.definitions: when given, every detector and rule window must be one of them. */
  readonly definitions?: readonly WindowSpec[];
  /** The window of detectors and rules that name none (default: the first definition). */
  readonly defaultWindow?: WindowSpec;
}

/**
 * Problems with a schema-valid analysis config, each `path: what`, empty when there are none.
 * Paths are relative to the gateway config's root (`detectors.0.params`, `alerts.rules.2.detector`).
 */
export function checkAnalysisConfig(config: { readonly detectors: readonly DetectorConfig[]; readonly alerts: AlertsConfig }, windows?: AnalysisWindows): string[] {
  const problems: string[] = [];
  const { detectors, alerts } = config;
  const defaultWindow = windows?.defaultWindow ?? windows?.definitions?.[0];
  const resolve = (w: WindowSpec | undefined) => w ?? defaultWindow;
  const keyOf = (w: WindowSpec | undefined) => windowKey(resolve(w)!);
  // Without the default window, a named window and an unnamed one cannot be compared: assume they match.
  const sameWindow = (a: WindowSpec | undefined, b: WindowSpec | undefined) => !resolve(a) || !resolve(b) || keyOf(a) === keyOf(b);
  const known = windows?.definitions && new Set(windows.definitions.map(windowKey));
  const checkWindow = (w: WindowSpec | undefined, path: string) => {
    if (known && w && !known.has(windowKey(w))) problems.push(`${path}.window: ${windowKey(w)} is not one of windows.definitions`);
  };
  duplicates(detectors.map((d) => d.name)).forEach((n) => problems.push(`detectors: name ${n} is used twice`));
  duplicates(alerts.rules.map((r) => r.name)).forEach((n) => problems.push(`alerts.rules: name ${n} is used twice`));

  detectors.forEach((d, i) => {
    const path = `detectors.${i}`;
    checkWindow(d.window, path);
    const history = d.kind === 'robust-z' ? d.params.window : d.params.reference;
    if (d.params.minSamples > history) problems.push(`${path}.params.minSamples: ${d.params.minSamples} exceeds the ${d.kind === 'robust-z' ? 'window' : 'reference'} (${history}), so it would never fire`);
  });

  const byName = new Map(detectors.map((d) => [d.name, d]));
  alerts.rules.forEach((r, i) => {
    const path = `alerts.rules.${i}`;
    if (r.type === 'silent') {
      if (r.afterMs >= alerts.forgetAfterMs) problems.push(`${path}.afterMs: ${r.afterMs} is not below alerts.forgetAfterMs (${alerts.forgetAfterMs}); the device would be forgotten before it is called silent`);
      return;
    }
    // Judged on each reading: there is no window to check (the schema refuses the key).
    if (r.type === 'reading-threshold') return checkLimits(r, path, problems);
    checkWindow(r.window, path);
    if (r.type === 'threshold') checkLimits(r, path, problems);
    else if (r.type === 'score') {
      if (r.inWindows > r.ofWindows) problems.push(`${path}.inWindows: ${r.inWindows} exceeds ofWindows (${r.ofWindows})`);
      if (r.updateStep === undefined && r.threshold === 0) problems.push(`${path}.updateStep: required when the threshold is 0 (its default is 10% of the threshold)`);
    } else if (r.type === 'detector') {
      const d = byName.get(r.detector);
      if (!d) problems.push(`${path}.detector: no detector is named ${r.detector}`);
      else {
        if (!sameWindow(d.window, r.window)) problems.push(`${path}.window: the rule looks at ${keyOf(r.window)} but detector ${d.name} runs on ${keyOf(d.window)}, so it never sees a result`);
        if (r.change !== undefined && d.kind !== 'level-shift') problems.push(`${path}.change: detector ${d.name} is ${d.kind}, which does not tell level shifts from spikes`);
      }
    }
  });
  return problems;
}

/** above/below of `threshold` and `reading-threshold`: at least one, in order, and an updateStep when the default would be 0. */
function checkLimits(r: { readonly above?: number; readonly below?: number; readonly updateStep?: number }, path: string, problems: string[]): void {
  if (r.above === undefined && r.below === undefined) problems.push(`${path}: set above, below or both`);
  if (r.above !== undefined && r.below !== undefined && r.above <= r.below) problems.push(`${path}: above (${r.above}) must exceed below (${r.below}), or every value is bad`);
  if (r.updateStep === undefined && (r.above === 0 || r.below === 0)) problems.push(`${path}.updateStep: required when a limit is 0 (its default is 10% of the limit)`);
}

function duplicates(names: readonly string[]): string[] {
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}
