// Load and accounting: the simulator CLI, in its own process, runs 1,000 authenticated MQTT
// devices at 10 readings/s each for 60 s against a real gateway; afterwards every reading is
// accounted for, per device: the gateway's readings equal good + duplicate sends, its dead
// letters equal the malformed ones.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword } from '../../edge/auth/password.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { runScenario } from '../helpers/simulator.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const DURATION_MS = 60_000;
const RATE = 10;
const GROUPS = [
  { kind: 'motor', count: 600, idPrefix: 'm-' },
  { kind: 'pump', count: 250, idPrefix: 'p-' },
  { kind: 'environment', count: 150, idPrefix: 'env-' },
];

interface Counts {
  good: number;
  malformed: number;
  duplicate: number;
  dropout: number;
  errors: number;
}

let gateway: TestGateway | undefined;
let dir: TempDir | undefined;
afterEach(async () => {
  await gateway?.[Symbol.asyncDispose]();
  dir?.[Symbol.dispose]();
  gateway = dir = undefined;
});

describe('a 1,000-device fleet for 60 s', () => {
  it('accounts for every reading, per device', { timeout: DURATION_MS + 120_000 }, async () => {
    dir = tempDir();
    const devices = GROUPS.flatMap((g) => Array.from({ length: g.count }, (_, i) => `${g.idPrefix}${String(i + 1).padStart(String(g.count).length, '0')}`));
    expect(devices).toHaveLength(1000);
    const hash = await hashPassword('fleet-pw', { logN: 10 });
    gateway = await startGateway({
      auth: { allowAnonymous: false, users: Object.fromEntries(devices.map((d) => [d, { passwordHash: hash }])) },
      windows: { definitions: [{ kind: 'tumbling', sizeMs: 10_000 }], maxOutOfOrdernessMs: 2000, allowedLatenessMs: 30_000 },
    });
    const gw = gateway;

    const countsPath = join(dir.path, 'counts.json');
    const scenario = {
      gateway: { url: `mqtt://127.0.0.1:${gw.mqttPort}`, qos: 1, password: 'fleet-pw' },
      speedup: 1,
      durationMs: DURATION_MS,
      seed: 7,
      groups: GROUPS.map((g) => ({ ...g, ratePerSec: RATE })),
      // Delivery faults the accounting must see through.
      failures: [
        { device: 'm-007', mode: 'duplicates', startMs: 10_000, durationMs: 20_000 },
        { device: 'm-008', mode: 'malformed-payloads', startMs: 10_000, durationMs: 20_000 },
        { device: 'p-042', mode: 'dropout', startMs: 5_000, durationMs: 10_000 },
        { device: 'env-003', mode: 'out-of-order-burst', startMs: 20_000, durationMs: 10_000 },
      ],
    };
    const exit = await runScenario(dir.path, scenario, ['--counts', countsPath], DURATION_MS + 90_000);
    expect(exit.code, exit.stderr.slice(-2000)).toBe(0);

    const sent = (JSON.parse(readFileSync(countsPath, 'utf8')) as { devices: Record<string, Counts>; totals: Counts }).devices;
    const expectedReadings = Object.values(sent).reduce((n, c) => n + c.good + c.duplicate, 0);
    const expectedDeadLetters = Object.values(sent).reduce((n, c) => n + c.malformed, 0);
    await waitFor(() => gw.metric('tributary_readings_decoded_total') >= expectedReadings, 'the gateway to have decoded every acknowledged reading');

    // The run really carried the load: nearly 1,000 × 10 × 60 readings, none failed to deliver.
    expect(expectedReadings).toBeGreaterThan(0.95 * devices.length * RATE * (DURATION_MS / 1000));
    expect(Object.values(sent).every((c) => c.errors === 0)).toBe(true);
    expect(sent['m-007']!.duplicate).toBeGreaterThan(0);
    expect(sent['m-008']!.malformed).toBeGreaterThan(0);
    expect(sent['p-042']!.dropout).toBeGreaterThan(0);

    const mismatches = devices.filter((d) => {
      const g = gw.gateway.devices.get(d);
      const s = sent[d]!;
      return g === undefined || g.readings !== s.good + s.duplicate || g.deadLetters !== s.malformed;
    });
    expect(mismatches, `first mismatches: ${mismatches.slice(0, 5).map((d) => `${d} sent ${JSON.stringify(sent[d])} gateway ${JSON.stringify(gw.gateway.devices.get(d))}`).join('; ')}`).toEqual([]);
    expect(gw.metric('tributary_readings_decoded_total')).toBe(expectedReadings);
    const deadLetters = (await gw.gateway.inspect('dead-letter', 1))!.size;
    expect(deadLetters).toBe(expectedDeadLetters);
  });
});
