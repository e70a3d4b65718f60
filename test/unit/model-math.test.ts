// The numerics under training: standardisation, covariance, the Jacobi eigendecomposition, and the
// quantiles behind control limits, checked against known values and identities.

import { describe, expect, it } from 'vitest';
import { chiSquareQuantile, fQuantile, incompleteBeta, normalQuantile, quantile } from '../../edge/model/train/distributions.js';
import { covariance, matrix, standardisation, standardise, symmetricEigen } from '../../edge/model/train/linalg.js';
import { prng } from '../helpers/prng.js';

describe('standardisation', () => {
  it('centres and scales each column, and leaves a constant column centred at scale 1 without NaN', () => {
    const x = matrix(4, 3, Float64Array.from([1, 10, 5, 2, 20, 5, 3, 30, 5, 4, 40, 5]));
    const s = standardisation(x);
    expect(Array.from(s.mean)).toEqual([2.5, 25, 5]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(1.25), 12);
    expect(s.std[2]).toBe(1);
    expect(s.constant).toEqual([2]);
    const z = standardise(x, s);
    expect(z.data.every(Number.isFinite)).toBe(true);
    for (let j = 0; j < 3; j++) {
      const col = [0, 1, 2, 3].map((i) => z.data[i * 3 + j]!);
      expect(col.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    }
  });

  it('computes the sample covariance of centred columns', () => {
    const z = matrix(3, 2, Float64Array.from([-1, -2, 0, 0, 1, 2]));
    expect(Array.from(covariance(z).data)).toEqual([1, 2, 2, 4]);
  });
});

describe('symmetric eigendecomposition (Jacobi)', () => {
  it('finds the known eigenvalues of a small matrix, largest first', () => {
    const e = symmetricEigen(matrix(2, 2, Float64Array.from([2, 1, 1, 2])));
    expect(e.values[0]).toBeCloseTo(3, 12);
    expect(e.values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(e.vectors.data[0]!)).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('reconstructs a random symmetric matrix as V Λ Vᵀ with orthonormal V', () => {
    const n = 7;
    const random = prng(11);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = random() * 2 - 1;
    const { values, vectors } = symmetricEigen(matrix(n, n, a));
    const v = vectors.data;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let back = 0;
        let dot = 0;
        for (let k = 0; k < n; k++) {
          back += v[i * n + k]! * values[k]! * v[j * n + k]!;
          dot += v[k * n + i]! * v[k * n + j]!;
        }
        expect(back).toBeCloseTo(a[i * n + j]!, 10);
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
    for (let k = 1; k < n; k++) expect(values[k]!).toBeLessThanOrEqual(values[k - 1]!);
  });
});

describe('quantiles', () => {
  it.each([
    [0, 1],
    [0.5, 2.5],
    [0.25, 1.75],
    [1, 4],
  ])('empirical quantile %s of 1..4 (linear interpolation) is %s', (q, expected) => {
    expect(quantile([4, 1, 3, 2], q)).toBeCloseTo(expected, 12);
  });

  it.each([
    [0.975, 1.959963985],
    [0.5, 0],
    [0.01, -2.326347874],
    [0.999, 3.090232306],
  ])('normal quantile Φ⁻¹(%s) = %s', (p, z) => {
    expect(normalQuantile(p)).toBeCloseTo(z, 7);
  });

  // Reference values from standard F tables.
  it.each([
    [0.95, 2, 10, 4.1028],
    [0.99, 3, 20, 4.9382],
    [0.95, 5, 100, 2.3053],
    [0.99, 1, 30, 7.5625],
  ])('F quantile %s with (%s, %s) degrees of freedom is %s', (p, d1, d2, f) => {
    expect(fQuantile(p, d1, d2)).toBeCloseTo(f, 3);
  });

  it('approximates chi-square quantiles closely (Wilson-Hilferty)', () => {
    expect(chiSquareQuantile(0.99, 4)).toBeCloseTo(13.2767, 1);
    expect(chiSquareQuantile(0.95, 10)).toBeCloseTo(18.307, 1);
  });

  it('has the incomplete beta function\'s edges and symmetry', () => {
    expect(incompleteBeta(0, 2, 3)).toBe(0);
    expect(incompleteBeta(1, 2, 3)).toBe(1);
    expect(incompleteBeta(0.3, 2, 5)).toBeCloseTo(1 - incompleteBeta(0.7, 5, 2), 12);
    expect(incompleteBeta(0.5, 1, 1)).toBeCloseTo(0.5, 12);
  });
});
