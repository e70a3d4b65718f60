// The simulator on serial lines and Modbus RTU through socat pty pairs, read by the gateway's own
// sources on the other end: every line decodes (or is refused, when malformed) and the counts
// match; Modbus units serve each device's latest reading as registers the gateway polls.

import { afterEach, describe, expect, it } from 'vitest';
import { scenarioFleet } from '../../devices/scenario-fleet.js';
import { validateScenario } from '../../devices/scenario/load.js';
import { SimulatedDevice } from '../../devices/simulated-device.js';
import { ModbusTransport, registerMap } from '../../devices/transport/modbus.js';
import { hasSocat } from '../../devices/transport/pty-pair.js';
import { SerialTransport } from '../../devices/transport/serial.js';
import { systemClock } from '../../edge/clock/clock.js';
import type { ModbusPortConfig, SerialPortConfig } from '../../edge/config/schema.js';
import { Decoder } from '../../edge/decode/decode.js';
import { ModbusSource } from '../../edge/source/modbus/source.js';
import { SerialLineSource } from '../../edge/source/serial/source.js';
import { recordingContext, Teardown } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const line = { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, reconnectInitialMs: 50, reconnectMaxMs: 200 } as const;
const decoder = new Decoder({ topicPrefix: 'sensors', maxPayloadBytes: 4096, maxClockSkewMs: 60_000, maxMetricsPerReading: 64 });

describe.skipIf(!hasSocat())('simulator on serial and Modbus lines (skips without socat)', () => {
  it('csv and kv groups: the gateway decodes every line it is sent, and refuses the malformed ones', async () => {
    const scenario = validateScenario({
      speedup: 1,
      durationMs: 1500,
      groups: [
        { kind: 'pump', count: 3, idPrefix: 'lab-pump-', name: 'pumps', ratePerSec: 10, transport: 'serial', serial: { framing: 'csv' } },
        { kind: 'environment', count: 2, idPrefix: 'air-', ratePerSec: 10, transport: 'serial', serial: { framing: 'kv' } },
      ],
      failures: [{ device: 'air', mode: 'malformed-payloads', startMs: 0, durationMs: 1500, severity: 1 }],
    });
    const built = scenarioFleet(scenario, { clock: systemClock });
    const plan = built.plan;
    const fleet = teardown.add(built.fleet);
    await fleet.open();
    const [pumps, air] = built.transports as SerialTransport[];
    expect(fleet.describe().join('\n')).toContain(`path: ${pumps!.gatewayPath}, framing: csv, columns: [ts, device, pressure, flow]`);
    const rec = recordingContext(systemClock);
    const configs: SerialPortConfig[] = [
      { ...line, path: pumps!.gatewayPath!, framing: 'csv', columns: ['ts', 'device', 'pressure', 'flow'], deviceField: 'device', delimiter: ',', maxLineBytes: 1024 },
      { ...line, path: air!.gatewayPath!, framing: 'kv', deviceField: 'device', delimiter: ',', maxLineBytes: 1024 },
    ];
    for (const c of configs) await teardown.add(new SerialLineSource(c, rec.ctx)).open();
    const summary = await fleet.run();
    const sent = summary.totals.good + summary.totals.malformed;
    expect(summary.totals.good).toBeGreaterThan(60);
    expect(summary.totals.malformed).toBeGreaterThan(0);
    await waitFor(() => rec.messages.length + rec.rejected.length >= sent, `${sent} lines, have ${rec.messages.length}`);
    const readings = new Map<string, number>();
    let refused = 0;
    for (const m of rec.messages) {
      const r = decoder.decode(m);
      if (r.ok) readings.set(r.reading.device, (readings.get(r.reading.device) ?? 0) + 1);
      else refused++;
    }
    expect(refused + rec.rejected.length).toBe(summary.totals.malformed);
    for (const d of plan.devices) expect(readings.get(d.id) ?? 0, d.id).toBe(summary.devices[d.id]!.good);
  });

  it('modbus group: each device is a unit serving its latest reading as float32 input registers', async () => {
    const scenario = validateScenario({
      speedup: 1,
      durationMs: 1000,
      seed: 5,
      groups: [{ kind: 'pump', count: 3, idPrefix: 'mb-pump-', ratePerSec: 10, transport: 'modbus' }],
      failures: [{ device: 'mb-pump-002', mode: 'stuck-sensor', startMs: 0, durationMs: 1000 }],
    });
    const built = scenarioFleet(scenario, { clock: systemClock });
    const plan = built.plan;
    const fleet = teardown.add(built.fleet);
    await fleet.open();
    const transport = built.transports[0] as ModbusTransport;
    const registers = registerMap(['pressure', 'flow']).map((r) => ({ ...r, wordOrder: 'big' as const, byteOrder: 'big' as const, scale: 1, offset: 0 }));
    const config: ModbusPortConfig = {
      ...line,
      path: transport.gatewayPath!,
      pollIntervalMs: 100,
      timeoutMs: 200,
      retries: 0,
      units: plan.devices.map((d, i) => ({ device: d.id, unitId: i + 1, registers })),
    };
    const summary = await fleet.run();
    expect(summary.totals.good).toBe(30);
    // The gateway polls after the run: each unit must answer with its device's last reading.
    const rec = recordingContext(systemClock);
    await teardown.add(new ModbusSource(config, rec.ctx, { interFrameMs: 0 })).open();
    await waitFor(() => new Set(rec.messages.map((m) => m.device)).size === 3, 'a reading from each unit');
    for (const spec of plan.devices) {
      const twin = new SimulatedDevice(spec, plan.startTime, 1000);
      let last = twin.take();
      while (twin.nextAt !== Infinity) last = twin.take();
      const polled = JSON.parse(rec.messages.find((m) => m.device === spec.id)!.payload.toString()) as Record<string, number>;
      expect(polled.pressure, spec.id).toBeCloseTo(last[0]!.values.pressure!, 4);
      expect(polled.flow, spec.id).toBeCloseTo(last[0]!.values.flow!, 3);
    }
    expect(transport.requests).toBeGreaterThanOrEqual(3);
  });
});
