// Writing a model: `<base>.onnx` and `<base>.manifest.json` side by side, the manifest last, so a
// reader that finds the manifest also finds the graph it describes.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { codedError } from '../errors/catalogue.js';
import type { ModelManifest } from './contract.js';
import { manifestPathFor } from './manifest.js';

export interface ModelPaths {
  readonly onnx: string;
  readonly manifest: string;
}

/** `models/motor` (or `models/motor.onnx`) → both paths. */
export function modelPaths(base: string): ModelPaths {
  const onnx = base.endsWith('.onnx') ? base : `${base}.onnx`;
  return { onnx, manifest: manifestPathFor(onnx) };
}

/** Write both files, creating the folder. Throws ERR_MODEL_WRITE. */
export async function writeModel(base: string, onnx: Uint8Array, manifest: ModelManifest): Promise<ModelPaths> {
  const paths = modelPaths(base);
  await write(paths.onnx, 'ONNX', async () => {
    await mkdir(dirname(paths.onnx), { recursive: true });
    await writeFile(paths.onnx, onnx);
  });
  await write(paths.manifest, 'manifest', () => writeFile(paths.manifest, manifestText(manifest)));
  return paths;
}

/** The manifest as written: indented JSON with a final newline. */
export function manifestText(manifest: ModelManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

async function write(path: string, what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw codedError('ERR_MODEL_WRITE', [what, path, (err as NodeJS.ErrnoException).code ?? (err as Error).message], { cause: err });
  }
}
