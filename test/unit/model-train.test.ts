// Training, without the runtime: splits, PCA's T² and Q, the autoencoder's fit, calibration, and
// the choices `tributary train` makes from its options.

import { describe, expect, it } from 'vitest';
import { parseWindowSpec } from '../../edge/cli/train-command.js';
import { fitAutoencoder, type FitProgress } from '../../edge/model/train/autoencoder.js';
import { calibrate } from '../../edge/model/train/calibrate.js';
import { matrix } from '../../edge/model/train/linalg.js';
import { fitPca, pcaStatistics } from '../../edge/model/train/pca.js';
import { splitByDevices, splitByTime, trainModel, type TrainOptions } from '../../edge/model/train/train.js';
import { defaultWindowFor, resolveFeatures } from '../../edge/model/train/training-data.js';
import { parseRecording } from '../../edge/recording/recording.js';
import { errorOf } from '../helpers/errors.js';
import { FEATURES, flatRows, syntheticRows } from '../helpers/model-data.js';
import { prng } from '../helpers/prng.js';

const OPTIONS: TrainOptions = { algorithm: 'pca', name: 'm', version: '1', window: { kind: 'tumbling', sizeMs: 10_000 }, appliesTo: { kinds: ['motor'] }, createdAt: '2024-11-24T00:00:00Z' };

describe('held-back splits', () => {
  const rows = syntheticRows(6, 50, 1);

  it('by time: the latest windows of every device', () => {
    const { fit, heldBack } = splitByTime(rows, 0.2);
    expect(heldBack).toHaveLength(60);
    for (let d = 0; d < 6; d++) {
      const held = heldBack.filter((r) => r.device === `dev-${d}`);
      const kept = fit.filter((r) => r.device === `dev-${d}`);
      expect(held).toHaveLength(10);
      expect(Math.min(...held.map((r) => r.start))).toBeGreaterThan(Math.max(...kept.map((r) => r.start)));
    }
  });

  it('by devices: whole devices, the same ones for the same seed, never all of them', () => {
    const a = splitByDevices(rows, 0.34, 7);
    const heldDevices = new Set(a.heldBack.map((r) => r.device));
    expect(heldDevices.size).toBe(2);
    for (const r of a.fit) expect(heldDevices.has(r.device)).toBe(false);
    expect(splitByDevices(rows, 0.34, 7).heldBack.map((r) => r.device)).toEqual(a.heldBack.map((r) => r.device));
    expect(splitByDevices(rows, 0.99, 7).fit.length).toBeGreaterThan(0);
  });
});

describe('PCA with T² and Q', () => {
  // Two features that move together (x2 ≈ x1) plus noise: one component.
  const random = prng(3);
  const n = 500;
  const data = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const t = random() * 2 - 1;
    data[i * 2] = t + 0.01 * (random() - 0.5);
    data[i * 2 + 1] = t + 0.01 * (random() - 0.5);
  }
  const model = fitPca(matrix(n, 2, data), { variance: 0.9 });

  it('keeps the component that explains the data', () => {
    expect(model.components).toBe(1);
    expect(model.explained).toBeGreaterThan(0.99);
    expect(model.t2Limit).toBeGreaterThan(0);
    expect(model.qLimit).toBeGreaterThan(0);
  });

  it('puts a point far along the component in T² and a point off it in Q', () => {
    const s = pcaStatistics(model, [3, 3, 0.3, -0.3, 0, 0], 3);
    expect(s.t2[0]!).toBeGreaterThan(model.t2Limit);
    expect(s.spe[0]!).toBeLessThan(model.qLimit);
    expect(s.spe[1]!).toBeGreaterThan(model.qLimit);
    expect(s.t2[1]!).toBeLessThan(model.t2Limit);
    expect(s.score[2]!).toBeCloseTo(0, 6);
    for (let i = 0; i < 3; i++) expect(s.score[i]).toBeCloseTo(Math.max(s.t2[i]! / model.t2Limit, s.spe[i]! / model.qLimit), 12);
  });
});

describe('trainModel', () => {
  const data = { features: FEATURES, rows: syntheticRows(3, 300, 1), source: 'synthetic' };

  it('records the calibration and a constant feature without NaN anywhere', () => {
    const t = trainModel(data, OPTIONS);
    const training = t.manifest.training as Record<string, unknown>;
    expect(training.zeroVarianceFeatures).toEqual(['rpm.mean']);
    expect(t.manifest.normalisation.std[4]).toBe(1);
    expect(JSON.stringify(t.manifest)).not.toMatch(/NaN|null/);
    expect(t.calibration.heldBackRows).toBe(180);
    expect(training.createdAt).toBe(OPTIONS.createdAt);
    const scores = t.reference(flatRows(syntheticRows(1, 50, 9)), 50);
    expect(scores.every(Number.isFinite)).toBe(true);
  });

  it('sets the threshold at the quantile of held-back scores times the margin', () => {
    const t = trainModel(data, { ...OPTIONS, quantile: 0.9, margin: 2 });
    const held = t.reference(flatRows(t.heldBack), t.heldBack.length);
    expect(t.manifest.threshold).toBeCloseTo(calibrate(held, 0, 0.9, 1).threshold * 2, 12);
    expect(t.calibration.heldBackAboveThreshold).toBeLessThan(0.1);
  });

  it('makes the same bytes from the same data and seed', () => {
    const a = trainModel(data, { ...OPTIONS, algorithm: 'autoencoder', autoencoder: { epochs: 5 } });
    const b = trainModel(data, { ...OPTIONS, algorithm: 'autoencoder', autoencoder: { epochs: 5 } });
    const c = trainModel(data, { ...OPTIONS, algorithm: 'autoencoder', autoencoder: { epochs: 5 }, seed: 2 });
    expect(Buffer.compare(a.onnx, b.onnx)).toBe(0);
    expect(Buffer.compare(a.onnx, c.onnx)).not.toBe(0);
    expect(Buffer.compare(trainModel(data, OPTIONS).onnx, trainModel(data, OPTIONS).onnx)).toBe(0);
  });

  it('refuses too little data with ERR_TRAIN_DATA', () => {
    const err = errorOf(() => trainModel({ ...data, rows: syntheticRows(1, 8, 1) }, OPTIONS));
    expect(err.code).toBe('ERR_TRAIN_DATA');
    expect(err.message).toContain('synthetic');
  });
});

describe('autoencoder fit', () => {
  it('reports every epoch, learns, and keeps the best validation epoch', () => {
    const rows = syntheticRows(2, 200, 4);
    const x = flatRows(rows);
    const f = FEATURES.length;
    // Standardise by hand (the trainer does it with the manifest's normalisation).
    const z = new Float64Array(x.length);
    for (let j = 0; j < f; j++) {
      let mean = 0;
      for (let i = 0; i < rows.length; i++) mean += x[i * f + j]!;
      mean /= rows.length;
      let v = 0;
      for (let i = 0; i < rows.length; i++) v += (x[i * f + j]! - mean) ** 2;
      const std = Math.sqrt(v / rows.length) || 1;
      for (let i = 0; i < rows.length; i++) z[i * f + j] = (x[i * f + j]! - mean) / std;
    }
    const progress: FitProgress[] = [];
    const model = fitAutoencoder(matrix(rows.length, f, z), { epochs: 40, seed: 5 }, (p) => progress.push(p));
    expect(progress.map((p) => p.epoch)).toEqual(Array.from({ length: model.epochs }, (_, i) => i + 1));
    expect(progress.at(-1)!.trainLoss).toBeLessThan(progress[0]!.trainLoss / 2);
    const best = progress.find((p) => p.epoch === model.bestEpoch)!;
    expect(model.validationLoss).toBe(best.validationLoss);
    expect(Math.min(...progress.map((p) => p.validationLoss))).toBeCloseTo(model.validationLoss, 12);
    expect(model.layers.map((l) => [l.inputs, l.outputs])).toEqual([[5, 10], [10, 2], [2, 10], [10, 5]]);
  });
});

describe('train command choices', () => {
  it.each([
    [['mean', 'std'], ['a', 'b'], ['a.mean', 'a.std', 'b.mean', 'b.std']],
    [['slope', 'b.max'], ['a', 'b'], ['a.slope', 'b.slope', 'b.max']],
    [['mean', 'a.mean'], ['a'], ['a.mean']],
  ])('features %j of metrics %j are %j', (spec, metrics, expected) => {
    expect(resolveFeatures(spec, metrics, 'x')).toEqual(expected);
  });

  it.each([['median'], ['c.mean']])('refuses feature %s with ERR_TRAIN_DATA', (item) => {
    expect(errorOf(() => resolveFeatures([item], ['a', 'b'], 'x')).code).toBe('ERR_TRAIN_DATA');
  });

  it.each([
    ['tumbling:10000', { kind: 'tumbling', sizeMs: 10_000 }],
    ['hopping:60000:10000', { kind: 'hopping', sizeMs: 60_000, slideMs: 10_000 }],
    ['session:30000', { kind: 'session', gapMs: 30_000 }],
  ])('reads --window %s', (text, spec) => {
    expect(parseWindowSpec(text)).toEqual(spec);
  });

  it.each(['tumbling', 'tumbling:0', 'tumbling:10s', 'hopping:10000', 'hopping:1000:5000', 'sliding:1000', 'tumbling:1000:1000'])('refuses --window %s with ERR_CLI_USAGE', (text) => {
    expect(errorOf(() => parseWindowSpec(text)).code).toBe('ERR_CLI_USAGE');
  });

  it('picks ten sampling intervals as a recording\'s default window', () => {
    const csv = ['timestamp,value', ...Array.from({ length: 20 }, (_, i) => `2024-01-01 00:${String(5 * i).padStart(2, '0')}:00,${i}`)].slice(0, 13).join('\n');
    expect(defaultWindowFor(parseRecording(csv, 'nab.csv'))).toEqual({ kind: 'tumbling', sizeMs: 3_000_000 });
  });
});
