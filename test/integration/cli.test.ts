// The `tributary` command line as a user runs it: the compiled CLI in a child process.

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connectAsync } from 'mqtt';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const MAIN = fileURLToPath(new URL('../../dist/edge/cli/main.js', import.meta.url));

function cli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [MAIN, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

let dir: TempDir | undefined;
afterEach(() => {
  dir?.[Symbol.dispose]();
  dir = undefined;
});

describe('tributary CLI', () => {
  it('lists its commands and each has --help', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/edge/);
    expect(top.stdout).toMatch(/cloud/);
    expect(top.stdout).toMatch(/devices/);
    for (const command of ['edge', 'cloud', 'devices']) {
      const help = await cli([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(/Usage:\s+tributary/);
    }
  });

  it('says what is missing from a command line, and which commands exist', async () => {
    const cloud = await cli(['cloud']);
    expect(cloud.code).toBe(1);
    expect(cloud.stderr).toMatch(/ERR_CLI_USAGE.*--config <file> is required/);
    const devices = await cli(['devices', '--help']);
    expect(devices.stdout).toMatch(/--scenario/);
    const unknown = await cli(['bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "bogus"/);
  });

  it('reports every config problem with its path and exits non-zero', async () => {
    dir = tempDir();
    const path = join(dir.path, 'edge.yaml');
    writeFileSync(path, 'gateway:\n  id: ok\nmqtt:\n  broker:\n    port: -1\nwindows:\n  surprise: true\n');
    const r = await cli(['edge', '--config', path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERR_CONFIG_INVALID/);
    expect(r.stderr).toMatch(/mqtt\.broker\.port/);
    expect(r.stderr).toMatch(/windows: unknown key "surprise"/);
  });

  it('check-config prints the config with defaults filled in', async () => {
    const r = await cli(['edge', 'check-config', '--config', fileURLToPath(new URL('../../edge/edge.example.yaml', import.meta.url))]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ gateway: { id: 'gw-demo' }, stores: { flushIntervalMs: 20 } });
  });

  it('hash-password reads stdin and prints a scrypt hash, never the password', async () => {
    const r = await cli(['edge', 'hash-password'], 'correct horse\n');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^scrypt\$/);
    expect(r.stdout).not.toContain('correct horse');
  });

  it('runs the gateway until SIGTERM, and inspect then reads what it kept from LevelDB', async () => {
    dir = tempDir();
    const config = join(dir.path, 'edge.yaml');
    writeFileSync(
      config,
      [
        'gateway: { id: gw-cli }',
        `dataDir: ${join(dir.path, 'data')}`,
        'mqtt: { broker: { host: 127.0.0.1, port: 0 } }',
        'auth: { allowAnonymous: true }',
        'http: { enabled: false }',
        'log: { level: warn }',
      ].join('\n'),
    );
    const gateway = spawn(process.execPath, [MAIN, 'edge', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const port = await new Promise<number>((resolve, reject) => {
      gateway.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = /MQTT on 127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) resolve(Number(m[1]));
      });
      gateway.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${stderr}`)));
    });
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'pump-3', reconnectPeriod: 0 });
    await client.publishAsync('sensors/pump-3', '{"temp": "warm"}', { qos: 1 });
    await client.endAsync();
    const exited = once(gateway, 'exit');
    gateway.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);

    const r = await cli(['edge', 'inspect', '--config', config, 'dead-letter']);
    expect(r.code, r.stderr).toBe(0);
    const held = JSON.parse(r.stdout) as { 'dead-letter': { size: number; entries: Array<{ value: { reason: string; device: string } }> } };
    expect(held['dead-letter'].size).toBe(1);
    expect(held['dead-letter'].entries[0]!.value).toMatchObject({ reason: 'wrong_type', device: 'pump-3' });
  });
});
