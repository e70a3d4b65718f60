// The default model for the simulator's `motor` kind, made by the project's own code: normal
// readings of many simulated motors, windowed by the gateway's engine (tumbling 10 s, the
// gateway's default), fitted with PCA (T² and SPE/Q), then checked on motors it never saw.
//
// Why these features: vib_rms.mean and bearing_temp.mean are what bearing wear moves (vibration
// up to 4×, bearing +25 °C); current.mean says whether the load is on, which sets what vibration
// and temperature are normal; vib_rms.std makes a load switch inside a window look like what it
// is (one unusual window) rather than like a shifted level. A switch inside a window happens about
// once every 100 windows, so the threshold is the 0.99 quantile of normal windows: such single
// windows may score above it, and an alert needs ALERT_RUN windows in a row.
//
// Everything is seeded and the creation time is fixed, so the files are byte-identical on every run.

import type { ModelManifest, ScoringModel } from '../../edge/model/contract.js';
import { validateManifest } from '../../edge/model/manifest.js';
import { trainingSetFromReadings } from '../../edge/model/train/training-data.js';
import { trainModel, type TrainedModel } from '../../edge/model/train/train.js';
import { evaluateNormal, evaluateWear, ALERT_RUN, type NormalEvaluation, type WearEvaluation } from './motor-evaluation.js';
import { FLEET_START, motorFleet, type MotorFleetOptions } from './motor-fleet.js';

const HOUR = 3_600_000;

export const MOTOR_MODEL = {
  name: 'motor-baseline',
  version: '2024-11-24.1',
  window: { kind: 'tumbling', sizeMs: 10_000 },
  features: ['vib_rms.mean', 'vib_rms.std', 'bearing_temp.mean', 'current.mean'],
  quantile: 0.99,
  /** The simulated fleet it is fitted on: many motors cover the spread of motor sizes and duty cycles. */
  training: { seed: 1, motors: 200, durationMs: 3 * HOUR, ratePerSec: 1 },
  /** Written as training.createdAt: fixed, so regenerating gives the same bytes. */
  createdAt: FLEET_START,
} as const;

/** Fleets the model never saw (other seeds): normal motors at 1 and 10 readings/s, and bearing wear slow and fast. */
export const MOTOR_CHECKS = {
  normal: { seed: 2, motors: 100, durationMs: 6 * HOUR },
  normalFast: { seed: 4, motors: 20, durationMs: 3 * HOUR, ratePerSec: 10 },
  wear: { seed: 3, motors: 40, durationMs: 4 * HOUR, bearingWear: { startMs: HOUR, durationMs: 2 * HOUR, severity: 1 } },
  wearFast: { seed: 5, motors: 40, durationMs: 20 * 60_000, ratePerSec: 10, bearingWear: { startMs: 60_000, durationMs: 480_000, severity: 2 } },
} as const satisfies Record<string, MotorFleetOptions>;

/** Fit the motor model (pure and deterministic; about 10 s for the default fleet). */
export function makeMotorModel(fleet: MotorFleetOptions = MOTOR_MODEL.training): TrainedModel {
  const data = trainingSetFromReadings(
    motorFleet(fleet).readings(),
    MOTOR_MODEL.features,
    MOTOR_MODEL.window,
    `simulated motors (devices/signals/motor.ts): ${fleet.motors} motors, seed ${fleet.seed}, ${fleet.durationMs / HOUR} h at ${fleet.ratePerSec ?? 1} reading/s`,
  );
  return trainModel(data, {
    algorithm: 'pca',
    name: MOTOR_MODEL.name,
    version: MOTOR_MODEL.version,
    window: MOTOR_MODEL.window,
    appliesTo: { kinds: ['motor'] },
    createdAt: MOTOR_MODEL.createdAt,
    quantile: MOTOR_MODEL.quantile,
    split: 'devices',
    seed: fleet.seed,
  });
}

export interface MotorChecks {
  readonly alertRun: number;
  readonly normal: NormalEvaluation;
  readonly normalFast: NormalEvaluation;
  readonly wear: WearEvaluation;
  readonly wearFast: WearEvaluation;
}

/** Run the checks of MOTOR_CHECKS against a loaded model (about 20 s). */
export async function checkMotorModel(model: ScoringModel): Promise<MotorChecks> {
  const rows = (fleet: MotorFleetOptions) => trainingSetFromReadings(motorFleet(fleet).readings(), model.manifest.features, model.manifest.window, 'check').rows;
  const wearFleet = (fleet: MotorFleetOptions) => motorFleet(fleet).failures;
  return {
    alertRun: ALERT_RUN,
    normal: await evaluateNormal(model, rows(MOTOR_CHECKS.normal)),
    normalFast: await evaluateNormal(model, rows(MOTOR_CHECKS.normalFast)),
    wear: await evaluateWear(model, rows(MOTOR_CHECKS.wear), wearFleet(MOTOR_CHECKS.wear)),
    wearFast: await evaluateWear(model, rows(MOTOR_CHECKS.wearFast), wearFleet(MOTOR_CHECKS.wearFast)),
  };
}

/** The manifest with the checks' figures recorded under training.checks. */
export function withChecks(manifest: ModelManifest, checks: MotorChecks): ModelManifest {
  const summary = (w: WearEvaluation) => ({
    devices: w.devices,
    detected: w.detected,
    alertedBefore: w.alertedBefore,
    progressAtAlert: { p50: quantile(w.progressAtAlert, 0.5), max: quantile(w.progressAtAlert, 1) },
  });
  const normal = (n: NormalEvaluation) => ({ ...n, windowsAbove: Number(n.windowsAbove.toPrecision(4)) });
  return validateManifest(
    {
      ...manifest,
      training: {
        ...manifest.training,
        checks: {
          alert: `${checks.alertRun} consecutive windows above the threshold`,
          fleets: MOTOR_CHECKS,
          normal: normal(checks.normal),
          normalFast: normal(checks.normalFast),
          wear: summary(checks.wear),
          wearFast: summary(checks.wearFast),
        },
      },
    },
    MOTOR_MODEL.name,
  );
}

/** A few lines for stdout. */
export function describeChecks(c: MotorChecks): string {
  const n = (label: string, e: NormalEvaluation) => `${label}: ${(100 * e.windowsAbove).toFixed(2)}% of ${e.windows} windows above the threshold; ${e.devicesAlerted} of ${e.devices} motors alerted`;
  const w = (label: string, e: WearEvaluation) =>
    `${label}: ${e.detected} of ${e.devices} motors alerted during the wear (${e.alertedBefore} before it), at ${pct(quantile(e.progressAtAlert, 0.5))} of the wear window (median), ${pct(quantile(e.progressAtAlert, 1))} at the latest`;
  return [
    `checks on motors the model never saw (an alert = ${c.alertRun} windows in a row above the threshold):`,
    `  ${n(`normal, seed ${MOTOR_CHECKS.normal.seed}, 1 reading/s`, c.normal)}`,
    `  ${n(`normal, seed ${MOTOR_CHECKS.normalFast.seed}, 10 readings/s`, c.normalFast)}`,
    `  ${w('bearing wear, severity 1 over 2 h', c.wear)}`,
    `  ${w('bearing wear, severity 2 over 8 min, 10 readings/s', c.wearFast)}`,
    '',
  ].join('\n');
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return Number(sorted[Math.round((sorted.length - 1) * q)]!.toFixed(3));
}

const pct = (v: number): string => (Number.isNaN(v) ? '—' : `${Math.round(100 * v)}%`);
