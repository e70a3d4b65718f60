// The anomaly pipeline end to end: the simulator (its own process, real MQTT) runs a few motors,
// one with bearing wear; the gateway scores every motor window with the committed motor model and
// its alert rules raise an alert for the worn bearing before the failure's end, and for no healthy
// motor. A model made for a window the gateway does not keep is refused at start-up.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../edge/alert/alert.js';
import { parseGroundTruth } from '../../edge/eval/ground-truth.js';
import type { LogEntry } from '../../edge/store/bounded-log.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { runScenario } from '../helpers/simulator.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const MODEL = fileURLToPath(new URL('../../edge/models/motor-baseline.onnx', import.meta.url));
const HOUR = 3_600_000;

let gateway: TestGateway | undefined;
let dir: TempDir | undefined;
afterEach(async () => {
  await gateway?.[Symbol.asyncDispose]();
  dir?.[Symbol.dispose]();
  gateway = dir = undefined;
});

const analysis = {
  devices: { kinds: { motor: ['motor-*'] } },
  models: [{ path: MODEL }],
  windows: { definitions: [{ kind: 'tumbling', sizeMs: 10_000 }], maxOutOfOrdernessMs: 2000, allowedLatenessMs: 10_000 },
  alerts: { rules: [{ name: 'motor-anomaly', type: 'score', kinds: ['motor'], inWindows: 3, ofWindows: 3, clearAfter: 6, severity: 'critical' }] },
};

describe('anomaly scoring and alerts in the gateway', () => {
  it('the simulator\'s bearing-wear failure raises an alert before the failure ends; healthy motors raise none', { timeout: 120_000 }, async () => {
    dir = tempDir();
    gateway = await startGateway(analysis);
    const gw = gateway;
    const truthPath = join(dir.path, 'truth.csv');
    // Two simulated hours at ×240 (30 s of real time); motor-002's bearing wears out over the second.
    const scenario = {
      gateway: { url: `mqtt://127.0.0.1:${gw.mqttPort}`, qos: 1 },
      speedup: 240,
      durationMs: 2 * HOUR,
      startTime: 'now-2h',
      seed: 11,
      groups: [{ kind: 'motor', count: 4, idPrefix: 'motor-', ratePerSec: 1 }],
      failures: [{ device: 'motor-002', mode: 'bearing-wear', startMs: HOUR, durationMs: HOUR, severity: 1 }],
    };
    const exit = await runScenario(dir.path, scenario, ['--ground-truth', truthPath], 100_000);
    expect(exit.code, exit.stderr.slice(-2000)).toBe(0);
    await gw.gateway.flush();

    const [wear] = parseGroundTruth(readFileSync(truthPath, 'utf8'), truthPath);
    expect(wear).toMatchObject({ device: 'motor-002', failure: 'bearing-wear' });
    const alerts = ((await gw.gateway.inspect('alerts', 1000, 'oldest'))!.entries as Array<{ item: AlertEvent }>).map((e) => e.item);
    const raised = alerts.filter((a) => a.state === 'raised');
    const forWear = raised.filter((a) => a.device === 'motor-002');
    expect(forWear.length, JSON.stringify(raised.map((a) => [a.device, new Date(a.raisedAt).toISOString()]))).toBeGreaterThanOrEqual(1);
    expect(forWear[0]!.raisedAt).toBeGreaterThan(wear!.start);
    expect(forWear[0]!.raisedAt).toBeLessThan(wear!.end);
    expect(forWear[0]!.evidence.score).toMatchObject({ model: 'motor-baseline' });
    expect(forWear[0]!.evidence.score!.value).toBeGreaterThan(forWear[0]!.evidence.score!.threshold);
    expect(raised.filter((a) => a.device !== 'motor-002')).toEqual([]);

    // Every motor window was scored, in batches, and the score travels with each metric's summary.
    const scored = gw.summaries.filter((s) => s.score !== undefined);
    expect(scored.length).toBeGreaterThan(0.9 * gw.summaries.length);
    expect(gw.metric('tributary_model_rows_scored_total{model="motor-baseline"}')).toBeGreaterThan(4 * 600);
    expect(gw.metric('tributary_model_errors_total{model="motor-baseline"}')).toBe(0);
    expect(gw.metric('tributary_alert_events_total{rule="motor-anomaly",state="raised"}')).toBe(raised.length);
  });

  it('refuses a model made for a window the gateway does not keep', async () => {
    await expect(startGateway({ ...analysis, windows: { definitions: [{ kind: 'tumbling', sizeMs: 5000 }] } })).rejects.toMatchObject({ code: 'ERR_MODEL_WINDOW' });
  });
});
