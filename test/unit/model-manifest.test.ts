// The model manifest: what validates is a usable manifest, and every problem is reported with its path.

import { describe, expect, it } from 'vitest';
import { manifestPathFor, parseManifest, validateManifest } from '../../edge/model/manifest.js';
import { errorOf } from '../helpers/errors.js';
import { manifestFor } from '../helpers/model-data.js';

const FEATURES = ['vib_rms.mean', 'vib_rms.std', 'temp.slope'];

describe('model manifest', () => {
  it('accepts a valid manifest and freezes it', () => {
    const m = validateManifest(manifestFor(FEATURES, { training: { rows: 10 } }), 'm.json');
    expect(m.features).toEqual(FEATURES);
    expect(Object.isFrozen(m.normalisation)).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a feature that is not <metric>.<feature>', { features: ['vib_rms.mean', 'vib_rms.median', 'temp.slope'] }, 'features.1: "vib_rms.median"'],
    ['a feature listed twice', { features: ['vib_rms.mean', 'vib_rms.mean', 'temp.slope'] }, 'features.1: "vib_rms.mean" appears twice'],
    ['an invalid metric name', { features: ['vib rms.mean', 'vib_rms.std', 'temp.slope'] }, 'features.0: "vib rms" is not a valid metric name'],
    ['too few means', { normalisation: { mean: [0, 0], std: [1, 1, 1] } }, 'normalisation.mean: has 2 value(s) but features has 3'],
    ['too many stds', { normalisation: { mean: [0, 0, 0], std: [1, 1, 1, 1] } }, 'normalisation.std: has 4 value(s) but features has 3'],
    ['a zero std', { normalisation: { mean: [0, 0, 0], std: [1, 0, 1] } }, 'normalisation.std.1: must be > 0'],
    ['no devices nor kinds', { appliesTo: {} }, 'appliesTo: name devices, kinds or both'],
    ['an unknown algorithm', { algorithm: 'svm' }, 'algorithm: must be one of pca, autoencoder, external'],
    ['an unknown key', { colour: 'red' }, '(root): unknown key "colour"'],
    ['a window slide longer than the window', { window: { kind: 'hopping', sizeMs: 1000, slideMs: 5000 } }, 'window: slideMs (5000) exceeds sizeMs (1000)'],
    ['the same name for input and output', { output: { name: 'x', meaning: 'm' } }, 'output.name: "x" is also the input\'s name'],
    ['a missing threshold', { threshold: undefined }, "(root): must have required property 'threshold'"],
  ])('refuses %s with ERR_MODEL_MANIFEST and the path', (_, overrides, problem) => {
    const err = errorOf(() => validateManifest(JSON.parse(JSON.stringify(manifestFor(FEATURES, overrides))), 'models/m.manifest.json'));
    expect(err.code).toBe('ERR_MODEL_MANIFEST');
    expect(err.message).toContain('models/m.manifest.json');
    expect(err.message).toContain(problem);
  });

  it('reports every problem together: the schema\'s, then (once the shape is right) the cross-checks', () => {
    const shape = errorOf(() => validateManifest(manifestFor(FEATURES, { name: '', threshold: 'high', colour: 1 }), 'm'));
    expect(shape.message).toMatch(/\(3 problem\(s\)\)/);
    expect(shape.message).toContain('name: must match pattern');
    expect(shape.message).toContain('threshold: must be number');
    expect(shape.message).toContain('unknown key "colour"');
    const cross = errorOf(() => validateManifest(manifestFor(FEATURES, { normalisation: { mean: [0], std: [1, 1, 1] }, appliesTo: {} }), 'm'));
    expect(cross.message).toMatch(/\(2 problem\(s\)\)/);
    expect(cross.message).toContain('normalisation.mean');
    expect(cross.message).toContain('appliesTo');
  });

  it('refuses text that is not JSON', () => {
    const err = errorOf(() => parseManifest('{"name": ', 'm.manifest.json'));
    expect(err.code).toBe('ERR_MODEL_MANIFEST');
    expect(err.message).toContain('(root): not valid JSON');
  });

  it.each([
    ['models/motor.onnx', 'models/motor.manifest.json'],
    ['models/motor.ONNX', 'models/motor.manifest.json'],
    ['motor', 'motor.manifest.json'],
  ])('keeps the manifest of %s at %s', (onnx, manifest) => {
    expect(manifestPathFor(onnx)).toBe(manifest);
  });
});
