// Benchmark runner: `npm run bench` runs the whole suite, `npm run bench -- <name> [<name>...]`
// the named ones. Each benchmark module in this folder exports `run()`, resolving with one result
// (one JSON line) or several rows (e.g. one per offered rate: one JSON line each).
//
// stdout carries only the JSON lines, so it can be piped (jq, a file). The same results go to
// test/bench/results/ (git-ignored): `<stamp>.jsonl` and `<stamp>.md`, a markdown table per
// benchmark, and `latest.md`; stderr says where. A benchmark that fails prints a JSON line with
// its error, the others still run, and the exit code is 1.

import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { markdownReport } from './report.js';

export type BenchResult = Record<string, string | number | boolean | null>;

type BenchModule = { run: () => Promise<BenchResult | BenchResult[]> };

const benches: Record<string, () => Promise<BenchModule>> = {
  windows: () => import('./windows.js'),
  ingest: () => import('./ingest.js'),
  simulator: () => import('./simulator.js'),
  inference: () => import('./inference.js'),
  durable: () => import('./durable.js'),
  'store-writes': () => import('./store-writes.js'),
  'ingest-log': () => import('./ingest-log.js'),
  'cloud-store': () => import('./cloud-store.js'),
  cloud: () => import('./cloud.js'),
  uplink: () => import('./uplink.js'),
  'cloud-api': () => import('./cloud-api.js'),
  push: () => import('./push.js'),
  e2e: () => import('./e2e.js'),
};

/** Where result files go: test/bench/results/ in the source tree (this file runs from dist/test/bench/). */
const RESULTS = fileURLToPath(new URL('../../../test/bench/results/', import.meta.url));

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !(n in benches));
  if (unknown.length > 0) {
    console.error(`unknown benchmark "${unknown.join('", "')}"; choose from: ${Object.keys(benches).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const selected = names.length ? names : Object.keys(benches);
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memGB: Math.round(totalmem() / 2 ** 30), node: process.version, arch: process.arch };
  const started = new Date();
  const lines: Array<Record<string, unknown>> = [];
  for (const name of selected) {
    const load = loadavg()[0]!;
    let rows: BenchResult[];
    try {
      rows = [await (await benches[name]!()).run()].flat();
    } catch (err) {
      process.exitCode = 1;
      rows = [{ error: err instanceof Error ? err.message : String(err) }];
    }
    for (const row of rows) {
      // loadAvg: the machine's 1-minute load when the benchmark started (other work skews every figure).
      const line = { bench: name, ...row, loadAvg: Number(load.toFixed(2)), machine };
      lines.push(line);
      console.log(JSON.stringify(line));
    }
  }
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const markdown = markdownReport(lines, { started, command: `npm run bench${names.length ? ` -- ${names.join(' ')}` : ''}`, machine });
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}${stamp}.jsonl`, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  writeFileSync(`${RESULTS}${stamp}.md`, markdown);
  writeFileSync(`${RESULTS}latest.md`, markdown);
  console.error(`bench: results in ${RESULTS}${stamp}.md (also latest.md) and ${stamp}.jsonl`);
}

await main();
