// Synthetic feature rows for model tests: a two-state machine (load on/off) whose features move
// together, with one constant feature, and a way to make anomalous rows that break the pattern.

import type { FeatureRow } from '../../edge/model/feature-rows.js';
import { prng } from './prng.js';

export const FEATURES = ['vib.mean', 'vib.std', 'current.mean', 'temp.mean', 'rpm.mean'] as const;

/** `n` normal rows per device; `anomaly` (0 = none) pushes vibration up without the current that normally comes with it. */
export function syntheticRows(devices: number, n: number, seed: number, anomaly = 0): FeatureRow[] {
  const random = prng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const rows: FeatureRow[] = [];
  for (let d = 0; d < devices; d++) {
    for (let i = 0; i < n; i++) {
      const on = Math.floor(i / 20) % 2 === 0;
      const load = on ? 1 : 0.35;
      const vib = 1.2 * load * (1 + 0.05 * gauss()) * (1 + anomaly);
      rows.push({
        device: `dev-${d}`,
        start: Date.UTC(2024, 0, 1) + i * 10_000,
        end: Date.UTC(2024, 0, 1) + (i + 1) * 10_000,
        vector: Float32Array.from([vib, 0.04 * vib + 0.005 * Math.abs(gauss()), 10 * load + 0.2 * gauss(), 40 + 15 * load + 0.5 * gauss(), 1480]),
      });
    }
  }
  return rows;
}

/** Rows as one row-major array. */
export function flatRows(rows: readonly FeatureRow[]): Float32Array {
  const width = rows[0]?.vector.length ?? 0;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(r.vector, i * width));
  return out;
}

/** A valid manifest for `features`, with `overrides` on top (a plain object, for tests to break). */
export function manifestFor(features: readonly string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test-model',
    version: '1',
    algorithm: 'external',
    window: { kind: 'tumbling', sizeMs: 10_000 },
    features: [...features],
    normalisation: { mean: features.map(() => 0), std: features.map(() => 1) },
    input: { name: 'x' },
    output: { name: 'score', meaning: 'sum of squares' },
    threshold: 1,
    appliesTo: { kinds: ['motor'] },
    ...overrides,
  };
}
