// The simulator against a real aedes broker on port 0, over real MQTT: a subscriber receives
// exactly what the simulator counts as sent, per device and kind; malformed payloads arrive as
// bytes the gateway's decoder refuses; credentials, QoS 1 and the CLI's output files work.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { devicesCommand } from '../../devices/cli.js';
import { scenarioFleet } from '../../devices/scenario-fleet.js';
import { validateScenario } from '../../devices/scenario/load.js';
import { systemClock } from '../../edge/clock/clock.js';
import { Decoder } from '../../edge/decode/decode.js';
import { startGateway } from '../helpers/gateway.js';
import { connectClient, startPlainBroker, Teardown } from '../helpers/mqtt.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

interface Received {
  readonly device: string;
  readonly payload: Buffer;
  readonly at: number;
}

/** A broker on port 0 with one subscriber to sensors/+ that records every message. */
async function brokerWithSubscriber(options: Parameters<typeof startPlainBroker>[1] = {}) {
  const broker = teardown.add(await startPlainBroker(0, options));
  const url = `mqtt://127.0.0.1:${broker.port}`;
  const received: Received[] = [];
  const sub = await connectClient(url, { clientId: 'test-subscriber', username: 'test-subscriber', password: 'sub' }, teardown);
  sub.on('message', (topic, payload) => received.push({ device: topic.slice('sensors/'.length), payload, at: Date.now() }));
  await sub.subscribeAsync('sensors/+', { qos: 1 });
  return { url, received, aedes: broker.aedes };
}

const decoder = new Decoder({ topicPrefix: 'sensors', maxPayloadBytes: 4096, maxClockSkewMs: 60_000, maxMetricsPerReading: 64 });

describe('simulator over MQTT', () => {
  it('20 devices × 10 readings/s × 2 s: the subscriber receives exactly what the simulator counts, per device', async () => {
    const { url, received } = await brokerWithSubscriber();
    const scenario = validateScenario({
      gateway: { url },
      speedup: 1,
      durationMs: 2000,
      seed: 11,
      groups: [
        { kind: 'motor', count: 10, idPrefix: 'motor-', ratePerSec: 10 },
        { kind: 'pump', count: 6, idPrefix: 'pump-', ratePerSec: 10 },
        { kind: 'environment', count: 4, idPrefix: 'env-', ratePerSec: 10 },
      ],
      failures: [
        { device: 'motor-001', mode: 'malformed-payloads', startMs: 0, durationMs: 2000, severity: 2 },
        { device: 'motor-002', mode: 'duplicates', startMs: 500, durationMs: 1000, severity: 2 },
        { device: 'motor-003', mode: 'dropout', startMs: 500, durationMs: 1000 },
        { device: 'motor-004', mode: 'out-of-order-burst', startMs: 0, durationMs: 1500 },
      ],
    });
    const built = scenarioFleet(scenario, { clock: systemClock });
    const plan = built.plan;
    const fleet = teardown.add(built.fleet);
    await fleet.open();
    const startedAt = Date.now();
    const summary = await fleet.run();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1900); // real time: speedup 1
    const t = summary.totals;
    expect(t.good + t.malformed + t.dropout).toBe(20 * 20); // every reading accounted for; duplicates come on top
    expect(t.errors).toBe(0);
    expect(summary.unconfirmed).toBe(0);
    expect(summary.devices['motor-003']!.dropout).toBe(10);
    expect(summary.devices['motor-001']!.malformed).toBeGreaterThan(0);
    expect(summary.devices['motor-002']!.duplicate).toBeGreaterThan(0);

    const sent = t.good + t.malformed + t.duplicate;
    await waitFor(() => received.length >= sent, `${sent} messages at the subscriber, have ${received.length}`);
    const perDevice = new Map<string, number>();
    for (const r of received) perDevice.set(r.device, (perDevice.get(r.device) ?? 0) + 1);
    for (const d of plan.devices) {
      const c = summary.devices[d.id]!;
      expect(perDevice.get(d.id) ?? 0, d.id).toBe(c.good + c.malformed + c.duplicate);
    }
    expect(received).toHaveLength(sent);

    // What the gateway would make of it: every malformed payload refused, every other one a reading
    // stamped in simulated time (here, the wall clock, as speedup is 1).
    let refused = 0;
    for (const r of received) {
      const result = decoder.decode({ source: 'test', topic: `sensors/${r.device}`, payload: r.payload, receivedAt: r.at });
      if (result.ok) {
        expect(result.reading.ts).toBeGreaterThanOrEqual(plan.startTime);
        expect(result.reading.ts).toBeLessThan(plan.startTime + 2000);
      } else refused++;
    }
    expect(refused).toBe(t.malformed);
    // motor-004's out-of-order bursts arrive out of order; motor-005 in order.
    const tsOf = (device: string) => received.filter((r) => r.device === device).map((r) => (JSON.parse(r.payload.toString()) as { ts: number }).ts);
    expect(tsOf('motor-004')).not.toEqual([...tsOf('motor-004')].sort((a, b) => a - b));
    expect(tsOf('motor-005')).toEqual([...tsOf('motor-005')].sort((a, b) => a - b));
  });

  it('the CLI: QoS 1 with per-device passwords, --gateway, --counts and --ground-truth', async () => {
    const logins: Array<[string, string | undefined, string | undefined]> = [];
    const { url, received } = await brokerWithSubscriber({
      authenticate: (client, username, password, done) => {
        logins.push([client.id, username, password?.toString()]);
        done(null, username === 'test-subscriber' || password?.toString() === `${username}-secret`);
      },
    });
    using dir = tempDir('tributary-sim-cli-');
    const scenarioPath = join(dir.path, 'scenario.yaml');
    writeFileSync(
      scenarioPath,
      [
        'gateway: { url: mqtt://127.0.0.1:1, qos: 1, password: "{device}-secret" }',
        'speedup: 10',
        'durationMs: 5000',
        'startTime: 2024-11-24T00:00:00Z',
        'groups:',
        '  - { kind: pump, count: 3, idPrefix: p-, ratePerSec: 4 }',
        'failures:',
        '  - { device: p-002, mode: clock-skew, startMs: 1000, durationMs: 2000, skewMs: 5000 }',
      ].join('\n'),
    );
    const counts = join(dir.path, 'counts.json');
    const truth = join(dir.path, 'truth.csv');
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdin: process.stdin, stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } as never;
    const code = await devicesCommand.run(['--scenario', scenarioPath, '--gateway', url, '--counts', counts, '--ground-truth', truth], io);
    expect(code).toBe(0);
    expect(out.join('')).toContain('3 devices · good 60 · malformed 0 · duplicate 0 · dropout 0 · errors 0 · unconfirmed 0');
    expect(err.join('')).toContain(`mqtt: 3 devices publishing to ${url}`);
    expect(logins.filter(([id]) => id !== 'test-subscriber')).toEqual(expect.arrayContaining([['p-001', 'p-001', 'p-001-secret'], ['p-003', 'p-003', 'p-003-secret']]));
    const doc = JSON.parse(readFileSync(counts, 'utf8')) as { startTime: string; simulatedMs: number; totals: { good: number }; devices: Record<string, { good: number }> };
    expect(doc).toMatchObject({ startTime: '2024-11-24T00:00:00.000Z', simulatedMs: 5000, totals: { good: 60 } });
    expect(Object.values(doc.devices).map((c) => c.good)).toEqual([20, 20, 20]);
    expect(readFileSync(truth, 'utf8')).toBe(
      'device,failure,start,end,start_ms,end_ms\np-002,clock-skew,2024-11-24T00:00:01.000Z,2024-11-24T00:00:03.000Z,1732406401000,1732406403000\n',
    );
    // QoS 1: counted once acknowledged, so all of it has reached the broker already.
    await waitFor(() => received.length >= 60, `60 messages, have ${received.length}`);
    const skewed = received.filter((r) => r.device === 'p-002').map((r) => (JSON.parse(r.payload.toString()) as { ts: number }).ts - Date.UTC(2024, 10, 24));
    expect(skewed.filter((ms) => ms >= 6000 && ms < 8000)).toHaveLength(8); // readings at 1-3 s, stamped 5 s later
  });

  it('against the real gateway: its per-device readings and dead letters match the simulator counts', async () => {
    const gw = teardown.add(await startGateway());
    const scenario = validateScenario({
      gateway: { url: `mqtt://127.0.0.1:${gw.mqttPort}` },
      speedup: 1,
      durationMs: 1500,
      groups: [{ kind: 'motor', count: 4, idPrefix: 'gm-', ratePerSec: 20 }, { kind: 'environment', count: 2, idPrefix: 'ge-', ratePerSec: 20 }],
      failures: [
        { device: 'gm-001', mode: 'malformed-payloads', startMs: 0, durationMs: 1500, severity: 2 },
        { device: 'gm-002', mode: 'duplicates', startMs: 0, durationMs: 1500, severity: 2 },
        { device: 'gm-003', mode: 'clock-skew', startMs: 0, durationMs: 1500 },
        { device: 'ge', mode: 'dropout', startMs: 500, durationMs: 500 },
      ],
    });
    const { plan, fleet } = scenarioFleet(scenario, { clock: systemClock });
    teardown.add(fleet);
    await fleet.open();
    const summary = await fleet.run();
    const t = summary.totals;
    const arrived = () => plan.devices.reduce((n, d) => n + (gw.gateway.devices.get(d.id)?.readings ?? 0) + (gw.gateway.devices.get(d.id)?.deadLetters ?? 0), 0);
    await waitFor(() => arrived() === t.good + t.malformed + t.duplicate, 'the gateway to account for every message');
    for (const d of plan.devices) {
      const c = summary.devices[d.id]!;
      expect(gw.gateway.devices.get(d.id), d.id).toMatchObject({ readings: c.good + c.duplicate, deadLetters: c.malformed });
    }
    expect(t.malformed).toBeGreaterThan(0);
    expect(t.duplicate).toBeGreaterThan(0);
    expect(t.dropout).toBe(20);
  });

  it('refuses to start when the broker refuses a device, with a coded error and nothing left open', async () => {
    const { url } = await brokerWithSubscriber({ authenticate: (_c, username, _p, done) => done(null, username === 'test-subscriber') });
    const scenario = validateScenario({ gateway: { url, password: 'wrong' }, groups: [{ kind: 'motor', count: 2, idPrefix: 'm-', ratePerSec: 1 }] });
    const { plan, fleet } = scenarioFleet(scenario, { clock: systemClock });
    teardown.add(fleet);
    await expect(fleet.open()).rejects.toMatchObject({ code: 'ERR_MQTT_CONNECT' });
    expect(fleet.status).toBe('closed');
  });
});

describe('simulator over MQTT: lost connections and replays', () => {
  it('QoS 1: devices whose connections the broker drops reconnect, catch up, and lose nothing', async () => {
    const { url, received, aedes } = await brokerWithSubscriber();
    const clients = new Map<string, Client>();
    aedes.on('client', (client) => clients.set(client.id, client));
    const scenario = validateScenario({
      gateway: { url, qos: 1, reconnectMs: 100 },
      speedup: 1,
      durationMs: 1500,
      groups: [{ kind: 'pump', count: 3, idPrefix: 'rc-', ratePerSec: 20 }],
    });
    const { plan, fleet } = scenarioFleet(scenario, { clock: systemClock });
    teardown.add(fleet);
    await fleet.open();
    const run = fleet.run();
    await waitFor(() => received.length >= 20, 'the first readings');
    // Cut every device's TCP connection under it, as a broker restart or a network blip would.
    for (const id of ['rc-001', 'rc-002', 'rc-003']) clients.get(id)!.conn.destroy();
    await waitFor(() => fleet.progress().errors >= 3, 'the simulator to notice the lost connections');
    const summary = await run;
    expect(summary.totals).toMatchObject({ good: 90, errors: 0 });
    expect(summary.unconfirmed).toBe(0);
    // Each reading arrived (at least once: QoS 1 may resend one the broker already had).
    const distinct = () => new Set(received.map((r) => `${r.device} ${r.payload.toString()}`)).size;
    await waitFor(() => distinct() === 90, 'all 90 readings');
  });

  it('replays a NAB-style CSV as one device, spaced as recorded and shifted to end now', async () => {
    const { url, received } = await brokerWithSubscriber();
    using dir = tempDir('tributary-replay-');
    const csv = join(dir.path, 'machine_temperature.csv');
    writeFileSync(csv, 'timestamp,value\n2013-12-02 21:15:00,73.96\n2013-12-02 21:20:00,74.93\n2013-12-02 21:25:00,74.12\n2013-12-02 21:30:00,74.60');
    const out: string[] = [];
    const io = { stdin: process.stdin, stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true } } as never;
    const before = Date.now();
    const code = await devicesCommand.run(['replay', '--csv', csv, '--speedup', '3000', '--gateway', url, '--align', 'end'], io);
    expect(code).toBe(0);
    expect(out.join('')).toContain('1 devices · good 4');
    await waitFor(() => received.length === 4, '4 readings');
    expect(received.every((r) => r.device === 'machine_temperature')).toBe(true);
    const rows = received.map((r) => JSON.parse(r.payload.toString()) as { ts: number; value: number });
    expect(rows.map((r) => r.value)).toEqual([73.96, 74.93, 74.12, 74.6]);
    expect(rows.map((r) => r.ts - rows[0]!.ts)).toEqual([0, 300_000, 600_000, 900_000]);
    expect(rows[3]!.ts).toBeGreaterThanOrEqual(before - 1000);
    expect(rows[3]!.ts).toBeLessThanOrEqual(Date.now());
  });

  const nab = fileURLToPath(new URL('../../../shared/datasets/nab/realKnownCause/ambient_temperature_system_failure.csv', import.meta.url));
  it.skipIf(!existsSync(nab))(`replays a real NAB recording end to end, keeping its timestamps (skips without ${nab})`, async () => {
    const { url, received } = await brokerWithSubscriber();
    const rows = readFileSync(nab, 'utf8').trim().split('\n').length - 1;
    const out: string[] = [];
    const io = { stdin: process.stdin, stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true } } as never;
    // About a year of hourly data in about a second.
    const code = await devicesCommand.run(['replay', '--csv', nab, '--speedup', '30000000', '--gateway', url, '--keep-timestamps'], io);
    expect(code).toBe(0);
    expect(out.join('')).toContain(`good ${rows.toLocaleString('en-US')}`);
    await waitFor(() => received.length === rows, `${rows} readings, have ${received.length}`);
    const first = JSON.parse(received[0]!.payload.toString()) as { ts: number; value: number };
    expect(first).toEqual({ ts: Date.UTC(2013, 6, 4), value: 69.88083514 });
  });
});
