// The configured detectors, run on the observations they apply to: one detector instance per
// (configured detector, device), created on the device's first applicable window.

import type { DetectorConfig } from '../config/analysis-schema.js';
import type { TSchema } from '@sinclair/typebox';
import type { Detector, DetectorKind } from '../detect/contract.js';
import { detectorKinds } from '../detect/registry.js';
import type { WindowSpec } from '../window/contract.js';
import type { DetectorResult, WindowObservation } from './alert.js';
import { Scope } from './scope.js';

export interface DetectorCounters {
  /** Values scored. */
  ran: number;
  fired: number;
}

/** One device's detector instances by configured name. */
export type DetectorInstances = Map<string, Detector>;

/** A detector's checkpoint: its kind (to notice a config change) and its history, oldest first. */
export interface SavedDetector {
  readonly kind: string;
  readonly history: number[];
}

interface Compiled {
  readonly config: DetectorConfig;
  readonly scope: Scope;
}

export class DetectorSet {
  readonly #detectors: readonly Compiled[];
  readonly #byName: ReadonlyMap<string, Compiled>;
  /** Per configured detector, by name. */
  readonly counters: Readonly<Record<string, DetectorCounters>>;

  constructor(configs: readonly DetectorConfig[], defaultWindow: WindowSpec) {
    this.#detectors = configs.map((config) => ({ config, scope: new Scope(config, defaultWindow) }));
    this.#byName = new Map(this.#detectors.map((d) => [d.config.name, d]));
    this.counters = Object.fromEntries(configs.map((c) => [c.name, { ran: 0, fired: 0 }]));
  }

  /**
   * Run every detector that applies to this observation (its window, its devices or kinds, its
   * feature present and finite) on the device's instances. `window` is windowKey(obs.window).
   */
  run(obs: WindowObservation, window: string, kind: () => string | undefined, instances: DetectorInstances): DetectorResult[] {
    const results: DetectorResult[] = [];
    for (const { config, scope } of this.#detectors) {
      if (scope.window !== window || !scope.includes(obs.device, kind)) continue;
      const value = obs.features[config.feature];
      if (value === undefined || !Number.isFinite(value)) continue;
      let detector = instances.get(config.name);
      if (!detector) instances.set(config.name, (detector = create(config)));
      const verdict = detector.update(value);
      const counters = this.counters[config.name]!;
      counters.ran++;
      if (verdict.fired) counters.fired++;
      results.push({ detector: config.name, kind: config.kind, feature: config.feature, value, ...verdict });
    }
    return results;
  }

  save(instances: DetectorInstances): Record<string, SavedDetector> {
    const out: Record<string, SavedDetector> = {};
    for (const [name, detector] of instances) out[name] = { kind: this.#byName.get(name)!.config.kind, history: detector.history() };
    return out;
  }

  /** Rebuild a device's instances; histories of detectors no longer configured, or now of another kind, are dropped. */
  load(saved: Readonly<Record<string, SavedDetector>>): DetectorInstances {
    const instances: DetectorInstances = new Map();
    for (const [name, s] of Object.entries(saved)) {
      const d = this.#byName.get(name);
      if (d && d.config.kind === s.kind) instances.set(name, create(d.config, s.history.filter(Number.isFinite)));
    }
    return instances;
  }
}

function create(config: DetectorConfig, history?: readonly number[]): Detector {
  // The schema pairs each kind with that kind's params, so the registry entry accepts them.
  const kind: DetectorKind<TSchema> = detectorKinds[config.kind];
  return kind.create(config.params, history);
}
