// Trained models in onnxruntime: they load, score like the TypeScript reference, put a known
// anomaly above normal data and above the threshold, and leave normal data they never saw below it.

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { loadModelFromBytes } from '../../edge/model/onnx-model.js';
import { normaliser, normaliseRows } from '../../edge/model/normalise.js';
import { fitPca, pcaStatistics } from '../../edge/model/train/pca.js';
import { matrix } from '../../edge/model/train/linalg.js';
import { trainModel, type TrainOptions } from '../../edge/model/train/train.js';
import { FEATURES, flatRows, syntheticRows } from '../helpers/model-data.js';

const BASE: Omit<TrainOptions, 'algorithm'> = { name: 'synthetic', version: '1', window: { kind: 'tumbling', sizeMs: 10_000 }, appliesTo: { kinds: ['motor'] }, createdAt: '2024-11-24T00:00:00Z' };
const TRAIN = { features: FEATURES, rows: syntheticRows(6, 300, 1), source: 'synthetic' };
const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;

describe.each(['pca', 'autoencoder'] as const)('%s', (algorithm) => {
  const trained = trainModel(TRAIN, { ...BASE, algorithm, autoencoder: { epochs: 150 } });

  it('loads in onnxruntime and scores as the TypeScript reference does', async () => {
    const model = await loadModelFromBytes(trained.onnx, trained.manifest);
    try {
      const rows = [...syntheticRows(2, 100, 50), ...syntheticRows(1, 100, 51, 0.5)];
      const x = flatRows(rows);
      const ort = await model.score(x, rows.length);
      const ref = trained.reference(x, rows.length);
      for (let i = 0; i < rows.length; i++) expect(Math.abs(ort[i]! - ref[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, ref[i]!));
    } finally {
      await model.close();
    }
  });

  it('scores a known anomaly above normal data and above the threshold; unseen normal data stays mostly below', async () => {
    const model = await loadModelFromBytes(trained.onnx, trained.manifest);
    try {
      const threshold = trained.manifest.threshold;
      const normal = syntheticRows(4, 200, 99);
      const anomalous = syntheticRows(1, 200, 98, 1);
      const normalScores = await model.score(flatRows(normal), normal.length);
      const anomalyScores = await model.score(flatRows(anomalous), anomalous.length);
      const above = (s: Float32Array) => s.filter((v) => v > threshold).length / s.length;
      expect(above(normalScores)).toBeLessThan(0.02);
      expect(above(anomalyScores)).toBeGreaterThan(0.95);
      expect(mean(anomalyScores)).toBeGreaterThan(5 * mean(normalScores));
    } finally {
      await model.close();
    }
  });
});

describe('an autoencoder with relu', () => {
  it('scores in onnxruntime as the TypeScript reference does', async () => {
    const trained = trainModel(TRAIN, { ...BASE, algorithm: 'autoencoder', autoencoder: { epochs: 20, activation: 'relu' } });
    expect(trained.manifest.training).toMatchObject({ autoencoder: { activation: 'relu' } });
    const model = await loadModelFromBytes(trained.onnx, trained.manifest);
    try {
      const rows = syntheticRows(2, 100, 60, 0.3);
      const x = flatRows(rows);
      const got = await model.score(x, rows.length);
      const want = trained.reference(x, rows.length);
      for (let i = 0; i < rows.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, want[i]!));
    } finally {
      await model.close();
    }
  });
});

describe('the PCA graph', () => {
  it('also outputs T² and SPE as the reference computes them', async () => {
    const rows = syntheticRows(3, 200, 7);
    const f = FEATURES.length;
    const z = normaliseRows(normaliser({ mean: [1, 0.05, 6, 50, 1480], std: [0.5, 0.02, 3, 5, 1] }), flatRows(rows), rows.length, new Float32Array(rows.length * f));
    const pca = fitPca(matrix(rows.length, f, Float64Array.from(z)), { components: 2 });
    const trained = trainModel({ ...TRAIN, rows }, { ...BASE, algorithm: 'pca', pca: { components: 2 } });
    expect(trained.manifest.training).toMatchObject({ pca: { components: 2, extraOutputs: ['t2', 'spe'] } });
    // The graph built from this fit, run directly in onnxruntime on standardised rows.
    const { pcaGraph } = await import('../../edge/model/train/pca.js');
    const session = await ort.InferenceSession.create(pcaGraph(pca, { input: 'features', output: 'score' }, { doc: 'test' }));
    try {
      expect(session.outputNames).toEqual(['score', 't2', 'spe']);
      const out = await session.run({ features: new ort.Tensor('float32', z, [rows.length, f]) });
      const ref = pcaStatistics(pca, z, rows.length);
      for (const [name, want] of [['t2', ref.t2], ['spe', ref.spe], ['score', ref.score]] as const) {
        const got = out[name]!.data as Float32Array;
        for (let i = 0; i < rows.length; i++) expect(Math.abs(got[i]! - want[i]!), `${name}[${i}]`).toBeLessThanOrEqual(1e-4 * Math.max(1, want[i]!));
      }
    } finally {
      await session.release();
    }
  });
});
