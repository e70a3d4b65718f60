// SIGTERM during a stream: the gateway process stops its sources, checkpoints its windows, flushes
// its log and exits 0; started again it carries on from the checkpoint (the open windows are
// there before any new reading arrives) and nothing acknowledged before the stop is missing.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

let dir: TempDir | undefined;
let gw: GatewayProcess | undefined;
afterEach(() => {
  gw?.child.kill('SIGKILL');
  dir?.[Symbol.dispose]();
  gw = dir = undefined;
});

const health = async (port: number) => (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { windowsOpen: number; devices: number };

describe('graceful shutdown', () => {
  it('SIGTERM mid-stream: exit 0, and a restart carries on from the checkpoint', { timeout: 60_000 }, async () => {
    dir = tempDir();
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    const config = join(dir.path, 'edge.yaml');
    writeFileSync(
      config,
      JSON.stringify({
        gateway: { id: 'gw-stop' },
        dataDir: join(dir.path, 'data'),
        mqtt: { broker: { host: '127.0.0.1', port: mqttPort } },
        auth: { allowAnonymous: true },
        http: { port: httpPort },
        log: { level: 'warn' },
        windows: { definitions: [{ kind: 'tumbling', sizeMs: 60_000 }], idleTimeoutMs: 600_000 },
      }),
    );
    gw = await startGatewayProcess(config);
    const client = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'sensor', reconnectPeriod: 0 });
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
    // Acknowledged readings (QoS 1: the PUBACK comes once each is in the log on disk), all in one open window per device.
    for (let i = 0; i < 50; i++) await client.publishAsync(`sensors/d-${i % 5}`, JSON.stringify({ ts: t0 + i * 100, v: i }), { qos: 1 });
    expect((await health(httpPort)).windowsOpen).toBe(5);
    await client.endAsync(true);

    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    expect(gw.stderr).toContain('gateway gw-stop stopped');

    gw = await startGatewayProcess(config);
    // Restored from the checkpoint, before any reading arrives.
    const after = await health(httpPort);
    expect(after.windowsOpen).toBe(5);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  });
});
