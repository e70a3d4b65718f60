// `tributary devices make-model`: regenerate the default motor model (edge/models/motor-baseline)
// from the simulator, check it on motors it never saw, and write it; or, with --check, confirm
// that the committed files are exactly what the code makes.

import { readFile } from 'node:fs/promises';
import { parseOptions, type Io } from '../../edge/cli/io.js';
import type { ModelManifest } from '../../edge/model/contract.js';
import { manifestText, modelPaths, writeModel, type ModelPaths } from '../../edge/model/model-files.js';
import { loadModelFromBytes } from '../../edge/model/onnx-model.js';
import { describeTrained, verifyTrained } from '../../edge/model/train/verify.js';
import { checkMotorModel, describeChecks, makeMotorModel, MOTOR_MODEL, withChecks } from './motor-model.js';

export const DEFAULT_MOTOR_MODEL_BASE = 'edge/models/motor-baseline';

const USAGE = `Usage: tributary devices make-model [--out <base>] [--check]

Fit the default model for the simulator's motor kind (${MOTOR_MODEL.name}: PCA over ${MOTOR_MODEL.features.join(', ')},
tumbling ${MOTOR_MODEL.window.sizeMs} ms) on ${MOTOR_MODEL.training.motors} simulated motors, check it on motors it never saw
(normal, and with bearing wear), and write <base>.onnx and <base>.manifest.json. Deterministic: the
same code writes the same bytes. Takes about half a minute.

Options:
  --out <base>   where to write (default ${DEFAULT_MOTOR_MODEL_BASE})
  --check        write nothing; exit 1 unless the files at <base> are exactly what this code makes
  -h, --help     this text
`;

export async function makeModelCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseOptions(argv, { out: { type: 'string', default: DEFAULT_MOTOR_MODEL_BASE }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, 'devices make-model');
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  io.stderr.write(`tributary devices make-model: simulating ${MOTOR_MODEL.training.motors} motors for ${MOTOR_MODEL.training.durationMs / 3_600_000} h and fitting ${MOTOR_MODEL.name}\n`);
  const trained = makeMotorModel();
  const verification = await verifyTrained(trained);
  io.stderr.write('checking it on simulated motors it never saw\n');
  const model = await loadModelFromBytes(trained.onnx, trained.manifest);
  const checks = await checkMotorModel(model).finally(() => model.close());
  const manifest = withChecks(trained.manifest, checks);
  const paths = modelPaths(values.out);
  if (values.check) {
    if (await sameFiles(paths, trained.onnx, manifest)) {
      io.stdout.write(`${paths.onnx} and ${paths.manifest} are what the code makes\n`);
      return 0;
    }
    io.stderr.write(`tributary devices make-model: ${paths.onnx} or ${paths.manifest} differs from what the code makes; run \`npm run models\` and commit the result\n`);
    return 1;
  }
  await writeModel(values.out, trained.onnx, manifest);
  io.stdout.write(describeTrained({ ...trained, manifest }, paths, verification));
  io.stdout.write(describeChecks(checks));
  return 0;
}

async function sameFiles(paths: ModelPaths, onnx: Uint8Array, manifest: ModelManifest): Promise<boolean> {
  const [a, b] = await Promise.all([readFile(paths.onnx).catch(() => undefined), readFile(paths.manifest, 'utf8').catch(() => undefined)]);
  return a !== undefined && Buffer.compare(a, onnx) === 0 && b === manifestText(manifest);
}
