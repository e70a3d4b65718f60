// `tributary train` as a user runs it (the compiled CLI in a child process): from a CSV or a
// stopped gateway's outbox to model files that load in onnxruntime.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Summary } from '../../edge/features/summary.js';
import { loadModel } from '../../edge/model/onnx-model.js';
import { windowReadings } from '../../edge/model/windowing.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { BatchWriter } from '../../edge/store/batch-writer.js';
import { Outbox } from '../../edge/outbox/outbox.js';
import { openDb } from '../../edge/store/db.js';
import { runCli } from '../helpers/cli.js';
import { prng } from '../helpers/prng.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const T0 = Date.UTC(2024, 10, 24);
const cli = (args: string[]) => runCli(args);

/** A machine switching load every 5 minutes: `temp` and `vib` at one reading a second for `seconds`. */
function machineCsv(seconds: number, seed: number): string {
  const random = prng(seed);
  const lines = ['timestamp,temp,vib'];
  for (let i = 0; i < seconds; i++) {
    const on = Math.floor(i / 300) % 2 === 0;
    lines.push(`${T0 + i * 1000},${(on ? 60 : 45) + random()},${(on ? 1.2 : 0.5) * (1 + 0.05 * (random() - 0.5))}`);
  }
  return `${lines.join('\n')}\n`;
}

let dir: TempDir | undefined;
afterEach(() => {
  dir?.[Symbol.dispose]();
  dir = undefined;
});

describe('tributary train', () => {
  it('fits a PCA model on a CSV and writes files that load and match their manifest', async () => {
    dir = tempDir();
    const csv = join(dir.path, 'press-7.csv');
    writeFileSync(csv, machineCsv(7200, 1));
    const base = join(dir.path, 'models', 'press');
    const r = await cli(['train', '--csv', csv, '--out', base, '--window', 'tumbling:10000', '--kind', 'press', '--version', '3']);
    expect(r.stderr).toContain('tributary train: 719 window(s) from press-7.csv');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${base}.onnx and ${base}.manifest.json`);
    expect(r.stdout).toMatch(/threshold [\d.]+ = quantile 0.995 of 144 held-back window\(s\)/);
    expect(r.stdout).toMatch(/agrees with the TypeScript reference to \d/);
    const model = await loadModel(`${base}.onnx`);
    try {
      expect(model.manifest).toMatchObject({
        name: 'press',
        version: '3',
        algorithm: 'pca',
        window: { kind: 'tumbling', sizeMs: 10_000 },
        features: ['temp.mean', 'temp.std', 'temp.slope', 'vib.mean', 'vib.std', 'vib.slope'],
        appliesTo: { kinds: ['press'] },
        training: { source: 'press-7.csv', rows: 719, heldBackRows: 144, quantile: 0.995 },
      });
      // A window of normal features scores below the threshold, one with vibration tripled above it.
      const normal = Float32Array.from([60.5, 0.3, 0, 1.2, 0.02, 0]);
      const worn = Float32Array.from([60.5, 0.3, 0, 3.6, 0.06, 0]);
      const [a, b] = await model.score(Float32Array.from([...normal, ...worn]), 2);
      expect(a!).toBeLessThan(model.manifest.threshold);
      expect(b!).toBeGreaterThan(model.manifest.threshold);
    } finally {
      await model.close();
    }
  });

  it('fits an autoencoder, showing its progress on stderr', async () => {
    dir = tempDir();
    const csv = join(dir.path, 'm.csv');
    writeFileSync(csv, machineCsv(3600, 2));
    const base = join(dir.path, 'ae');
    const r = await cli(['train', '--csv', csv, '--out', base, '--window', 'tumbling:10000', '--algorithm', 'autoencoder', '--epochs', '20', '--features', 'mean,vib.max']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('epoch 10/20');
    expect(r.stdout).toContain('autoencoder on 3 feature(s)');
    const manifest = JSON.parse(readFileSync(`${base}.manifest.json`, 'utf8')) as { features: string[]; appliesTo: unknown; training: { autoencoder: { layers: number[] } } };
    expect(manifest.features).toEqual(['temp.mean', 'vib.mean', 'vib.max']);
    expect(manifest.appliesTo).toEqual({ devices: ['m'] });
    expect(manifest.training.autoencoder.layers).toEqual([3, 6, 1, 6, 3]);
    const model = await loadModel(`${base}.onnx`);
    await model.close();
  });

  it('fits on the summaries in a stopped gateway\'s outbox, for the devices asked for', async () => {
    dir = tempDir();
    const dataDir = join(dir.path, 'data');
    await writeOutbox(dataDir, ['motor-1', 'motor-2', 'pump-1']);
    const base = join(dir.path, 'motor');
    const r = await cli(['train', '--data-dir', dataDir, '--out', base, '--devices', 'motor-*', '--kind', 'motor', '--features', 'mean', '--split', 'time']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`from gateway outbox in ${dataDir}`);
    const manifest = JSON.parse(readFileSync(`${base}.manifest.json`, 'utf8')) as { features: string[]; window: unknown; training: { devices: number; rows: number } };
    expect(manifest.features).toEqual(['temp.mean', 'vib.mean']);
    expect(manifest.window).toEqual({ kind: 'tumbling', sizeMs: 10_000 });
    expect(manifest.training).toMatchObject({ devices: 2, rows: 2 * 359 });
  });

  it.each<[string, string[], string]>([
    ['no --out', ['--csv', 'x.csv'], 'ERR_CLI_USAGE: --out <base> is required'],
    ['both sources', ['--csv', 'x.csv', '--data-dir', 'd', '--out', 'm'], 'give exactly one of --csv <file> and --data-dir <dir>'],
    ['an unknown algorithm', ['--csv', 'x.csv', '--out', 'm', '--algorithm', 'svm'], '--algorithm must be pca or autoencoder'],
    ['a missing file', ['--csv', '/nonexistent/x.csv', '--out', 'm'], 'ERR_FILE_READ'],
    ['a folder that is not a gateway\'s data', ['--data-dir', '/nonexistent/data', '--out', 'm'], "ERR_FILE_READ: cannot read the gateway data file /nonexistent/data (ENOENT: not a gateway's LevelDB folder)"],
  ])('refuses %s', async (_, args, message) => {
    const r = await cli(['train', ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('refuses too little data with ERR_TRAIN_DATA and writes nothing', async () => {
    dir = tempDir();
    const csv = join(dir.path, 'short.csv');
    writeFileSync(csv, machineCsv(60, 3));
    const r = await cli(['train', '--csv', csv, '--out', join(dir.path, 'm'), '--window', 'tumbling:10000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_TRAIN_DATA: cannot train on short.csv');
    expect(existsSync(join(dir.path, 'm.onnx'))).toBe(false);
  });

  it('explains itself with --help', async () => {
    const r = await cli(['train', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage:\s+tributary train --csv/);
    expect(r.stdout).toContain('--quantile');
  });
});

/** A gateway's LevelDB with an outbox of real summaries (the window engine's) for an hour of each device. */
async function writeOutbox(dataDir: string, devices: string[]): Promise<void> {
  const summaries: Summary[] = [];
  const readings = devices.flatMap((device, d) =>
    Array.from({ length: 3600 }, (_, i) => ({ device, ts: T0 + i * 1000, tsFromArrival: false, receivedAt: T0 + i * 1000, values: { temp: 50 + d + (i % 7), vib: 1 + (i % 5) / 10 } })),
  );
  readings.sort((a, b) => a.ts - b.ts);
  windowReadings(readings, { window: { kind: 'tumbling', sizeMs: 10_000 }, gateway: 'gw' }, (s) => summaries.push(s));
  windowReadings(readings, { window: { kind: 'hopping', sizeMs: 60_000, slideMs: 10_000 }, gateway: 'gw' }, (s) => summaries.push(s));
  const db = await openDb(dataDir);
  try {
    const registry = new Registry();
    const writer = new BatchWriter({ db, clock: new FakeClock(), log: silentLogger(), flushIntervalMs: 20, writeErrors: registry.counter('write_errors_total', 'errors') });
    const outbox = new Outbox({ db, writer, clock: new FakeClock(), log: silentLogger(), metrics: registry, maxBytes: 1 << 30 });
    await outbox.open();
    for (const s of summaries) outbox.add('summary', s);
    await outbox.close();
  } finally {
    await db.close();
  }
}
