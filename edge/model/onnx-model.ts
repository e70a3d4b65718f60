// An anomaly model in onnxruntime-node: load `<base>.onnx` with its manifest, refuse any mismatch
// before it can score, then score batches of raw feature vectors with one inference per call.
//
// Loading validates everything first (manifest, graph signature, a trial run on two rows), so
// `loadModelFromBytes` can vet a pushed model before it replaces a running one.

import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { codedError, TributaryError } from '../errors/catalogue.js';
import type { ModelManifest, ScoringModel } from './contract.js';
import { graphProblems, trialProblems } from './graph-check.js';
import { manifestPathFor, parseManifest, validateManifest } from './manifest.js';
import { normaliser, normaliseRows, type Normaliser } from './normalise.js';

export interface LoadModelOptions {
  /**
   * Threads one inference may use (default 1). Scoring batches of a few thousand small rows is
   * dominated by per-call overhead, and on a Pi the other cores are busy ingesting; see
   * `npm run bench -- inference`.
   */
  readonly intraOpThreads?: number;
}

/** Load `<base>.onnx` and `<base>.manifest.json`. Throws ERR_MODEL_READ, ERR_MODEL_MANIFEST or ERR_MODEL_MISMATCH. */
export async function loadModel(onnxPath: string, options: LoadModelOptions = {}): Promise<OnnxModel> {
  const manifestPath = manifestPathFor(onnxPath);
  // Both are read at once; when both fail, the ONNX file's error is the one thrown, every time
  // (Promise.all would throw whichever failed first, and a refusal's message would vary with it).
  const [onnx, text] = await Promise.allSettled([read(onnxPath, 'ONNX'), read(manifestPath, 'manifest')]);
  if (onnx.status === 'rejected') throw onnx.reason;
  if (text.status === 'rejected') throw text.reason;
  const [onnxBytes, manifestText] = [onnx.value, text.value];
  const manifest = parseManifest(manifestText.toString('utf8'), manifestPath);
  return OnnxModel.open(onnxBytes, manifest, onnxPath, options);
}

/**
 * Load a model from memory (e.g. pushed by the cloud). `manifest` is the parsed JSON, validated
 * here. Throws ERR_MODEL_READ (bytes are not a model), ERR_MODEL_MANIFEST or ERR_MODEL_MISMATCH.
 */
export async function loadModelFromBytes(onnx: Uint8Array, manifest: unknown, options: LoadModelOptions = {}): Promise<OnnxModel> {
  return OnnxModel.open(onnx, validateManifest(manifest, 'manifest'), 'model bytes', options);
}

export class OnnxModel implements ScoringModel {
  readonly manifest: ModelManifest;
  readonly #session: ort.InferenceSession;
  readonly #label: string;
  readonly #width: number;
  readonly #normaliser: Normaliser;
  readonly #input: string;
  readonly #fetches: string[];
  /** Normalised rows, reused between calls; a call arriving while one is in flight gets its own. */
  #buffer = new Float32Array(0);
  #busy = false;
  #inFlight = new Set<Promise<unknown>>();
  #closed = false;

  private constructor(session: ort.InferenceSession, manifest: ModelManifest) {
    this.#session = session;
    this.manifest = manifest;
    this.#label = `${manifest.name}@${manifest.version}`;
    this.#width = manifest.features.length;
    this.#normaliser = normaliser(manifest.normalisation);
    this.#input = manifest.input.name;
    this.#fetches = [manifest.output.name];
  }

  /**
   * Open a session on `onnx` and check it against a validated manifest; `source` names it in errors.
   * The one way to make an OnnxModel. Throws ERR_MODEL_READ or ERR_MODEL_MISMATCH.
   */
  static async open(onnx: Uint8Array, manifest: ModelManifest, source: string, options: LoadModelOptions = {}): Promise<OnnxModel> {
    return new OnnxModel(await openChecked(onnx, manifest, source, options), manifest);
  }

  score(rows: Float32Array, n: number): Promise<Float32Array> {
    if (!(Number.isInteger(n) && n >= 0)) throw new TypeError(`n must be a non-negative integer, got ${n}`);
    if (rows.length < n * this.#width) throw new TypeError(`rows holds ${rows.length} values; ${n} rows of ${this.#width} features need ${n * this.#width}`);
    if (this.#closed) return Promise.reject(codedError('ERR_NOT_OPEN', [`model ${this.#label}`, 'closed']));
    if (n === 0) return Promise.resolve(new Float32Array(0));
    const run = this.#run(rows, n);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run)).catch(() => {});
    return run;
  }

  /** Release the session once the calls in flight have finished. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    await this.#session.release();
  }

  async #run(rows: Float32Array, n: number): Promise<Float32Array> {
    const size = n * this.#width;
    const own = this.#busy;
    let x: Float32Array;
    if (own) x = new Float32Array(size);
    else {
      if (this.#buffer.length < size) this.#buffer = new Float32Array(Math.max(size, this.#buffer.length * 2));
      x = this.#buffer.length === size ? this.#buffer : this.#buffer.subarray(0, size);
      this.#busy = true;
    }
    try {
      normaliseRows(this.#normaliser, rows, n, x);
      const out = await this.#session.run({ [this.#input]: new ort.Tensor('float32', x, [n, this.#width]) }, this.#fetches);
      const scores = out[this.#fetches[0]!]?.data;
      if (!(scores instanceof Float32Array) || scores.length !== n) {
        throw codedError('ERR_MODEL_RUN', [this.#label, n, `expected ${n} float32 scores, got ${scores instanceof Float32Array ? scores.length : typeof scores}`]);
      }
      return scores;
    } catch (err) {
      if (err instanceof TributaryError) throw err;
      throw codedError('ERR_MODEL_RUN', [this.#label, n, (err as Error).message], { cause: err });
    } finally {
      if (!own) this.#busy = false;
    }
  }
}

async function openChecked(onnx: Uint8Array, manifest: ModelManifest, source: string, options: LoadModelOptions): Promise<ort.InferenceSession> {
  const threads = options.intraOpThreads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 0)) throw new TypeError(`intraOpThreads must be a non-negative integer, got ${threads}`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnx, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw codedError('ERR_MODEL_READ', ['ONNX', source, `not a model onnxruntime can load: ${(err as Error).message}`], { cause: err });
  }
  const label = `${manifest.name}@${manifest.version} (${source})`;
  const problems = graphProblems(session, manifest);
  if (problems.length === 0) problems.push(...(await trial(session, manifest)));
  if (problems.length > 0) {
    await session.release();
    throw codedError('ERR_MODEL_MISMATCH', [label, problems.length, problems.map((p) => `  - ${p}`).join('\n')]);
  }
  return session;
}

/** Score two copies of the manifest's mean vector (zeros after normalisation): one finite score each. */
async function trial(session: ort.InferenceSession, manifest: ModelManifest): Promise<string[]> {
  const rows = 2;
  const x = new Float32Array(rows * manifest.features.length);
  try {
    const out = await session.run({ [manifest.input.name]: new ort.Tensor('float32', x, [rows, manifest.features.length]) }, [manifest.output.name]);
    return trialProblems(manifest.output.name, rows, out[manifest.output.name]?.data ?? []);
  } catch (err) {
    return [`the graph fails on a batch of ${rows} rows: ${(err as Error).message.split('\n')[0]}`];
  }
}

async function read(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw codedError('ERR_MODEL_READ', [what, path, (err as NodeJS.ErrnoException).code ?? (err as Error).message], { cause: err });
  }
}
