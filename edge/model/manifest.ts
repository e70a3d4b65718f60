// The model manifest (`<base>.manifest.json` beside `<base>.onnx`): its schema, and validation that
// reports every problem with its path, like the gateway config.

import { Type, type Static } from '@sinclair/typebox';
import { WindowSpecSchema } from '../config/schema.js';
import { schemaFile } from '../config/schema-file.js';
import { METRIC_NAME_PATTERN } from '../decode/reading.js';
import { codedError } from '../errors/catalogue.js';
import type { ModelManifest } from './contract.js';
import { parseFeatureKey } from './feature-vector.js';

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });

export const ModelManifestSchema = Type.Object(
  {
    name: { ...Name, description: 'model name, e.g. motor-baseline' },
    version: Type.String({ minLength: 1, maxLength: 64, description: 'producer-ordered version, e.g. 2024-11-24.1; reported with every score' }),
    algorithm: Type.Union([Type.Literal('pca'), Type.Literal('autoencoder'), Type.Literal('external')], { description: 'how the graph was made' }),
    window: { ...WindowSpecSchema, description: 'the window the features are taken over, as in windows.definitions (e.g. {kind: tumbling, sizeMs: 10000}); it must be one of the gateway\'s windows (ERR_MODEL_WINDOW)' },
    features: Type.Array(Type.String({ minLength: 3 }), { minItems: 1, maxItems: 4096, description: 'ordered inputs, `<metric>.<feature>`, the feature one of count sum min max mean std rms first last slope peakToPeak (a metric name may itself contain dots: the feature is after the last one)' }),
    normalisation: Type.Object(
      {
        mean: Type.Array(Type.Number(), { description: 'per feature, in features order' }),
        std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), { description: 'per feature, > 0; x\' = (x − mean) / std' }),
      },
      { additionalProperties: false, description: 'how each input is standardised before the graph' },
    ),
    input: Type.Object({ name: Type.String({ minLength: 1, description: 'the graph\'s one input: float32 [N, features.length], N symbolic (the batch)' }) }, { additionalProperties: false, description: "the graph's input" }),
    output: Type.Object(
      {
        name: Type.String({ minLength: 1, description: 'the graph output read as the score: float32 [N] or [N, 1]' }),
        meaning: Type.String({ minLength: 1, description: 'what the score is; higher = worse' }),
      },
      { additionalProperties: false, description: "the graph's output: one score per row" },
    ),
    threshold: Type.Number({ description: 'score > threshold is anomalous' }),
    appliesTo: Type.Object(
      {
        devices: Type.Optional(Type.Array({ ...Name, description: 'device id' }, { minItems: 1, description: 'device ids' })),
        kinds: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'device kinds (devices.kinds in the gateway config)' })),
      },
      { additionalProperties: false, description: 'devices and/or device kinds it scores' },
    ),
    training: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'how it was made: source, createdAt, rows, split, calibration figures, algorithm details (informational)' })),
  },
  { additionalProperties: false },
);

// The schema and the contract must describe the same object: what validates is a ModelManifest,
// and neither has a key the other lacks.
type SchemaManifest = Static<typeof ModelManifestSchema>;
const sameKeys = <A extends B, B>(): void => {};
sameKeys<SchemaManifest, ModelManifest>();
sameKeys<keyof SchemaManifest, keyof ModelManifest>();
sameKeys<keyof ModelManifest, keyof SchemaManifest>();

const manifestFile = schemaFile<SchemaManifest>(ModelManifestSchema, {
  // Only `check` is used: the model loader reads files itself and names them in its own errors.
  codes: { read: 'ERR_MODEL_READ', parse: 'ERR_MODEL_MANIFEST', invalid: 'ERR_MODEL_MANIFEST' },
  semantics: checkSemantics,
});

/**
 * Validate a parsed manifest. `source` names it in the error (a path, or e.g. `pushed model`).
 * Throws ERR_MODEL_MANIFEST listing every problem with its path.
 */
export function validateManifest(raw: unknown, source: string): ModelManifest {
  const result = manifestFile.check(raw);
  if (result.problems) throw manifestError(source, result.problems);
  return result.value;
}

/** Parse manifest text (JSON) and validate it. Throws ERR_MODEL_MANIFEST. */
export function parseManifest(text: string, source: string): ModelManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw manifestError(source, [`(root): not valid JSON: ${(err as Error).message}`]);
  }
  return validateManifest(raw, source);
}

/** `models/motor.onnx` → `models/motor.manifest.json`: the manifest lives beside its graph. */
export function manifestPathFor(onnxPath: string): string {
  return `${onnxPath.replace(/\.onnx$/i, '')}.manifest.json`;
}

function manifestError(source: string, problems: readonly string[]) {
  return codedError('ERR_MODEL_MANIFEST', [source, problems.length, problems.map((p) => `  - ${p}`).join('\n')]);
}

function checkSemantics(m: SchemaManifest): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  m.features.forEach((key, i) => {
    const ref = parseFeatureKey(key);
    if (!ref) problems.push(`features.${i}: "${key}" is not <metric>.<feature> with a feature of count, sum, min, max, mean, std, rms, first, last, slope, peakToPeak`);
    else if (!METRIC_NAME_PATTERN.test(ref.metric)) problems.push(`features.${i}: "${ref.metric}" is not a valid metric name`);
    if (seen.has(key)) problems.push(`features.${i}: "${key}" appears twice`);
    seen.add(key);
  });
  for (const part of ['mean', 'std'] as const) {
    const n = m.normalisation[part].length;
    if (n !== m.features.length) problems.push(`normalisation.${part}: has ${n} value(s) but features has ${m.features.length}`);
  }
  if (m.window.kind === 'hopping' && m.window.slideMs > m.window.sizeMs) problems.push(`window: slideMs (${m.window.slideMs}) exceeds sizeMs (${m.window.sizeMs})`);
  if (m.appliesTo.devices === undefined && m.appliesTo.kinds === undefined) problems.push('appliesTo: name devices, kinds or both; otherwise the model scores nothing');
  if (m.input.name === m.output.name) problems.push(`output.name: "${m.output.name}" is also the input's name`);
  return problems;
}
