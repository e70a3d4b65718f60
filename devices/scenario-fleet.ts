// A scenario made runnable: its plan (devices, failures, start time), the transports its devices
// speak over, and the Fleet that paces them with the scenario's own speed-up, tick and duration.

import type { Clock } from '../edge/clock/clock.js';
import { Fleet, type FleetProgress } from './fleet.js';
import { planFleet, type FleetPlan } from './scenario/plan.js';
import type { Scenario } from './scenario/schema.js';
import type { Transport } from './transport/contract.js';
import { buildFleet } from './transport/registry.js';

export interface ScenarioFleet {
  readonly plan: FleetPlan;
  readonly transports: readonly Transport[];
  /** Not yet open. */
  readonly fleet: Fleet;
}

export interface ScenarioFleetOptions {
  readonly clock: Clock;
  /** Overrides scenario.gateway.url for the MQTT devices. */
  readonly gatewayUrl?: string;
  readonly onProgress?: (progress: FleetProgress) => void;
}

export function scenarioFleet(scenario: Scenario, options: ScenarioFleetOptions): ScenarioFleet {
  const plan = planFleet(scenario, options.clock.now());
  const built = buildFleet(scenario, plan, options.gatewayUrl);
  const fleet = new Fleet(built.devices, {
    clock: options.clock,
    speedup: scenario.speedup,
    startTime: plan.startTime,
    tickMs: scenario.tickMs,
    ...(scenario.durationMs !== undefined ? { durationMs: scenario.durationMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { plan, transports: built.transports, fleet };
}
