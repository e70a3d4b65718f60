// `tributary cloud --config` as an operator runs it: the compiled CLI in a child process takes a
// gateway's batches, says where it listens, and on SIGTERM finishes and exits 0, its data durable.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelCloudStore } from '../../cloud/store/level/level-store.js';
import { runCli } from '../helpers/cli.js';
import { testGateways } from '../helpers/cloud.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { UplinkSender } from '../helpers/uplink-sender.js';

const MAIN = fileURLToPath(new URL('../../dist/edge/cli/main.js', import.meta.url));
const HOUR = 3_600_000;
const START = Math.floor(Date.now() / HOUR) * HOUR - HOUR;

let dir: TempDir | undefined;
afterEach(() => {
  dir?.[Symbol.dispose]();
  dir = undefined;
});

describe('tributary cloud', () => {
  it('runs a worker until SIGTERM, then stores what it acknowledged and exits 0', async () => {
    dir = tempDir('tributary-cloud-cli-');
    const { gateways, tokens } = await testGateways(['gw-cli']);
    const config = join(dir.path, 'cloud.yaml');
    const data = join(dir.path, 'data');
    writeFileSync(
      config,
      [
        'cloud: { id: cloud-cli, shutdownTimeoutMs: 10000 }',
        `dataDir: ${data}`,
        `gateways: { gw-cli: { tokenHash: "${gateways['gw-cli']!.tokenHash}", site: plant-9 } }`,
        'mqtt: { broker: { host: 127.0.0.1, port: 0 } }',
        'http: { host: 127.0.0.1, port: 0 }',
        'log: { level: warn }',
      ].join('\n'),
    );
    const check = await runCli(['cloud', 'check-config', '--config', config]);
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ cloud: { id: 'cloud-cli' }, ingest: { gzipAcks: true } });

    const worker = spawn(process.execPath, [MAIN, 'cloud', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const [port, httpPort] = await new Promise<[number, number]>((resolve, reject) => {
      worker.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = /MQTT broker on 127\.0\.0\.1:(\d+).*HTTP API on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m) resolve([Number(m[1]), Number(m[2])]);
      });
      worker.once('exit', (code) => reject(new Error(`the worker exited (${code}): ${stderr}`)));
    });
    expect(stderr).toMatch(/worker cloud-cli running; cloud-store level:/);
    // The API and the alert rules run beside the ingest; /healthz covers the worker's ingest.
    const health = (await (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json()) as { ok: boolean; checks: Record<string, { ok: boolean }> };
    expect(health).toMatchObject({ ok: true, checks: { ingest: { ok: true, kind: 'broker', port }, 'cloud-alert-rules': { ok: true } } });

    const gw = await UplinkSender.connect({ url: `mqtt://127.0.0.1:${port}`, gateway: 'gw-cli', token: tokens['gw-cli']! });
    const summaries = gatewaySummaries({ gateway: 'gw-cli', devices: 3, metrics: ['temp', 'rpm'], start: START, seconds: 300, seed: 7 });
    try {
      await gw.deliver('summary', summaries, 50);
    } finally {
      await gw.close();
    }
    const exited = once(worker, 'exit');
    worker.kill('SIGTERM');
    expect((await exited)[0], stderr).toBe(0);
    expect(stderr).toMatch(/worker cloud-cli stopped/);

    await using store = new LevelCloudStore(join(data, 'store'));
    await store.open();
    const stored = await store.summaries({ from: 0, to: Date.now(), limit: 10_000 });
    expect(stored.length).toBe(new Set(summaries.map((s) => s.id)).size);
    expect(new Set(stored.map((s) => s.site))).toEqual(new Set(['plant-9']));
    // The worker applied its pending roll-ups before it stopped.
    expect((await store.series({ scope: { kind: 'fleet' }, metric: 'temp', resolutionMs: HOUR, from: 0, to: Date.now() })).reduce((n, p) => n + p.windows, 0)).toBe(3 * 30);
  });
});
