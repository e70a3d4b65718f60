// Config and model pushes for tests, as the cloud would send them: a config overlay as YAML, a
// model's bytes with its manifest; a tiny ONNX model whose score is known exactly
// (Σ ((x − mean) / std)², so changing `std` between versions changes every score predictably);
// and a new version of the default motor model, fitted by the project's own code.

import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MOTOR_MODEL } from '../../devices/models/motor-model.js';
import { motorFleet } from '../../devices/models/motor-fleet.js';
import type { ModelManifest } from '../../edge/model/contract.js';
import { writeModel } from '../../edge/model/model-files.js';
import { trainingSetFromReadings } from '../../edge/model/train/training-data.js';
import { trainModel, type TrainedModel } from '../../edge/model/train/train.js';
import type { PushInput } from '../../edge/uplink/push-protocol.js';
import { manifestFor } from './model-data.js';
import { sumOfSquares } from './onnx-graphs.js';

export const newPushId = (): string => randomBytes(16).toString('hex');

let clock = Date.UTC(2024, 10, 24, 12);
/** Push times that only go forward (a gateway ignores a push older than the one it runs). */
const pushedAt = (): number => (clock += 1000);

export interface PushOptions {
  readonly id?: string;
  readonly version?: string;
  readonly target?: string;
  readonly pushedAt?: number;
}

/** A config push of `overlay` (an object, written as YAML; or YAML text as it is). */
export function configPush(gateway: string, overlay: object | string, o: PushOptions = {}): PushInput {
  return {
    kind: 'config',
    gateway,
    id: o.id ?? newPushId(),
    version: o.version ?? 'c1',
    target: o.target ?? `gateway:${gateway}`,
    pushedBy: 'ada',
    pushedAt: o.pushedAt ?? pushedAt(),
    format: 'yaml',
    document: typeof overlay === 'string' ? overlay : stringify(overlay),
  };
}

/** A model push; `sha256` defaults to the bytes' own. */
export function modelPush(gateway: string, onnx: Uint8Array, manifest: Record<string, unknown>, o: PushOptions & { sha256?: string } = {}): PushInput {
  return {
    kind: 'model',
    gateway,
    id: o.id ?? newPushId(),
    version: String(manifest.version),
    target: o.target ?? `gateway:${gateway}`,
    pushedBy: 'ada',
    pushedAt: o.pushedAt ?? pushedAt(),
    name: String(manifest.name),
    sha256: o.sha256 ?? createHash('sha256').update(onnx).digest('hex'),
    manifest,
    onnx: Buffer.from(onnx).toString('base64'),
  };
}

/** The test model: one feature, `temp.mean`, score = ((temp − 0) / std)², for motors. */
export function tempModel(version: string, std: number, overrides: Record<string, unknown> = {}): { onnx: Uint8Array; manifest: Record<string, unknown> } {
  return {
    onnx: sumOfSquares(1),
    manifest: manifestFor(['temp.mean'], { name: 'temp-model', version, normalisation: { mean: [0], std: [std] }, threshold: 1000, ...overrides }),
  };
}

/** Write the test model as `<dir>/<name>.onnx` with its manifest; returns the .onnx path. */
export async function writeTempModel(dir: string, name: string, version: string, std: number): Promise<string> {
  const { onnx, manifest } = tempModel(version, std);
  return (await writeModel(join(dir, name), onnx, manifest as unknown as ModelManifest)).onnx;
}

/**
 * A new version of the default motor model, made the way `npm run models` makes the committed one
 * (devices/models/motor-model.ts: simulated motors windowed by the gateway's engine, fitted with
 * PCA) on a smaller fleet of other motors (seed 11, 20 motors, 1 h: about a second): the same
 * name, features and window as edge/models/motor-baseline, so it takes that model's place on a
 * gateway. Written as `<dir>/<file>.onnx` and `.manifest.json`, the files an admin uploads.
 */
export async function writeMotorModelVersion(dir: string, file: string, version: string): Promise<{ onnx: string; manifest: string; model: TrainedModel }> {
  const data = trainingSetFromReadings(motorFleet({ seed: 11, motors: 20, durationMs: 3_600_000 }).readings(), MOTOR_MODEL.features, MOTOR_MODEL.window, 'simulated motors (devices/signals/motor.ts): 20 motors, seed 11, 1 h at 1 reading/s');
  const model = trainModel(data, { algorithm: 'pca', name: MOTOR_MODEL.name, version, window: MOTOR_MODEL.window, appliesTo: { kinds: ['motor'] }, createdAt: MOTOR_MODEL.createdAt, quantile: MOTOR_MODEL.quantile, split: 'devices', seed: 11 });
  return { ...(await writeModel(join(dir, file), model.onnx, model.manifest)), model };
}
