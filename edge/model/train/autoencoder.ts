// A small dense autoencoder, F → h → b → h → F, trained on standardised normal windows with Adam
// on seeded mini-batches and early stopping on rows held back from the fit. Its score is the mean
// squared reconstruction error of a row: normal windows reconstruct well, unusual ones do not.

import { GraphBuilder, type ModelMeta } from '../onnx-graph.js';
import type { Matrix } from './linalg.js';
import { Adam, backward, cloneLayers, createLayers, forward, rowErrors, zeroGradients, type Activation, type Layer } from './mlp.js';
import { Random } from './random.js';

export interface AutoencoderOptions {
  /** Width of the two outer hidden layers (default clamp(2F, 4, 32)). */
  readonly hidden?: number;
  /** Width of the bottleneck (default clamp(round(F / 3), 1, hidden − 1)). */
  readonly bottleneck?: number;
  /** Hidden-layer activation (default tanh); the output layer is linear. */
  readonly activation?: 'tanh' | 'relu';
  /** Most passes over the training rows (default 300). */
  readonly epochs?: number;
  /** Rows per Adam step (default 32). */
  readonly batchSize?: number;
  /** Adam step size (default 0.003). */
  readonly learningRate?: number;
  /** Stop after this many epochs without a better validation loss (default 20). */
  readonly patience?: number;
  /** Fraction of the training rows kept out of the fit to decide when to stop (default 0.1). */
  readonly validation?: number;
  /** Seed for the initial weights, the validation rows and the batch order (default 1). */
  readonly seed?: number;
}

export interface FitProgress {
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
  readonly bestEpoch: number;
}

export interface AutoencoderLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: Activation;
  /** float32 as exported: the reference and the graph use the very same numbers. */
  readonly w: Float32Array;
  readonly b: Float32Array;
}

export interface AutoencoderModel {
  readonly features: number;
  readonly layers: readonly AutoencoderLayer[];
  /** Epochs run and the one whose weights were kept. */
  readonly epochs: number;
  readonly bestEpoch: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
}

export const AUTOENCODER_MEANING = 'mean squared reconstruction error of the standardised features (autoencoder); higher = less like the normal data';

/** Fit on standardised training rows (z: n × F). `onProgress` is called once per epoch. */
export function fitAutoencoder(z: Matrix, options: AutoencoderOptions = {}, onProgress?: (p: FitProgress) => void): AutoencoderModel {
  const f = z.cols;
  const hidden = options.hidden ?? Math.min(32, Math.max(4, 2 * f));
  const bottleneck = options.bottleneck ?? Math.min(hidden - 1, Math.max(1, Math.round(f / 3)));
  const activation = options.activation ?? 'tanh';
  const epochs = options.epochs ?? 300;
  const batchSize = options.batchSize ?? 32;
  const patience = options.patience ?? 20;
  const validationFraction = options.validation ?? 0.1;
  for (const [name, v] of Object.entries({ hidden, bottleneck, epochs, batchSize, patience })) {
    if (!(Number.isInteger(v) && v >= 1)) throw new TypeError(`autoencoder ${name} must be a positive integer, got ${v}`);
  }
  if (!(validationFraction > 0 && validationFraction < 0.5)) throw new TypeError(`validation must be in (0, 0.5), got ${validationFraction}`);
  const random = new Random(options.seed ?? 1);

  const order = random.shuffle(Uint32Array.from({ length: z.rows }, (_, i) => i));
  const nVal = Math.max(1, Math.round(z.rows * validationFraction));
  const valRows = gather(z, order.subarray(0, nVal));
  const trainIdx = order.slice(nVal);
  if (trainIdx.length < 2) throw new TypeError(`autoencoder needs at least ${nVal + 2} rows, got ${z.rows}`);

  let layers = createLayers([f, hidden, bottleneck, hidden, f], [activation, activation, activation, 'linear'], random);
  const params = layers.flatMap((l) => [l.w, l.b]);
  const adam = new Adam(params, options.learningRate ?? 0.003);
  const grads = zeroGradients(layers);
  const flat = layers.flatMap((_, l) => [grads.w[l]!, grads.b[l]!]);
  const batch = new Float64Array(batchSize * f);
  const acts: Float64Array[] = [];

  let best = { loss: Infinity, epoch: 0, trainLoss: Infinity, layers: cloneLayers(layers) };
  let epoch = 0;
  while (epoch < epochs && epoch - best.epoch < patience) {
    epoch++;
    random.shuffle(trainIdx);
    let sum = 0;
    for (let start = 0; start < trainIdx.length; start += batchSize) {
      const n = Math.min(batchSize, trainIdx.length - start);
      for (let r = 0; r < n; r++) batch.set(z.data.subarray(trainIdx[start + r]! * f, trainIdx[start + r]! * f + f), r * f);
      forward(layers, batch, n, acts);
      sum += rowErrors(acts[4]!, batch, n, f).reduce((a, b) => a + b, 0);
      backward(layers, acts, n, grads);
      adam.step(flat);
    }
    const trainLoss = sum / trainIdx.length;
    const validationLoss = meanError(layers, valRows, nVal, f);
    if (validationLoss < best.loss * (1 - 1e-4)) best = { loss: validationLoss, epoch, trainLoss, layers: cloneLayers(layers) };
    onProgress?.({ epoch, epochs, trainLoss, validationLoss, bestEpoch: best.epoch });
  }
  layers = best.layers;
  return {
    features: f,
    layers: layers.map((l) => ({ inputs: l.inputs, outputs: l.outputs, activation: l.activation, w: Float32Array.from(l.w), b: Float32Array.from(l.b) })),
    epochs: epoch,
    bestEpoch: best.epoch,
    trainLoss: best.trainLoss,
    validationLoss: best.loss,
  };
}

/** The reference computation: the reconstruction error of standardised rows (n × F, row-major). */
export function autoencoderScores(model: AutoencoderModel, z: ArrayLike<number>, n: number): Float64Array {
  const layers: Layer[] = model.layers.map((l) => ({ ...l, w: Float64Array.from(l.w), b: Float64Array.from(l.b) }));
  const x = Float64Array.from({ length: n * model.features }, (_, i) => z[i]!);
  const acts = forward(layers, x, n);
  return rowErrors(acts[layers.length]!, x, n, model.features);
}

/** The ONNX graph: input [N, F] (standardised) → `output` [N], mean((decode(encode(x)) − x)²) per row. */
export function autoencoderGraph(model: AutoencoderModel, names: { readonly input: string; readonly output: string }, meta: ModelMeta): Uint8Array {
  const g = new GraphBuilder('autoencoder');
  const x = g.input(names.input, model.features);
  let h = x;
  model.layers.forEach((l, i) => {
    const w = g.constant(`W${i + 1}`, l.w, [l.inputs, l.outputs]);
    const b = g.constant(`b${i + 1}`, l.b, [l.outputs]);
    h = g.node('Add', [g.node('MatMul', [h, w]), b]);
    if (l.activation === 'tanh') h = g.node('Tanh', [h]);
    else if (l.activation === 'relu') h = g.node('Relu', [h]);
  });
  const d = g.node('Sub', [h, x]);
  g.node('ReduceMean', [g.node('Mul', [d, d])], { output: names.output, attributes: { axes: [1], keepdims: 0 } });
  g.output(names.output);
  return g.encode(meta);
}

function gather(z: Matrix, idx: ArrayLike<number>): Float64Array {
  const f = z.cols;
  const out = new Float64Array(idx.length * f);
  for (let r = 0; r < idx.length; r++) out.set(z.data.subarray(idx[r]! * f, idx[r]! * f + f), r * f);
  return out;
}

function meanError(layers: readonly Layer[], x: Float64Array, n: number, f: number): number {
  const acts = forward(layers, x, n);
  return rowErrors(acts[layers.length]!, x, n, f).reduce((a, b) => a + b, 0) / n;
}
