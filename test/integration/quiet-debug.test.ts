// The command line silences the MQTT libraries' `debug` loggers before it loads a sub-command:
// checked in child processes, as a user runs the CLI, with a preload that records every logger the
// real `debug` factory makes.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'dist/edge/cli/main.js');

// Wraps the `debug` copy mqtt-packet loads, before anything else runs, so the loggers the real
// factory makes are recorded; says at exit which were made and whether mqtt-packet's parser loaded.
const RECORDER = `
const { createRequire } = require('node:module');
const root = createRequire(${JSON.stringify(join(ROOT, 'package.json'))});
const file = createRequire(createRequire(root.resolve('aedes')).resolve('mqtt-packet')).resolve('debug');
const real = require(file);
const made = [];
const recording = Object.assign((ns) => (made.push(ns), real(ns)), real);
require.cache[file].exports = recording;
process.on('exit', () => {
  const parser = Object.keys(require.cache).some((k) => k.endsWith('/mqtt-packet/parser.js'));
  process.stderr.write('RECORDED ' + JSON.stringify({ made, parser }) + '\\n');
});
`;

interface Recorded {
  readonly made: string[];
  readonly parser: boolean;
}

let dir: string;
let preload: string;

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Recorded> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--require', preload, ...args], { cwd: ROOT, env: { ...process.env, DEBUG: '', ...env }, timeout: 60_000 }, (err, _stdout, stderr) => {
      const line = stderr.split('\n').find((l) => l.startsWith('RECORDED '));
      if (!line) return reject(new Error(`no record (${err?.message ?? 'exit 0'}): ${stderr}`));
      resolve(JSON.parse(line.slice('RECORDED '.length)) as Recorded);
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-debug-'));
  preload = join(dir, 'record-debug.cjs');
  await writeFile(preload, RECORDER);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('silenced debug loggers', () => {
  it('without the command line, mqtt-packet makes real loggers (the recorder sees them)', async () => {
    const r = await run(['-e', "require('node:module').createRequire(require.resolve('aedes'))('mqtt-packet')"]);
    expect(r.parser).toBe(true);
    expect(r.made).toContain('mqtt-packet:parser');
  });

  it('the command line makes none for namespaces DEBUG leaves off', async () => {
    const r = await run([MAIN, 'edge', '--help']);
    expect(r.parser).toBe(true); // the gateway's modules, the broker's parser among them, did load
    expect(r.made.filter((ns) => ns.startsWith('mqtt-packet') || ns.startsWith('mqttjs'))).toEqual([]);
  });

  it('a namespace DEBUG enables at start keeps its real logger', async () => {
    const r = await run([MAIN, 'edge', '--help'], { DEBUG: 'mqtt-packet:parser' });
    expect(r.parser).toBe(true);
    expect(r.made).toContain('mqtt-packet:parser');
    expect(r.made).not.toContain('mqtt-packet:writeToStream');
  });
});
