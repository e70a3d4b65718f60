// The linear algebra training needs, in float64 on row-major arrays: column standardisation,
// covariance, and the symmetric eigendecomposition (cyclic Jacobi) behind PCA.

/** n rows × cols columns, row-major. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function matrix(rows: number, cols: number, data = new Float64Array(rows * cols)): Matrix {
  if (data.length !== rows * cols) throw new TypeError(`matrix ${rows}×${cols} needs ${rows * cols} values, got ${data.length}`);
  return { rows, cols, data };
}

export interface Standardisation {
  readonly mean: Float64Array;
  /** Population std per column; a column with (near) zero spread gets 1, so it is centred but not blown up. */
  readonly std: Float64Array;
  /** Columns whose spread was (near) zero. */
  readonly constant: readonly number[];
}

/** Relative spread below which a column counts as constant. */
const CONSTANT_SPREAD = 1e-9;

export function standardisation(x: Matrix): Standardisation {
  const { rows: n, cols: f, data } = x;
  if (n === 0) throw new TypeError('cannot standardise an empty matrix');
  const mean = new Float64Array(f);
  const std = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j]! += data[i * f + j]!;
  for (let j = 0; j < f; j++) mean[j]! /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) {
      const d = data[i * f + j]! - mean[j]!;
      std[j]! += d * d;
    }
  }
  const constant: number[] = [];
  for (let j = 0; j < f; j++) {
    const s = Math.sqrt(std[j]! / n);
    if (s <= CONSTANT_SPREAD * Math.max(1, Math.abs(mean[j]!))) {
      std[j] = 1;
      constant.push(j);
    } else std[j] = s;
  }
  return { mean, std, constant };
}

/** (x − mean) / std, column-wise, as a new matrix. */
export function standardise(x: Matrix, s: Standardisation): Matrix {
  const out = new Float64Array(x.data.length);
  const f = x.cols;
  for (let i = 0; i < x.rows; i++) for (let j = 0; j < f; j++) out[i * f + j] = (x.data[i * f + j]! - s.mean[j]!) / s.std[j]!;
  return matrix(x.rows, f, out);
}

/** Sample covariance (divisor n − 1) of columns that are already centred. */
export function covariance(z: Matrix): Matrix {
  const { rows: n, cols: f, data } = z;
  const c = new Float64Array(f * f);
  for (let i = 0; i < n; i++) {
    const o = i * f;
    for (let a = 0; a < f; a++) {
      const va = data[o + a]!;
      if (va === 0) continue;
      for (let b = a; b < f; b++) c[a * f + b]! += va * data[o + b]!;
    }
  }
  const d = Math.max(1, n - 1);
  for (let a = 0; a < f; a++) {
    for (let b = a; b < f; b++) {
      const v = c[a * f + b]! / d;
      c[a * f + b] = v;
      c[b * f + a] = v;
    }
  }
  return matrix(f, f, c);
}

export interface Eigen {
  /** Eigenvalues, largest first. */
  readonly values: Float64Array;
  /** Eigenvectors as columns (f × f), in the order of `values`, each of unit length. */
  readonly vectors: Matrix;
}

/** Eigendecomposition of a symmetric matrix by cyclic Jacobi rotations (fine for tens of features). */
export function symmetricEigen(m: Matrix, maxSweeps = 100): Eigen {
  const n = m.rows;
  if (m.cols !== n) throw new TypeError(`symmetricEigen needs a square matrix, got ${m.rows}×${m.cols}`);
  const a = Float64Array.from(m.data);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < n; p++) {
      diag += a[p * n + p]! ** 2;
      for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        // The rotation that zeroes a[p][q] (Golub & Van Loan §8.5.2, the stable choice of t).
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j]! - a[i * n + i]! || i - j);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    // Fix each vector's sign (largest component positive) so the same data always gives the same model.
    let big = 0;
    for (let k = 0; k < n; k++) if (Math.abs(v[k * n + src]!) > Math.abs(big)) big = v[k * n + src]!;
    const sign = big < 0 ? -1 : 1;
    for (let k = 0; k < n; k++) vectors[k * n + dst] = sign * v[k * n + src]!;
  });
  return { values, vectors: matrix(n, n, vectors) };
}
