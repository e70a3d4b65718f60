// The committed default motor model: it loads (so its manifest matches its graph), it is exactly
// what `npm run models` makes, and on simulated motors it never saw it stays quiet on normal ones
// and catches bearing wear well before the wear's end.

import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTOR_MODEL } from '../../devices/models/motor-model.js';
import { evaluateNormal, evaluateWear } from '../../devices/models/motor-evaluation.js';
import { motorFleet } from '../../devices/models/motor-fleet.js';
import { validateConfig } from '../../edge/config/load.js';
import { loadModel, type OnnxModel } from '../../edge/model/onnx-model.js';
import { trainingSetFromReadings } from '../../edge/model/train/training-data.js';
import { runCli } from '../helpers/cli.js';

const ONNX = fileURLToPath(new URL('../../edge/models/motor-baseline.onnx', import.meta.url));

let model: OnnxModel;
beforeAll(async () => {
  model = await loadModel(ONNX);
});
afterAll(() => model.close());

describe('edge/models/motor-baseline', () => {
  it('loads, for the motor kind, over a window the gateway computes by default', () => {
    expect(model.manifest).toMatchObject({ name: MOTOR_MODEL.name, version: MOTOR_MODEL.version, algorithm: 'pca', features: MOTOR_MODEL.features, appliesTo: { kinds: ['motor'] } });
    expect(validateConfig({ gateway: { id: 'g' } }).windows.definitions).toContainEqual(model.manifest.window);
    expect(model.manifest.threshold).toBeGreaterThan(0);
  });

  it('is exactly what `tributary devices make-model` makes (deterministic generation)', async () => {
    const r = await runCli(['devices', 'make-model', '--check'], { timeoutMs: 120_000 });
    expect(r.stderr).not.toContain('differs');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('are what the code makes');
  }, 120_000);

  it('stays quiet on normal motors it never saw, and catches bearing wear well before its end', async () => {
    const HOUR = 3_600_000;
    const rows = (fleet: Parameters<typeof motorFleet>[0]) => trainingSetFromReadings(motorFleet(fleet).readings(), model.manifest.features, model.manifest.window, 'test').rows;
    const normal = await evaluateNormal(model, rows({ seed: 77, motors: 20, durationMs: 2 * HOUR }));
    expect(normal.devicesAlerted).toBe(0);
    expect(normal.windowsAbove).toBeLessThan(0.03);
    const wear = { seed: 78, motors: 20, durationMs: HOUR, bearingWear: { startMs: 10 * 60_000, durationMs: 40 * 60_000, severity: 1 } };
    const result = await evaluateWear(model, rows(wear), motorFleet(wear).failures);
    expect(result.alertedBefore).toBe(0);
    expect(result.detected).toBe(20);
    expect(result.progressAtAlert.at(-1)!).toBeLessThan(0.85);
  });

  it('records the checks it passed when it was made', () => {
    const checks = (model.manifest.training as { checks: { normal: { devicesAlerted: number }; wear: { detected: number; devices: number } } }).checks;
    expect(checks.normal.devicesAlerted).toBe(0);
    expect(checks.wear.detected).toBe(checks.wear.devices);
  });
});
