// A small dense network in float64 (F → h → b → h → F for the autoencoder): forward and backward
// passes over a mini-batch and Adam updates. Weights are row-major [in × out], as ONNX MatMul
// takes them, so the trained arrays go into the graph unchanged.

import type { Random } from './random.js';

export type Activation = 'tanh' | 'relu' | 'linear';

export interface Layer {
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: Activation;
  /** inputs × outputs, row-major. */
  readonly w: Float64Array;
  readonly b: Float64Array;
}

/** Glorot-uniform weights, zero biases. */
export function createLayers(sizes: readonly number[], activations: readonly Activation[], random: Random): Layer[] {
  if (activations.length !== sizes.length - 1) throw new TypeError('one activation per layer');
  return activations.map((activation, l) => {
    const inputs = sizes[l]!;
    const outputs = sizes[l + 1]!;
    const limit = Math.sqrt(6 / (inputs + outputs));
    const w = new Float64Array(inputs * outputs);
    for (let i = 0; i < w.length; i++) w[i] = random.between(-limit, limit);
    return { inputs, outputs, activation, w, b: new Float64Array(outputs) };
  });
}

export function cloneLayers(layers: readonly Layer[]): Layer[] {
  return layers.map((l) => ({ ...l, w: Float64Array.from(l.w), b: Float64Array.from(l.b) }));
}

/** Activations of every layer for a batch of `n` rows (`x`: n × inputs); [0] is x itself. */
export function forward(layers: readonly Layer[], x: Float64Array, n: number, acts: Float64Array[] = []): Float64Array[] {
  acts[0] = x;
  layers.forEach((layer, l) => {
    const { inputs: fi, outputs: fo, w, b, activation } = layer;
    const input = acts[l]!;
    let out = acts[l + 1];
    if (out === undefined || out.length < n * fo) out = acts[l + 1] = new Float64Array(n * fo);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < fo; j++) {
        let s = b[j]!;
        for (let i = 0; i < fi; i++) s += input[r * fi + i]! * w[i * fo + j]!;
        out[r * fo + j] = activation === 'tanh' ? Math.tanh(s) : activation === 'relu' ? (s > 0 ? s : 0) : s;
      }
    }
  });
  return acts;
}

/** Mean squared difference between each row of `y` and `x` (n × f): the reconstruction error per row. */
export function rowErrors(y: Float64Array, x: ArrayLike<number>, n: number, f: number, out = new Float64Array(n)): Float64Array {
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < f; j++) {
      const d = y[r * f + j]! - x[r * f + j]!;
      s += d * d;
    }
    out[r] = s / f;
  }
  return out;
}

export interface Gradients {
  readonly w: Float64Array[];
  readonly b: Float64Array[];
}

export function zeroGradients(layers: readonly Layer[]): Gradients {
  return { w: layers.map((l) => new Float64Array(l.w.length)), b: layers.map((l) => new Float64Array(l.b.length)) };
}

/**
 * Gradients of the mean (over the batch and the outputs) squared reconstruction error, for the
 * activations `acts` of one forward pass of `n` rows whose targets are the inputs.
 */
export function backward(layers: readonly Layer[], acts: readonly Float64Array[], n: number, grads: Gradients): void {
  const last = layers.length;
  const x = acts[0]!;
  const y = acts[last]!;
  const fOut = layers[last - 1]!.outputs;
  let delta = new Float64Array(n * fOut);
  const scale = 2 / (n * fOut);
  for (let i = 0; i < n * fOut; i++) delta[i] = scale * (y[i]! - x[i]!);
  for (let l = last - 1; l >= 0; l--) {
    const { inputs: fi, outputs: fo, w, activation } = layers[l]!;
    const out = acts[l + 1]!;
    // Through this layer's activation: δ ← δ ⊙ f'(pre), written with the output a = f(pre).
    if (activation !== 'linear') {
      for (let i = 0; i < n * fo; i++) delta[i]! *= activation === 'tanh' ? 1 - out[i]! * out[i]! : out[i]! > 0 ? 1 : 0;
    }
    const input = acts[l]!;
    const gw = grads.w[l]!;
    const gb = grads.b[l]!;
    gw.fill(0);
    gb.fill(0);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < fo; j++) {
        const d = delta[r * fo + j]!;
        if (d === 0) continue;
        gb[j]! += d;
        for (let i = 0; i < fi; i++) gw[i * fo + j]! += input[r * fi + i]! * d;
      }
    }
    if (l > 0) {
      const next = new Float64Array(n * fi);
      for (let r = 0; r < n; r++) {
        for (let i = 0; i < fi; i++) {
          let s = 0;
          for (let j = 0; j < fo; j++) s += delta[r * fo + j]! * w[i * fo + j]!;
          next[r * fi + i] = s;
        }
      }
      delta = next;
    }
  }
}

/** Adam (Kingma & Ba 2015) over every weight and bias array. */
export class Adam {
  readonly #m: Float64Array[];
  readonly #v: Float64Array[];
  #t = 0;

  constructor(
    private readonly params: readonly Float64Array[],
    private readonly rate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-8,
  ) {
    this.#m = params.map((p) => new Float64Array(p.length));
    this.#v = params.map((p) => new Float64Array(p.length));
  }

  step(grads: readonly Float64Array[]): void {
    this.#t++;
    const c1 = 1 - this.beta1 ** this.#t;
    const c2 = 1 - this.beta2 ** this.#t;
    this.params.forEach((p, k) => {
      const g = grads[k]!;
      const m = this.#m[k]!;
      const v = this.#v[k]!;
      for (let i = 0; i < p.length; i++) {
        m[i] = this.beta1 * m[i]! + (1 - this.beta1) * g[i]!;
        v[i] = this.beta2 * v[i]! + (1 - this.beta2) * g[i]! * g[i]!;
        p[i]! -= (this.rate * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + this.epsilon);
      }
    });
  }
}
