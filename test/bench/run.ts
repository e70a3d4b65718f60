// Benchmark runner: `npm run bench -- <name>` runs one benchmark and prints one JSON line.
// Each benchmark module in this folder exports `run(): Promise<BenchResult>`.

import { availableParallelism, cpus, totalmem } from 'node:os';

export type BenchResult = Record<string, string | number | boolean | null>;

const benches: Record<string, () => Promise<{ run: () => Promise<BenchResult> }>> = {
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
};

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const selected = names.length ? names : Object.keys(benches);
  for (const name of selected) {
    const load = benches[name];
    if (!load) {
      console.error(`unknown benchmark "${name}"; choose from: ${Object.keys(benches).join(', ')}`);
      process.exitCode = 2;
      return;
    }
    const result = await (await load()).run();
    const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memGB: Math.round(totalmem() / 2 ** 30), node: process.version, arch: process.arch };
    console.log(JSON.stringify({ bench: name, ...result, machine }));
  }
}

await main();
