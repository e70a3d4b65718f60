// The fleet run loop on a fake clock with an in-memory transport: pacing in simulated time,
// consistent timestamps, backpressure without loss, stop and flush, confirmation and counting.

import { afterEach, describe, expect, it } from 'vitest';
import { Fleet, type FleetProgress } from '../../devices/fleet.js';
import type { DeviceMessage } from '../../devices/message.js';
import { validateScenario } from '../../devices/scenario/load.js';
import { planFleet } from '../../devices/scenario/plan.js';
import { SimulatedDevice } from '../../devices/simulated-device.js';
import type { Delivered, Endpoint, Transport, TransportHealth } from '../../devices/transport/contract.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Status } from '../../edge/lifecycle/resource.js';

/** A transport that keeps what it is sent; confirms at once unless told to hold confirmations. */
class MemoryTransport implements Transport {
  readonly name = 'memory';
  status: Status = 'new';
  readonly sent: DeviceMessage[] = [];
  readonly held: Delivered[] = [];
  writable = true;
  holdConfirmations = false;

  endpoint(): Endpoint {
    const self = this;
    return {
      get writable() {
        return self.writable;
      },
      send(m, delivered) {
        self.sent.push(m);
        if (self.holdConfirmations) self.held.push(delivered);
        else delivered();
      },
    };
  }

  health(): TransportHealth {
    return { devices: 0, connected: 0, errors: 0 };
  }

  describe(): string[] {
    return [];
  }

  async open(): Promise<void> {
    this.status = 'open';
  }

  async close(): Promise<void> {
    this.status = 'closed';
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

const START = Date.UTC(2024, 10, 24);
let fleets: Fleet[] = [];
afterEach(async () => {
  await Promise.all(fleets.map((f) => f.close()));
  fleets = [];
});

function setup(options: { speedup: number; durationMs?: number; failures?: unknown[]; count?: number; onProgress?: (p: FleetProgress) => void }) {
  const clock = new FakeClock(START + 3_600_000);
  const scenario = validateScenario({
    startTime: '2024-11-24T00:00:00Z',
    groups: [{ kind: 'motor', count: options.count ?? 2, idPrefix: 'm-', ratePerSec: 10 }],
    failures: options.failures ?? [],
  });
  const plan = planFleet(scenario, clock.now());
  const transport = new MemoryTransport();
  const devices = plan.devices.map((d) => ({ stream: new SimulatedDevice(d, plan.startTime, options.durationMs), transport }));
  const fleet = new Fleet(devices, {
    clock,
    speedup: options.speedup,
    startTime: plan.startTime,
    ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  fleets.push(fleet);
  return { clock, fleet, transport, plan };
}

/** Let promise callbacks run (the fleet's end is async). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Fleet', () => {
  it('advances simulated time at speedup × real time and stamps readings in simulated time', async () => {
    const { clock, fleet, transport } = setup({ speedup: 60, durationMs: 60_000 });
    await fleet.open();
    const done = fleet.run();
    clock.advance(500); // 30 simulated seconds
    const byDevice = (d: string) => transport.sent.filter((m) => m.device === d);
    for (const d of ['m-001', 'm-002']) {
      expect(byDevice(d).length).toBeGreaterThanOrEqual(299);
      expect(byDevice(d).length).toBeLessThanOrEqual(301);
    }
    for (const m of transport.sent) expect(m.ts).toBeLessThanOrEqual(START + 30_000);
    clock.advance(600);
    const summary = await done;
    expect(summary).toMatchObject({ startTime: START, simulatedMs: 60_000, speedup: 60, stopped: false, unconfirmed: 0 });
    for (const d of ['m-001', 'm-002']) {
      const ts = byDevice(d).map((m) => m.ts);
      expect(ts).toHaveLength(600); // 10/s × 60 s
      // Evenly spaced 100 ms apart from the device's own phase, inside [START, START + 60 s).
      ts.forEach((t, i) => expect(t - ts[0]!).toBeGreaterThanOrEqual(i * 100 - 1));
      ts.forEach((t, i) => expect(t - ts[0]!).toBeLessThanOrEqual(i * 100 + 1));
      expect(ts[0]!).toBeGreaterThanOrEqual(START);
      expect(ts[0]!).toBeLessThan(START + 100);
      expect(summary.devices[d]).toEqual({ good: 600, malformed: 0, duplicate: 0, dropout: 0, errors: 0 });
    }
    expect(summary.totals.good).toBe(1200);
  });

  it('generates nothing for a device that is not writable, then catches up without losing a reading', async () => {
    const { clock, fleet, transport } = setup({ speedup: 10, durationMs: 20_000, count: 1 });
    await fleet.open();
    const done = fleet.run();
    clock.advance(500); // 5 s simulated
    const before = transport.sent.length;
    transport.writable = false;
    clock.advance(1000); // 10 more simulated seconds, blocked
    expect(transport.sent.length).toBe(before);
    expect(fleet.progress().lagMs).toBeGreaterThan(9800);
    transport.writable = true;
    clock.advance(600);
    const summary = await done;
    const ts = transport.sent.map((m) => m.ts);
    expect(ts).toHaveLength(200);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(summary.devices['m-001']!.good).toBe(200);
  });

  it('reports progress every real second: rate, devices and simulated time', async () => {
    const progress: FleetProgress[] = [];
    const { clock, fleet } = setup({ speedup: 1, onProgress: (p) => progress.push(p) });
    await fleet.open();
    const done = fleet.run();
    clock.advance(3000);
    expect(progress).toHaveLength(3);
    expect(progress[2]).toMatchObject({ realMs: 3000, simulatedMs: 3000, devices: 2, errors: 0, lagMs: 0 });
    expect(progress[2]!.ratePerSec).toBeCloseTo(20, 0);
    fleet.stop();
    clock.advance(10);
    expect((await done).stopped).toBe(true);
  });

  it('stop() ends at the current simulated time and flushes what failures hold', async () => {
    const { clock, fleet, transport } = setup({
      speedup: 1,
      count: 1,
      failures: [{ device: 'm-001', mode: 'out-of-order-burst', startMs: 0, durationMs: 3_600_000, severity: 2 }], // bursts of 10
    });
    await fleet.open();
    const done = fleet.run();
    clock.advance(1250); // 12 or 13 readings made: one burst sent, the rest held
    expect(transport.sent.length).toBe(10);
    fleet.stop();
    clock.advance(10);
    const summary = await done;
    expect(summary.stopped).toBe(true);
    expect(summary.simulatedMs).toBe(1250);
    expect(transport.sent.length).toBeGreaterThanOrEqual(12);
    expect(summary.totals.good).toBe(transport.sent.length);
  });

  it('stop() before run() makes the run end at once, having sent nothing', async () => {
    const { clock, fleet, transport } = setup({ speedup: 1 });
    await fleet.open();
    fleet.stop();
    const run = fleet.run();
    clock.advance(0); // the first round
    const summary = await run;
    expect(summary).toMatchObject({ stopped: true, simulatedMs: 0, totals: { good: 0 } });
    expect(transport.sent).toEqual([]);
  });

  it('waits for confirmations at the end, and reports what never came as unconfirmed', async () => {
    const { clock, fleet, transport } = setup({ speedup: 1, durationMs: 1000, count: 1 });
    transport.holdConfirmations = true;
    await fleet.open();
    const done = fleet.run();
    clock.advance(1010);
    await settle();
    expect(transport.held).toHaveLength(10);
    transport.held.splice(0, 6).forEach((delivered, i) => delivered(i === 0 ? new Error('connection lost') : undefined));
    for (let i = 0; i < 2100 && fleet.counts.pending > 0; i++) {
      clock.advance(5);
      await settle();
    }
    const summary = await done;
    expect(summary.devices['m-001']).toMatchObject({ good: 5, errors: 1 });
    expect(summary.unconfirmed).toBe(4);
  });

  it('counts dropout, duplicates and malformed messages per device', async () => {
    const { clock, fleet } = setup({
      speedup: 1,
      durationMs: 2000,
      count: 3,
      failures: [
        { device: 'm-001', mode: 'dropout', startMs: 0, durationMs: 1000 },
        { device: 'm-002', mode: 'duplicates', startMs: 0, durationMs: 2000, severity: 4 },
        { device: 'm-003', mode: 'malformed-payloads', startMs: 0, durationMs: 2000, severity: 4 },
      ],
    });
    await fleet.open();
    const done = fleet.run();
    clock.advance(2010);
    const s = await done;
    expect(s.devices['m-001']).toEqual({ good: 10, malformed: 0, duplicate: 0, dropout: 10, errors: 0 });
    expect(s.devices['m-002']).toEqual({ good: 20, malformed: 0, duplicate: 20, dropout: 0, errors: 0 });
    expect(s.devices['m-003']).toEqual({ good: 0, malformed: 20, duplicate: 0, dropout: 0, errors: 0 });
  });
});
