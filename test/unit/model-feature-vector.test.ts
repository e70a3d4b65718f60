// Feature keys and vectors: `<metric>.<feature>` in manifest order, nothing made up when a feature is missing.

import { describe, expect, it } from 'vitest';
import type { Features } from '../../edge/features/summary.js';
import { featureKey, flattenFeatures, parseFeatureKey, vectorOf, writeVector } from '../../edge/model/feature-vector.js';

describe('feature keys', () => {
  it.each([
    ['vib_rms.mean', { metric: 'vib_rms', feature: 'mean' }],
    ['bearing_temp.peakToPeak', { metric: 'bearing_temp', feature: 'peakToPeak' }],
    // Metric names may contain dots: the feature is after the last one.
    ['line.3.temp.slope', { metric: 'line.3.temp', feature: 'slope' }],
    ['temp.median', undefined],
    ['temp.', undefined],
    ['.mean', undefined],
    ['mean', undefined],
  ])('%s', (key, expected) => {
    expect(parseFeatureKey(key)).toEqual(expected);
  });

  it('round-trips featureKey and parseFeatureKey', () => {
    expect(parseFeatureKey(featureKey('a.b', 'rms'))).toEqual({ metric: 'a.b', feature: 'rms' });
  });
});

describe('feature vectors', () => {
  const manifest = ['vib_rms.mean', 'temp.slope', 'vib_rms.std'];

  it('puts features in manifest order, whatever the order of the record', () => {
    const v = vectorOf({ 'temp.slope': 0.25, 'vib_rms.std': 0.5, 'vib_rms.mean': 1.5, 'other.mean': 9 }, manifest);
    expect(Array.from(v!)).toEqual([1.5, 0.25, 0.5]);
  });

  it.each([
    ['a feature is missing', { 'vib_rms.mean': 1, 'vib_rms.std': 2 }],
    ['a feature is NaN', { 'vib_rms.mean': 1, 'temp.slope': NaN, 'vib_rms.std': 2 }],
    ['a feature is infinite', { 'vib_rms.mean': Infinity, 'temp.slope': 0, 'vib_rms.std': 2 }],
  ])('is undefined when %s', (_, features) => {
    expect(vectorOf(features, manifest)).toBeUndefined();
  });

  it('writes rows into a batch at their offset without touching the others', () => {
    const batch = new Float32Array(6).fill(-1);
    expect(writeVector({ 'vib_rms.mean': 1, 'temp.slope': 2, 'vib_rms.std': 3 }, manifest, batch, 3)).toBe(true);
    expect(Array.from(batch)).toEqual([-1, -1, -1, 1, 2, 3]);
  });

  it('flattens a metric\'s Features to keys vectorOf understands', () => {
    const f: Features = { count: 10, sum: 15, min: 1, max: 2, mean: 1.5, std: 0.5, rms: 1.58, first: 1, last: 2, slope: 0.1, peakToPeak: 1 };
    const flat = flattenFeatures('vib_rms', f, flattenFeatures('temp', { ...f, slope: 0.25 }));
    expect(flat['vib_rms.peakToPeak']).toBe(1);
    expect(Object.keys(flat)).toHaveLength(22);
    expect(Array.from(vectorOf(flat, manifest)!)).toEqual([1.5, 0.25, 0.5]);
  });
});
