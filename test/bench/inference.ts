// Benchmark `inference`: the committed motor model scoring 1,000 devices' feature vectors per
// window close, one batched call per close, many closes; against the same rows scored one call per
// row. Also the batched figures with onnxruntime's default thread count, and the CPU time each
// costs, which is what the loader's default of one intra-op thread is about on a busy Pi.

import { fileURLToPath } from 'node:url';
import { loadModel, type OnnxModel } from '../../edge/model/onnx-model.js';
import { prng } from '../helpers/prng.js';
import type { BenchResult } from './run.js';
import { quantile, round } from './stats.js';

const MODEL = fileURLToPath(new URL('../../../edge/models/motor-baseline.onnx', import.meta.url));
const DEVICES = 1000;
const WARMUP_CLOSES = 200;
const CLOSES = 2000;
/** Timed passes of each variant, interleaved; the median pass is reported, as the bench machine is noisy. */
const PASSES = 3;
/** Row-by-row is ~1,000 times the calls; fewer closes keep it to a few seconds. */
const ROW_CLOSES = 20;

export async function run(): Promise<BenchResult> {
  const one = await loadModel(MODEL, { intraOpThreads: 1 });
  const all = await loadModel(MODEL, { intraOpThreads: 0 });
  try {
    const batches = buildBatches(one, 16);
    const passes: Array<{ one: Timing; all: Timing }> = [];
    for (let i = 0; i < PASSES; i++) passes.push(i % 2 === 0 ? { one: await timeBatched(one, batches), all: await timeBatched(all, batches) } : { all: await timeBatched(all, batches), one: await timeBatched(one, batches) });
    const median = (pick: (p: { one: Timing; all: Timing }) => Timing) => passes.map(pick).sort((a, b) => a.total - b.total)[Math.floor(PASSES / 2)]!;
    const batched = median((p) => p.one);
    const threads = median((p) => p.all);
    const rowByRow = await timeRowByRow(one, batches);
    return {
      model: `${one.manifest.name}@${one.manifest.version}`,
      features: one.manifest.features.length,
      batchSize: DEVICES,
      closes: CLOSES,
      passes: PASSES,
      rowsPerSec: Math.round((DEVICES * CLOSES) / (batched.total / 1000)),
      p50BatchMs: round(quantile(batched.ms, 0.5), 3),
      p99BatchMs: round(quantile(batched.ms, 0.99), 3),
      maxBatchMs: round(Math.max(...batched.ms), 3),
      cpuMsPerClose: round(batched.cpuMs / CLOSES, 3),
      rowByRowRowsPerSec: Math.round((DEVICES * ROW_CLOSES) / (rowByRow.total / 1000)),
      rowByRowP50CloseMs: round(quantile(rowByRow.ms, 0.5), 2),
      batchedOverRowByRow: round(rowByRow.total / ROW_CLOSES / (batched.total / CLOSES), 1),
      defaultThreadsRowsPerSec: Math.round((DEVICES * CLOSES) / (threads.total / 1000)),
      defaultThreadsP99BatchMs: round(quantile(threads.ms, 0.99), 3),
      defaultThreadsCpuMsPerClose: round(threads.cpuMs / CLOSES, 3),
    };
  } finally {
    await one.close();
    await all.close();
  }
}

interface Timing {
  /** Per window close (ms). */
  readonly ms: number[];
  readonly total: number;
  /** Process CPU time (all threads) over the timed closes (ms). */
  readonly cpuMs: number;
}

/** Feature vectors around the manifest's normal values (mean ± 1.5 std), a few different batches. */
function buildBatches(model: OnnxModel, count: number): Float32Array[] {
  const random = prng(42);
  const { mean, std } = model.manifest.normalisation;
  const f = mean.length;
  return Array.from({ length: count }, () => Float32Array.from({ length: DEVICES * f }, (_, i) => mean[i % f]! + std[i % f]! * 1.5 * (random() * 2 - 1)));
}

async function timeBatched(model: OnnxModel, batches: readonly Float32Array[]): Promise<Timing> {
  for (let i = 0; i < WARMUP_CLOSES; i++) await model.score(batches[i % batches.length]!, DEVICES);
  const ms: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < CLOSES; i++) {
    const t0 = performance.now();
    const scores = await model.score(batches[i % batches.length]!, DEVICES);
    ms.push(performance.now() - t0);
    if (scores.length !== DEVICES) throw new Error(`bench: ${scores.length} scores for ${DEVICES} rows`);
  }
  const total = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return { ms, total, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function timeRowByRow(model: OnnxModel, batches: readonly Float32Array[]): Promise<Timing> {
  const f = model.manifest.features.length;
  const ms: number[] = [];
  const start = performance.now();
  for (let c = 0; c < ROW_CLOSES; c++) {
    const rows = batches[c % batches.length]!;
    const t0 = performance.now();
    for (let r = 0; r < DEVICES; r++) await model.score(rows.subarray(r * f, (r + 1) * f), 1);
    ms.push(performance.now() - t0);
  }
  return { ms, total: performance.now() - start, cpuMs: Number.NaN };
}
