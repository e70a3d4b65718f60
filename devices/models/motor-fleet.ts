// Simulated motors for model making: the simulator's own devices (signal model, failures,
// sensor quantisation) sampled directly in simulated time, no network, as gateway readings.

import type { Reading } from '../../edge/decode/reading.js';
import { validateScenario } from '../scenario/load.js';
import { planFleet, type FailureWindow } from '../scenario/plan.js';
import { SimulatedDevice } from '../simulated-device.js';

/** Simulated time every model-making fleet starts at: fixed, so the readings are the same on every run. */
export const FLEET_START = '2024-11-24T00:00:00Z';

export interface MotorFleetOptions {
  /** Scenario seed: different seeds give different motors (levels, duty cycles, phases) and noise. */
  readonly seed: number;
  readonly motors: number;
  /** Simulated length (ms). */
  readonly durationMs: number;
  /** Readings per motor per simulated second (default 1, as devices/scenarios/demo.yaml). */
  readonly ratePerSec?: number;
  /** Bearing wear on every motor from startMs for durationMs at this severity (default: none). */
  readonly bearingWear?: { readonly startMs: number; readonly durationMs: number; readonly severity: number };
  /** Device id prefix (default `motor-`). */
  readonly idPrefix?: string;
}

export interface MotorFleet {
  readonly devices: readonly string[];
  /** The injected failure windows (empty for a normal fleet). */
  readonly failures: readonly FailureWindow[];
  /** Every motor's readings, in time order across the fleet. */
  readings(): Generator<Reading>;
}

export function motorFleet(options: MotorFleetOptions): MotorFleet {
  const idPrefix = options.idPrefix ?? 'motor-';
  const scenario = validateScenario({
    seed: options.seed,
    startTime: FLEET_START,
    durationMs: options.durationMs,
    groups: [{ kind: 'motor', count: options.motors, idPrefix, ratePerSec: options.ratePerSec ?? 1 }],
    failures: options.bearingWear ? [{ device: idPrefix.replace(/[-_.]+$/, '') || idPrefix, mode: 'bearing-wear', ...options.bearingWear }] : [],
  });
  const plan = planFleet(scenario, 0);
  return {
    devices: plan.devices.map((d) => d.id),
    failures: plan.failures,
    *readings() {
      const devices = plan.devices.map((d) => new SimulatedDevice(d, plan.startTime, options.durationMs));
      // Each device reads once per period at its own phase; taking them round-robin keeps every
      // device in time order and the fleet within one period of it.
      for (;;) {
        let any = false;
        for (const device of devices) {
          if (device.nextAt === Infinity) continue;
          any = true;
          for (const m of device.take()) {
            if (m.kind === 'good') yield { device: m.device, ts: m.ts, tsFromArrival: false, receivedAt: m.ts, values: m.values };
          }
        }
        if (!any) return;
      }
    },
  };
}
