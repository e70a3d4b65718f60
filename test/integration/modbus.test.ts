// ModbusSource against the simulator's ModbusRtuSlave: real RTU frames through a socat pty pair.
// Polls are driven by a FakeClock (timeouts and reconnect backoff too); the test waits on
// conditions, never on sleeps.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusRtuSlave } from '../../devices/transport/modbus-slave.js';
import { hasSocat, openPtyPair, type PtyPair } from '../../devices/transport/pty-pair.js';
import { systemClock } from '../../edge/clock/clock.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { ModbusPortConfig } from '../../edge/config/schema.js';
import type { RawMessage } from '../../edge/source/contract.js';
import { order, registerType } from '../../edge/source/modbus/registers.js';
import { ModbusSource } from '../../edge/source/modbus/source.js';
import { metric, Teardown } from '../helpers/mqtt.js';
import { recordingContext, type RecordingContext } from '../helpers/source-context.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { register } from '../helpers/modbus.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const M = 'tributary_modbus';

const reg = register;

/** Two units with every type and order between them; a poll sends 4 requests. */
const UNITS: ModbusPortConfig['units'] = [
  {
    device: 'pump-1',
    unitId: 1,
    registers: [
      reg({ metric: 'temp', address: 0, type: 'int16', scale: 0.1 }),
      reg({ metric: 'rpm', address: 1 }),
      reg({ metric: 'energy', address: 2, type: 'int32' }),
      reg({ metric: 'count', address: 4, type: 'uint32', wordOrder: 'little' }),
      reg({ metric: 'flow', address: 6, type: 'float32', byteOrder: 'little' }),
      reg({ metric: 'pressure', function: 4, address: 0, type: 'float32', wordOrder: 'little', byteOrder: 'little', scale: 2, offset: 1 }),
    ],
  },
  {
    device: 'meter-2',
    unitId: 2,
    registers: [
      reg({ metric: 'voltage', function: 4, address: 100, scale: 0.1 }),
      reg({ metric: 'power', address: 200, type: 'int32', wordOrder: 'little', byteOrder: 'little', scale: 0.001, offset: -5 }),
    ],
  },
];

type Values = Record<string, number>;
const VALUES_A: Values = { temp: -12.3, rpm: 1450, energy: -100000, count: 3_000_000_000, flow: 12.5, pressure: 5.5, voltage: 230.4, power: 1.234 };
const VALUES_B: Values = { temp: 40.1, rpm: 0, energy: 7, count: 1, flow: -0.25, pressure: -3, voltage: 229.9, power: -4.5 };

/** Load `values` into the slave, encoded as each register's config says. */
function load(slave: ModbusRtuSlave, values: Values, units = UNITS): void {
  for (const unit of units) {
    for (const r of unit.registers) {
      const v = values[r.metric];
      if (v === undefined) continue;
      slave.bank.setValue(unit.unitId, r.function, r.address, v, { type: registerType(r.type), wordOrder: order(r.wordOrder), byteOrder: order(r.byteOrder) }, r);
    }
  }
}

function portConfig(path: string, overrides: Partial<ModbusPortConfig> = {}): ModbusPortConfig {
  return {
    path,
    baudRate: 115200,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
    reconnectInitialMs: 50,
    reconnectMaxMs: 200,
    pollIntervalMs: 1000,
    timeoutMs: 300,
    retries: 1,
    units: UNITS,
    ...overrides,
  };
}

async function startSlave(pty: PtyPair, values: Values = VALUES_A): Promise<ModbusRtuSlave> {
  const slave = teardown.add(new ModbusRtuSlave({ path: pty.devicePath, unitIds: [1, 2] }));
  await slave.open();
  load(slave, values);
  return slave;
}

interface Rig extends RecordingContext {
  readonly pty: PtyPair;
  readonly slave: ModbusRtuSlave;
  readonly source: ModbusSource;
  readonly clock: FakeClock;
  readonly path: string;
}

/** A pty pair, a slave on its device end, and an open source on its gateway end (first poll done). */
async function rig(overrides: Partial<ModbusPortConfig> = {}, ptyOptions: { dir?: string; name?: string } = {}, firstMessages = 2): Promise<Rig> {
  const pty = teardown.add(await openPtyPair(ptyOptions));
  const slave = await startSlave(pty);
  const clock = new FakeClock();
  const rec = recordingContext(clock);
  const source = teardown.add(new ModbusSource(portConfig(pty.gatewayPath, overrides), rec.ctx, { interFrameMs: 0 }));
  await source.open();
  // The first poll starts as soon as the port opens.
  await waitFor(() => rec.messages.length === firstMessages, 'the first poll');
  return { ...rec, pty, slave, source, clock, path: pty.gatewayPath };
}

const body = (m: RawMessage): Values => JSON.parse(m.payload.toString()) as Values;
const byDevice = (messages: readonly RawMessage[], device: string) => messages.filter((m) => m.device === device).map(body);

function expectValues(actual: Values | undefined, expected: Values, ts: number): void {
  expect(actual).toBeDefined();
  expect(Object.keys(actual!).sort()).toEqual(['ts', ...Object.keys(expected)].sort());
  expect(actual!.ts).toBe(ts);
  for (const [k, v] of Object.entries(expected)) expect(actual![k], k).toBeCloseTo(v, 4);
}

const pick = (values: Values, keys: readonly string[]): Values => Object.fromEntries(keys.map((k) => [k, values[k]!]));
const PUMP = ['temp', 'rpm', 'energy', 'count', 'flow', 'pressure'];
const METER = ['voltage', 'power'];

describe.skipIf(!hasSocat())('ModbusSource with a ModbusRtuSlave over a pty pair (skips without socat)', () => {
  it('polls two units every interval, decoding every type and order into scaled readings', async () => {
    const { messages, slave, clock, registry, path, source } = await rig();
    const t0 = clock.now();
    expect(messages.map((m) => [m.source, m.topic, m.device, m.receivedAt])).toEqual([
      [`modbus:${path}`, path, 'pump-1', t0],
      [`modbus:${path}`, path, 'meter-2', t0],
    ]);
    expectValues(byDevice(messages, 'pump-1')[0], pick(VALUES_A, PUMP), t0);
    expectValues(byDevice(messages, 'meter-2')[0], pick(VALUES_A, METER), t0);
    // One request per unit and function code: the registers are contiguous.
    expect(metric(registry, `${M}_requests_total`, path)).toBe(4);
    expect(slave.requests).toBe(4);
    expect(metric(registry, `${M}_connected`, path)).toBe(1);

    load(slave, VALUES_B);
    clock.advance(999);
    expect(metric(registry, `${M}_polls_total`, path)).toBe(1);
    clock.advance(1);
    await waitFor(() => messages.length === 4, 'the second poll');
    expectValues(byDevice(messages, 'pump-1')[1], pick(VALUES_B, PUMP), t0 + 1000);
    expectValues(byDevice(messages, 'meter-2')[1], pick(VALUES_B, METER), t0 + 1000);
    expect(metric(registry, `${M}_polls_total`, path)).toBe(2);
    expect(metric(registry, `${M}_requests_total`, path)).toBe(8);
    expect(source.health()).toMatchObject({ ok: true, connected: true, units: [{ device: 'pump-1', ok: true, lastError: null }, { device: 'meter-2', ok: true }] });
  });

  it('counts a CRC-corrupted response and retries it; noise on the line does not stop a poll', async () => {
    const { messages, slave, clock, registry, path } = await rig();
    slave.corruptNextResponses(1);
    clock.advance(1000);
    await waitFor(() => messages.length === 4, 'the second poll');
    expect(metric(registry, `${M}_errors_total`, path, '1', 'crc')).toBe(1);
    expect(metric(registry, `${M}_requests_total`, path)).toBe(4 + 5);
    expectValues(byDevice(messages, 'pump-1')[1], pick(VALUES_A, PUMP), clock.now());

    // Noise between polls, and before responses (some of it shaped like a frame header).
    await slave.writeNoise(Buffer.from([0x01, 0x03, 0x10, 0xff, 0x00, 0x55]));
    slave.noiseBeforeNextResponses(Buffer.from([0x00, 0xff]), Buffer.from([0x02, 0x04, 0x02, 0x00]), Buffer.from([0x01, 0x83]));
    clock.advance(1000);
    await waitFor(() => messages.length === 6, 'the third poll');
    expect(byDevice(messages, 'meter-2')).toHaveLength(3);
    expect(metric(registry, `${M}_errors_total`, path, '1', 'crc')).toBe(1);
    expect(metric(registry, `${M}_requests_total`, path)).toBe(9 + 4);
  });

  it('counts a dropped response as a timeout, skips that unit only, and never overlaps polls', async () => {
    const { messages, slave, clock, registry, path, source } = await rig({ retries: 0, pollIntervalMs: 100, timeoutMs: 300 });
    const timeouts = () => metric(registry, `${M}_errors_total`, path, '1', 'timeout');
    slave.dropNextResponses(2, 1);
    clock.advance(100);
    await waitFor(() => slave.requests === 5, 'the dropped request');
    // Almost three intervals pass while the request waits: no other poll starts meanwhile.
    clock.advance(299);
    expect(metric(registry, `${M}_polls_total`, path)).toBe(2);
    expect(timeouts()).toBe(0);
    // Unit 1 times out; unit 2 is read; that poll overran, so the next starts as soon as it ends,
    // and its first request (unit 1's) is dropped again.
    clock.advance(1);
    await waitFor(() => slave.requests === 8, 'unit 2, then the next poll');
    expect(messages.map((m) => m.device)).toEqual(['pump-1', 'meter-2', 'meter-2']);
    expect(timeouts()).toBe(1);
    expect(metric(registry, `${M}_polls_total`, path)).toBe(3);
    expect(source.health()).toMatchObject({ ok: true, units: [{ ok: false, lastError: { code: 'ERR_MODBUS_TIMEOUT' } }, { ok: true, lastError: null }] });

    clock.advance(300);
    await waitFor(() => messages.length === 6, 'unit 1 to answer again');
    expect(timeouts()).toBe(2);
    expect(metric(registry, `${M}_polls_total`, path)).toBe(4);
    expect(byDevice(messages, 'pump-1')).toHaveLength(2);
    expect(source.health()).toMatchObject({ ok: true, units: [{ ok: true, lastError: null }, { ok: true }] });
  });

  it('a timeout is retried within the poll when retries allow', async () => {
    const { messages, slave, clock, registry, path } = await rig({ retries: 1 });
    slave.dropNextResponses(1);
    clock.advance(1000);
    await waitFor(() => slave.requests === 5, 'the dropped request');
    clock.advance(300);
    await waitFor(() => messages.length === 4, 'the second poll');
    expect(metric(registry, `${M}_errors_total`, path, '1', 'timeout')).toBe(1);
    expect(metric(registry, `${M}_requests_total`, path)).toBe(4 + 5);
  });

  it('counts an exception for an unmapped register, without retrying, and keeps polling the other unit', async () => {
    const units: ModbusPortConfig['units'] = [UNITS[0]!, { ...UNITS[1]!, registers: [...UNITS[1]!.registers, reg({ metric: 'unmapped', address: 300 })] }];
    const { messages, clock, registry, path, source, slave } = await rig({ units, retries: 3 }, {}, 1);
    // Unit 2: fn 3 at 200 answers, fn 3 at 300 answers exception 02, so its fn 4 read is not sent.
    await waitFor(() => metric(registry, `${M}_errors_total`, path, '2', 'exception') === 1, 'the exception');
    expect(slave.requests).toBe(4);
    expect(messages.map((m) => m.device)).toEqual(['pump-1']);
    expect(metric(registry, `${M}_errors_total`, path, '2', 'exception')).toBe(1);
    expect(metric(registry, `${M}_requests_total`, path)).toBe(4);
    expect(source.health()).toMatchObject({
      ok: true,
      units: [{ ok: true }, { ok: false, lastError: { code: 'ERR_MODBUS_EXCEPTION', message: expect.stringContaining('illegal data address') } }],
    });
    clock.advance(1000);
    await waitFor(() => metric(registry, `${M}_errors_total`, path, '2', 'exception') === 2, 'the second exception');
    expect(messages.map((m) => m.device)).toEqual(['pump-1', 'pump-1']);
    expect(metric(registry, `${M}_requests_total`, path)).toBe(8);
  });

  it('pause() stops polling and resume() restarts it', async () => {
    const { messages, clock, registry, path, source } = await rig();
    source.pause();
    clock.advance(5000);
    expect(metric(registry, `${M}_polls_total`, path)).toBe(1);
    expect(source.health()).toMatchObject({ paused: true });
    source.resume();
    // Overdue: the poll starts at once.
    expect(metric(registry, `${M}_polls_total`, path)).toBe(2);
    await waitFor(() => messages.length === 4, 'the poll after resume');
    expect(byDevice(messages, 'pump-1')[1]!.ts).toBe(clock.now());
  });

  it('opens without the port, then finds it; after the pty pair is unplugged and re-created, polling resumes', async () => {
    const dir = tempDir('tributary-modbus-');
    teardown.defer(() => dir[Symbol.dispose]());
    const lines: Array<{ code?: string; msg: string }> = [];
    const log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, next) => (lines.push(JSON.parse(String(chunk)) as { msg: string }), next()) }));
    const clock = new FakeClock();
    const rec = recordingContext(clock, log);
    const path = `${dir.path}/rtu-gateway`;
    const source = teardown.add(new ModbusSource(portConfig(path), rec.ctx, { interFrameMs: 0 }));
    await source.open();
    expect(source.status).toBe('open');
    expect(source.connected).toBe(false);
    expect(source.health()).toMatchObject({ ok: false, connected: false, portError: { code: 'ERR_SERIAL_OPEN' } });
    expect(lines.some((l) => l.code === 'ERR_SERIAL_OPEN')).toBe(true);
    expect(metric(rec.registry, `${M}_connected`, path)).toBe(0);

    // Plugged in: the next backoff attempt opens it and polls.
    const reopen = async (values: Values) => {
      const pty = teardown.add(await openPtyPair({ dir: dir.path, name: 'rtu' }));
      expect(pty.gatewayPath).toBe(path);
      const slave = await startSlave(pty, values);
      await waitFor(() => (clock.advance(200), source.connected), 'the port to reopen');
      return { pty, slave };
    };
    const first = await reopen(VALUES_A);
    await waitFor(() => rec.messages.length >= 2, 'the first poll');
    expect(metric(rec.registry, `${M}_connected`, path)).toBe(1);
    expect(source.health()).toMatchObject({ ok: true, connected: true });

    // Unplugged mid-stream.
    await first.pty.close();
    await waitFor(() => !source.connected, 'the port loss to be seen');
    await first.slave.close();
    expect(metric(rec.registry, `${M}_connected`, path)).toBe(0);
    expect(source.health()).toMatchObject({ ok: false, portError: { code: 'ERR_MODBUS_IO' } });
    clock.advance(1000); // no port: no poll
    expect(metric(rec.registry, `${M}_polls_total`, path)).toBe(1);

    await reopen(VALUES_B);
    await waitFor(() => (clock.advance(100), byDevice(rec.messages, 'pump-1').length >= 2), 'polling to resume');
    const after = byDevice(rec.messages, 'pump-1')[1]!;
    expectValues(after, pick(VALUES_B, PUMP), after.ts!);
    expect(after.ts).toBeGreaterThan(byDevice(rec.messages, 'pump-1')[0]!.ts!);
    expect(lines.some((l) => l.msg === 'Modbus serial port lost; reopening')).toBe(true);
  });

  it('notices an unplug while bytes are flowing (bindings-cpp alone spins on end-of-file, issue #162)', async () => {
    const dir = tempDir('tributary-modbus-');
    teardown.defer(() => dir[Symbol.dispose]());
    const r = await rig({}, { dir: dir.path, name: 'rtu' });
    let { pty, slave } = r;
    for (let i = 1; i <= 3; i++) {
      let flooding = true;
      let chunks = 0;
      const device = slave;
      const flood = (async () => {
        while (flooding && device.connected) await device.writeNoise(Buffer.alloc(64, 0x55)).then(() => chunks++);
      })();
      await waitFor(() => chunks >= 10, 'bytes to flow');
      await pty.close();
      await waitFor(() => !r.source.connected, `unplug ${i} to be noticed`, 3000);
      flooding = false;
      await flood;
      await device.close();
      // Plugged back in at the same paths.
      pty = teardown.add(await openPtyPair({ dir: dir.path, name: 'rtu' }));
      expect(pty.gatewayPath).toBe(r.path);
      slave = await startSlave(pty);
      await waitFor(() => (r.clock.advance(200), r.source.connected), `re-plug ${i}`);
    }
  });

  it('close() mid-request ends the poll, clears every timer, and is idempotent', async () => {
    const { slave, clock, registry, path, source } = await rig();
    slave.dropNextResponses(1);
    clock.advance(1000);
    await waitFor(() => slave.requests === 5, 'the request that gets no answer');
    await Promise.all([source.close(), source.close()]);
    await source.close();
    expect(source.status).toBe('closed');
    expect(clock.pending).toBe(0);
    expect(metric(registry, `${M}_connected`, path)).toBe(0);
    expect(metric(registry, `${M}_errors_total`, path, '1', 'io')).toBe(0);
  });

  it('polls on the real clock, keeping the 3.5-character silence between frames', async () => {
    const pty = teardown.add(await openPtyPair());
    await startSlave(pty);
    const rec = recordingContext(systemClock);
    // 9600 baud 8N1: t3.5 is about 3.6 ms (Modbus over Serial Line V1.02 §2.5.1.1).
    const source = teardown.add(new ModbusSource(portConfig(pty.gatewayPath, { baudRate: 9600, pollIntervalMs: 20 }), rec.ctx));
    await source.open();
    await waitFor(() => rec.messages.length >= 6, 'three polls');
    expect(rec.messages.slice(0, 6).map((m) => m.device)).toEqual(['pump-1', 'meter-2', 'pump-1', 'meter-2', 'pump-1', 'meter-2']);
    const ts = byDevice(rec.messages, 'pump-1').map((v) => v.ts!);
    expect(ts[1]! - ts[0]!).toBeGreaterThanOrEqual(18); // Node timers may fire a millisecond early by Date.now()
    expect(metric(rec.registry, `${M}_errors_total`, pty.gatewayPath, '1', 'timeout')).toBe(0);
  });

  it('several ports share one registry, each under its own port label', () => {
    const rec = recordingContext(new FakeClock());
    const a = new ModbusSource(portConfig('/dev/ttyA'), rec.ctx);
    const b = new ModbusSource(portConfig('/dev/ttyB'), rec.ctx);
    expect([a.name, b.name]).toEqual(['modbus:/dev/ttyA', 'modbus:/dev/ttyB']);
    const text = rec.registry.render();
    expect(text).toContain('tributary_modbus_connected{port="/dev/ttyA"} 0');
    expect(text).toContain('tributary_modbus_connected{port="/dev/ttyB"} 0');
  });
});
