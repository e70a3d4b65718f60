// kill -9 the gateway right after a `reading-threshold` rule raised: the restart replays the ingest
// log after the last checkpoint through the same rules, with the hysteresis the checkpoint held, and
// emits the same alert (same id, revision 0 of its run) again — not a new one, and not none.

import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../edge/alert/alert.js';
import { alertId } from '../../edge/alert/occurrence.js';
import { REVISION_EPOCH } from '../../edge/store/epoch.js';
import { gatewayProcessConfig, startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

let dir: TempDir | undefined;
let running: GatewayProcess | undefined;
afterEach(() => {
  running?.child.kill('SIGKILL');
  running = undefined;
  dir?.[Symbol.dispose]();
  dir = undefined;
});

describe('kill -9 after a reading-threshold alert', () => {
  it('the replay re-emits the same alert id, with the hysteresis restored from the checkpoint', { timeout: 60_000 }, async () => {
    dir = tempDir();
    const { path: config, mqttPort, httpPort } = await gatewayProcessConfig(dir.path, 'gw-reading', {
      // Checkpoints only at a clean stop: the one of the first run is the last before the kill.
      durability: { checkpointIntervalMs: 3_600_000 },
      windows: { idleTimeoutMs: 3_600_000 },
      alerts: { rules: [{ name: 'vib-spike', type: 'reading-threshold', metric: 'vib_rms', above: 2.8, raiseAfter: 2 }] },
    });
    const t0 = Math.floor(Date.now() / 10_000) * 10_000 - 60_000;
    const publish = async (at: number, vib: number) => {
      const client = await connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0, connectTimeout: 5000 });
      try {
        // QoS 1: the PUBACK comes once the reading is in the ingest log on disk.
        await client.publishAsync('sensors/motor-1', JSON.stringify({ ts: t0 + at, vib_rms: vib }), { qos: 1 });
      } finally {
        await client.endAsync();
      }
    };
    const alerts = async (): Promise<AlertEvent[]> => {
      const body = (await (await fetch(`http://127.0.0.1:${httpPort}/inspect/alerts?order=oldest&limit=100`)).json()) as { entries: Array<{ item: AlertEvent }> };
      return body.entries.map((e) => e.item);
    };

    // Run 1 (epoch 0): a good reading, then one bad; a clean stop checkpoints "1 bad in a row".
    running = await startGatewayProcess(config);
    await publish(1000, 1);
    await publish(2000, 3.5);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);

    // Run 2 (epoch 1): the second bad reading in a row raises — the count came from the checkpoint.
    running = await startGatewayProcess(config);
    await publish(3000, 4);
    const raised = (await waitFor(async () => (await alerts()).find((e) => e.state === 'raised'), 'the alert of run 2'))!;
    expect(raised).toMatchObject({ id: alertId('gw-reading', 'motor-1', 'vib-spike', t0 + 3000), revision: REVISION_EPOCH, at: t0 + 3000, evidence: { bad: 2 } });
    running.child.kill('SIGKILL');
    await running.exited;

    // Run 3 (epoch 2): the log after the checkpoint (the crossing reading) is replayed and judged again.
    running = await startGatewayProcess(config);
    const again = (await waitFor(async () => (await alerts()).find((e) => e.revision === 2 * REVISION_EPOCH), 'the replayed alert of run 3'))!;
    expect(again).toMatchObject({ id: raised.id, state: 'raised', raisedAt: t0 + 3000, at: t0 + 3000, message: raised.message, evidence: { bad: 2, reading: raised.evidence.reading } });
    // Whatever of run 2 survived the kill, every raise is that one occurrence.
    expect(new Set((await alerts()).map((e) => e.id))).toEqual(new Set([raised.id]));
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
  });
});
