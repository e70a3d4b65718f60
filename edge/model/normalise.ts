// The manifest's normalisation, x' = (x − mean) / std per feature, computed one way for the
// runtime and for the trainer's reference, so both feed the graph the same float32 numbers.

/** mean and 1/std per feature, as float64. */
export interface Normaliser {
  readonly mean: Float64Array;
  readonly invStd: Float64Array;
}

export function normaliser(n: { readonly mean: readonly number[]; readonly std: readonly number[] }): Normaliser {
  return { mean: Float64Array.from(n.mean), invStd: Float64Array.from(n.std, (s) => 1 / s) };
}

/** Normalise `n` rows (row-major, width = mean.length) from `rows` into `out` (float32, as the graph takes it). */
export function normaliseRows(z: Normaliser, rows: ArrayLike<number>, n: number, out: Float32Array): Float32Array {
  const { mean, invStd } = z;
  const w = mean.length;
  for (let r = 0, o = 0; r < n; r++) {
    for (let j = 0; j < w; j++, o++) out[o] = (rows[o]! - mean[j]!) * invStd[j]!;
  }
  return out;
}
