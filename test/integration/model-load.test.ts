// Loading a model in onnxruntime: anything that disagrees with its manifest is refused with the
// coded error that names the disagreement; what loads scores batches exactly as it scores rows.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModel, loadModelFromBytes, type OnnxModel } from '../../edge/model/onnx-model.js';
import { manifestFor } from '../helpers/model-data.js';
import { DOUBLE, int64Tensor, rawModel, sumOfSquares } from '../helpers/onnx-graphs.js';
import { prng } from '../helpers/prng.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const F3 = ['a.mean', 'a.std', 'b.mean'];

let open: OnnxModel[] = [];
let dir: TempDir | undefined;
afterEach(async () => {
  await Promise.all(open.map((m) => m.close()));
  open = [];
  dir?.[Symbol.dispose]();
  dir = undefined;
});

async function load(bytes: Uint8Array, manifest: unknown): Promise<OnnxModel> {
  const m = await loadModelFromBytes(bytes, manifest);
  open.push(m);
  return m;
}

describe('a model that disagrees with its manifest is refused with ERR_MODEL_MISMATCH', () => {
  it.each<[string, () => Uint8Array, Record<string, unknown>, string]>([
    ['input width differs from the feature count', () => sumOfSquares(4), {}, 'input "x" is [N, 4] but the manifest lists 3 feature(s): its width must be 3'],
    ['input name missing', () => sumOfSquares(3, { input: 'features', output: 'score' }), {}, 'input.name: the graph has no input "x" (it has "features")'],
    ['output name missing', () => sumOfSquares(3), { output: { name: 'anomaly', meaning: 'm' } }, 'output.name: the graph has no output "anomaly" (it has "score")'],
    [
      'input not float32',
      () => rawModel([{ name: 'x', elemType: DOUBLE, dims: ['N', 3] }], [{ name: 'score', dims: ['N'] }], [
        { op: 'Cast', inputs: ['x'], output: 'xf', ints: { to: 1 } },
        { op: 'ReduceSumSquare', inputs: ['xf'], output: 'score', ints: { axes: [1], keepdims: 0 } },
      ]),
      {},
      'input "x" is float64; it must be float32',
    ],
    [
      'input of rank 3',
      () => rawModel([{ name: 'x', dims: ['N', 3, 1] }], [{ name: 'score', dims: ['N'] }], [{ op: 'ReduceSumSquare', inputs: ['x'], output: 'score', ints: { axes: [1, 2], keepdims: 0 } }]),
      {},
      'input "x" has rank 3 ([N, 3, 1]); it must be [N, 3]',
    ],
    [
      'a fixed batch of one',
      () => rawModel([{ name: 'x', dims: [1, 3] }], [{ name: 'score', dims: [1] }], [{ op: 'ReduceSumSquare', inputs: ['x'], output: 'score', ints: { axes: [1], keepdims: 0 } }]),
      {},
      'input "x" fixes the batch dimension at 1',
    ],
    [
      'an output of one value per feature',
      () => rawModel([{ name: 'x', dims: ['N', 3] }], [{ name: 'score', dims: ['N', 3] }], [{ op: 'Identity', inputs: ['x'], output: 'score' }]),
      {},
      'output "score" is [N, 3]; it must be [N] or [N, 1]',
    ],
    [
      'an output that is not float32',
      () => rawModel([{ name: 'x', dims: ['N', 3] }], [{ name: 'score', elemType: 7, dims: ['N'] }], [{ op: 'ArgMax', inputs: ['x'], output: 'score', ints: { axis: 1, keepdims: 0 } }]),
      {},
      'output "score" is int64; it must be float32',
    ],
    [
      'a second input',
      () => rawModel([{ name: 'x', dims: ['N', 3] }, { name: 'y', dims: ['N', 3] }], [{ name: 'score', dims: ['N'] }], [
        { op: 'Add', inputs: ['x', 'y'], output: 's' },
        { op: 'ReduceSumSquare', inputs: ['s'], output: 'score', ints: { axes: [1], keepdims: 0 } },
      ]),
      {},
      'the graph has 2 inputs (x, y); the runtime feeds exactly one, "x"',
    ],
    [
      'an output that is not one score per row (found by the trial run)',
      () => rawModel([{ name: 'x', dims: ['N', 3] }], [{ name: 'score', dims: ['M'] }], [{ op: 'ReduceSumSquare', inputs: ['x'], output: 'score', ints: { axes: [0], keepdims: 0 } }]),
      {},
      'output "score" gave 3 value(s) for a batch of 2 row(s)',
    ],
  ])('%s', async (_, bytes, overrides, problem) => {
    const err = await loadModelFromBytes(bytes(), manifestFor(F3, overrides)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_MODEL_MISMATCH' });
    expect((err as Error).message).toContain(problem);
    expect((err as Error).message).toContain('test-model@1');
  });

  it('lists every disagreement at once', async () => {
    const err = await loadModelFromBytes(sumOfSquares(4, { input: 'x', output: 'out' }), manifestFor(F3)).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/\(2 problem\(s\)\)/);
    expect((err as Error).message).toContain('its width must be 3');
    expect((err as Error).message).toContain('no output "score"');
  });

  it('accepts an [N, 1] output', async () => {
    const bytes = rawModel([{ name: 'x', dims: ['N', 3] }], [{ name: 'score', dims: ['N', 1] }], [{ op: 'ReduceSumSquare', inputs: ['x'], output: 'score', ints: { axes: [1], keepdims: 1 } }]);
    const model = await load(bytes, manifestFor(F3));
    expect(Array.from(await model.score(Float32Array.from([1, 2, 2, 0, 0, 3]), 2))).toEqual([9, 9]);
  });
});

describe('unreadable models', () => {
  it('refuses bytes that are not ONNX with ERR_MODEL_READ', async () => {
    await expect(loadModelFromBytes(new Uint8Array([1, 2, 3, 4]), manifestFor(F3))).rejects.toMatchObject({ code: 'ERR_MODEL_READ' });
  });

  it('names a missing file, and a bad manifest file, in its error', async () => {
    dir = tempDir();
    const base = join(dir.path, 'm');
    await expect(loadModel(`${base}.onnx`)).rejects.toMatchObject({ code: 'ERR_MODEL_READ', message: expect.stringContaining(`${base}.`) as unknown });
    writeFileSync(`${base}.onnx`, sumOfSquares(3));
    writeFileSync(`${base}.manifest.json`, JSON.stringify(manifestFor(F3, { threshold: 'high' })));
    await expect(loadModel(`${base}.onnx`)).rejects.toMatchObject({ code: 'ERR_MODEL_MANIFEST', message: expect.stringContaining(`${base}.manifest.json`) as unknown });
    writeFileSync(`${base}.manifest.json`, JSON.stringify(manifestFor(F3)));
    const model = await loadModel(`${base}.onnx`);
    open.push(model);
    expect(model.manifest.name).toBe('test-model');
  });
});

describe('scoring', () => {
  const manifest = manifestFor(F3, { normalisation: { mean: [1, 2, 3], std: [2, 0.5, 4] } });

  it('normalises with the manifest before the graph', async () => {
    const model = await load(sumOfSquares(3), manifest);
    const [s] = await model.score(Float32Array.from([3, 3, 7]), 1);
    expect(s).toBeCloseTo(1 + 4 + 1, 5);
  });

  it('scores a batch exactly as it scores its rows one by one, also when calls overlap', async () => {
    const model = await load(sumOfSquares(3), manifest);
    const random = prng(5);
    const n = 257;
    const rows = Float32Array.from({ length: n * 3 }, () => random() * 10 - 5);
    const batch = await model.score(rows, n);
    const single = await Promise.all(Array.from({ length: n }, (_, i) => model.score(rows.subarray(i * 3, i * 3 + 3), 1)));
    expect(batch).toHaveLength(n);
    expect(Array.from(batch)).toEqual(single.map((s) => s[0]));
    // A larger batch after a smaller one (the buffer grows) and a part of the rows.
    expect(Array.from(await model.score(rows, 10))).toEqual(Array.from(batch.subarray(0, 10)));
  });

  it('returns nothing for an empty batch and refuses impossible arguments at once', async () => {
    const model = await load(sumOfSquares(3), manifest);
    expect(await model.score(new Float32Array(0), 0)).toHaveLength(0);
    expect(() => model.score(new Float32Array(5), 2)).toThrow(TypeError);
    expect(() => model.score(new Float32Array(6), 1.5)).toThrow(TypeError);
  });

  it('reports a failure at run time as ERR_MODEL_RUN, and keeps scoring afterwards', async () => {
    // Reshape to a fixed [2, 3]: fine for the trial run of two rows, wrong for any other batch.
    const bytes = rawModel(
      [{ name: 'x', dims: ['N', 3] }],
      [{ name: 'score', dims: ['N'] }],
      [
        { op: 'Reshape', inputs: ['x', 'shape'], output: 'r' },
        { op: 'ReduceSumSquare', inputs: ['r'], output: 'score', ints: { axes: [1], keepdims: 0 } },
      ],
      [int64Tensor('shape', [2, 3])],
    );
    const model = await load(bytes, manifestFor(F3));
    await expect(model.score(new Float32Array(9), 3)).rejects.toMatchObject({ code: 'ERR_MODEL_RUN', retryable: false, message: expect.stringContaining('test-model@1 failed to score a batch of 3') as unknown });
    expect(await model.score(Float32Array.from([1, 0, 0, 0, 2, 0]), 2)).toEqual(Float32Array.from([1, 4]));
  });

  it('finishes the calls in flight on close, then refuses more', async () => {
    const model = await loadModelFromBytes(sumOfSquares(3), manifest);
    const pending = model.score(new Float32Array(3000), 1000);
    await model.close();
    expect(await pending).toHaveLength(1000);
    await expect(model.score(new Float32Array(3), 1)).rejects.toMatchObject({ code: 'ERR_NOT_OPEN' });
    await model.close();
  });
});
