// Does a loaded graph agree with its manifest? Every disagreement is named, so a model that would
// score the wrong columns, or not score at all, is refused at load instead of at the first window.

import type { InferenceSession } from 'onnxruntime-node';
import type { ModelManifest } from './contract.js';

/** What the runtime says about a graph's inputs and outputs (a subset of InferenceSession). */
export interface GraphSignature {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly InferenceSession.ValueMetadata[];
}

/** The ways `graph` disagrees with `manifest`, one line each; empty when they agree. */
export function graphProblems(graph: GraphSignature, manifest: ModelManifest): string[] {
  const problems: string[] = [];
  const width = manifest.features.length;
  const { name: inputName } = manifest.input;
  const { name: outputName } = manifest.output;

  if (graph.inputNames.length !== 1) {
    problems.push(`the graph has ${graph.inputNames.length} inputs (${graph.inputNames.join(', ')}); the runtime feeds exactly one, "${inputName}"`);
  }
  const input = float32Tensor('input', inputName, graph.inputMetadata, problems);
  if (input) {
    const shape = input.shape;
    if (shape.length !== 2) problems.push(`input "${inputName}" has rank ${shape.length} (${dims(shape)}); it must be [N, ${width}]`);
    else {
      if (typeof shape[0] === 'number' && shape[0] !== -1) problems.push(`input "${inputName}" fixes the batch dimension at ${shape[0]}; it must be symbolic (e.g. N) so one call scores many devices`);
      if (shape[1] !== width) problems.push(`input "${inputName}" is ${dims(shape)} but the manifest lists ${width} feature(s): its width must be ${width}`);
    }
  }

  const output = float32Tensor('output', outputName, graph.outputMetadata, problems);
  if (output) {
    const shape = output.shape;
    const ok = shape.length === 0 /* unknown: the trial run decides */ || shape.length === 1 || (shape.length === 2 && shape[1] === 1);
    if (!ok) problems.push(`output "${outputName}" is ${dims(shape)}; it must be [N] or [N, 1], one score per row`);
  }
  return problems;
}

/** The named tensor's metadata; a problem is added instead when it is missing, not a tensor or not float32. */
function float32Tensor(role: 'input' | 'output', name: string, all: readonly InferenceSession.ValueMetadata[], problems: string[]): InferenceSession.TensorValueMetadata | undefined {
  const meta = all.find((m) => m.name === name);
  if (!meta) problems.push(`${role}.name: the graph has no ${role} "${name}" (it has ${list(all.map((m) => m.name))})`);
  else if (!meta.isTensor) problems.push(`${role} "${name}" is not a tensor`);
  else if (meta.type !== 'float32') problems.push(`${role} "${name}" is ${meta.type}; it must be float32`);
  else return meta;
  return undefined;
}

/** The trial run's verdict: one finite score per row of a batch of `rows`. */
export function trialProblems(outputName: string, rows: number, scores: ArrayLike<unknown>): string[] {
  if (scores.length !== rows) return [`output "${outputName}" gave ${scores.length} value(s) for a batch of ${rows} row(s); it must give one score per row`];
  for (let i = 0; i < scores.length; i++) {
    if (typeof scores[i] !== 'number' || !Number.isFinite(scores[i])) return [`output "${outputName}" is not finite (${String(scores[i])}) for the manifest's mean feature vector`];
  }
  return [];
}

const dims = (shape: ReadonlyArray<number | string>): string => `[${shape.join(', ')}]`;
const list = (names: readonly string[]): string => (names.length ? names.map((n) => `"${n}"`).join(', ') : 'none');
