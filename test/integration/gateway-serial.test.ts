// Simulated serial devices → socat pty pairs → the gateway's serial sources → window summaries,
// for each line framing; every line the simulator sent is a reading (or, if malformed, a dead
// letter) at the gateway.

import { afterEach, describe, expect, it } from 'vitest';
import type { Fleet } from '../../devices/fleet.js';
import { scenarioFleet } from '../../devices/scenario-fleet.js';
import { validateScenario } from '../../devices/scenario/load.js';
import { metricNames } from '../../devices/signals/registry.js';
import { csvColumns } from '../../devices/transport/codec.js';
import { hasSocat } from '../../devices/transport/pty-pair.js';
import type { SerialTransport } from '../../devices/transport/serial.js';
import { systemClock } from '../../edge/clock/clock.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

let gateway: TestGateway | undefined;
let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  await gateway?.[Symbol.asyncDispose]();
  gateway = fleet = undefined;
});

describe.skipIf(!hasSocat())('gateway ← simulated serial devices over ptys (skips without socat)', () => {
  it('ndjson, csv and kv lines become summaries per device, and malformed lines dead letters', async () => {
    const DURATION = 2500;
    const scenario = validateScenario({
      speedup: 1,
      durationMs: DURATION,
      seed: 11,
      groups: [
        { kind: 'motor', count: 2, idPrefix: 'nd-motor-', ratePerSec: 20, transport: 'serial', serial: { framing: 'ndjson' } },
        { kind: 'pump', count: 2, idPrefix: 'csv-pump-', ratePerSec: 20, transport: 'serial', serial: { framing: 'csv' } },
        { kind: 'environment', count: 2, idPrefix: 'kv-env-', name: 'kv', ratePerSec: 20, transport: 'serial', serial: { framing: 'kv' } },
      ],
      failures: [{ device: 'kv-env-001', mode: 'malformed-payloads', startMs: 500, durationMs: 1000 }],
    });
    const built = scenarioFleet(scenario, { clock: systemClock });
    const plan = built.plan;
    fleet = built.fleet;
    await fleet.open();
    const [ndjson, csv, kv] = built.transports as SerialTransport[];
    const line = { baudRate: 115200, reconnectInitialMs: 50, reconnectMaxMs: 500 };
    gateway = await startGateway({
      windows: { definitions: [{ kind: 'tumbling', sizeMs: 500 }], maxOutOfOrdernessMs: 0, allowedLatenessMs: 0, idleTimeoutMs: 1000 },
      serial: [
        { ...line, path: ndjson!.gatewayPath, framing: 'ndjson' },
        { ...line, path: csv!.gatewayPath, framing: 'csv', columns: csvColumns(metricNames('pump')) },
        { ...line, path: kv!.gatewayPath, framing: 'kv' },
      ],
    });
    const gw = gateway;
    await waitFor(() => gw.gateway.health().ok, 'every serial port connected');
    const summary = await fleet.run();

    const expected = plan.devices.map((d) => ({ id: d.id, readings: summary.devices[d.id]!.good + summary.devices[d.id]!.duplicate, deadLetters: summary.devices[d.id]!.malformed }));
    const total = expected.reduce((n, e) => n + e.readings + e.deadLetters, 0);
    await waitFor(
      () => gw.metric('tributary_readings_decoded_total') + countDeadLetters(gw) >= total,
      `all ${total} lines at the gateway`,
    );
    expect(summary.totals.malformed).toBeGreaterThan(0);
    // Every device's readings and refusals are accounted for...
    for (const e of expected) {
      const g = gw.gateway.devices.get(e.id);
      expect({ id: e.id, readings: g?.readings ?? 0 }).toEqual({ id: e.id, readings: e.readings });
    }
    // ...malformed lines (some of which lose their device id) are all dead letters.
    expect(countDeadLetters(gw)).toBe(summary.totals.malformed);
    // ...and each device's metrics came out of closed windows, in the units its framing carried.
    await waitFor(() => plan.devices.every((d) => gw.summaries.some((s) => s.device === d.id)), 'a summary for every device (idle timeout closes the last windows)');
    const metricsOf = (prefix: string) => new Set(gw.summaries.filter((s) => s.device.startsWith(prefix)).map((s) => s.metric));
    expect([...metricsOf('nd-motor-')].sort()).toEqual([...metricNames('motor')].sort());
    expect([...metricsOf('csv-pump-')].sort()).toEqual([...metricNames('pump')].sort());
    expect([...metricsOf('kv-env-')].sort()).toEqual([...metricNames('environment')].sort());
  });
});

function countDeadLetters(gw: TestGateway): number {
  return gw.gateway.metrics
    .render()
    .split('\n')
    .filter((l) => l.startsWith('tributary_dead_letters_total{'))
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}
