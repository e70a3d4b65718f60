// What `tributary eval` runs a recording through: windows, models, detectors and rules — built by
// the auto recipe (auto-pipeline.ts) or taken from a gateway config.

import type { AlertRules } from '../analysis/analysis.js';
import type { Clock } from '../clock/clock.js';
import type { WindowSpecConfig } from '../config/schema.js';
import type { ScoringModel } from '../model/contract.js';

export interface EvalPipeline {
  readonly windows: readonly WindowSpecConfig[];
  /** The window whose verdicts are mapped onto rows. */
  readonly judged: WindowSpecConfig;
  readonly models: readonly ScoringModel[];
  /** Rules and detectors on the replay's clock. */
  readonly rules?: (clock: Clock) => AlertRules;
  readonly kinds?: Readonly<Record<string, readonly string[]>>;
  /** How the pipeline is made, one line per choice: the same for every recording it is made for. */
  readonly recipe: readonly string[];
  /** What fitting it to this recording chose (features, components, threshold), when it was fitted. */
  readonly fitted?: string;
}
