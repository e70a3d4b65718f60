// SerialLineSource against real bytes through a socat pty pair: the test writes into the device
// end with serialport, the source reads the gateway end. Framings, the line bound, CRLF and empty
// lines; an unplug mid-line and the re-plug at the same path; a port absent at open(); close.
// Pause/resume use serialport's mock binding, where "nothing arrived yet" is deterministic.

import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { SerialPort, SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { SerialPortConfig } from '../../edge/config/schema.js';
import type { Framing } from '../../edge/source/contract.js';
import { SerialLineSource, type SerialBinding } from '../../edge/source/serial/source.js';
import { hasSocat, openPtyPair, type PtyPair } from '../../devices/transport/pty-pair.js';
import { metric, recordingContext, Teardown, type RecordingContext } from '../helpers/mqtt.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const M = 'tributary_serial';

function portConfig(path: string, overrides: Partial<SerialPortConfig> = {}): SerialPortConfig {
  return {
    path, baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1,
    // Real delays are irrelevant: the reconnect timer runs on the FakeClock the tests advance.
    reconnectInitialMs: 100, reconnectMaxMs: 400,
    framing: 'kv', deviceField: 'device', delimiter: ',', maxLineBytes: 32,
    ...overrides,
  };
}

/** The device side: a real serial port on the pair's device end. */
interface Device {
  write(bytes: string | Buffer): Promise<void>;
  /** Write lines back to back until the returned stop() (or the port closing). */
  flood(): () => Promise<void>;
}

async function openDevice(pair: PtyPair): Promise<Device> {
  const port = new SerialPort({ path: pair.devicePath, baudRate: 115200, autoOpen: false });
  // Unplugging the pair closes this end under us; that is expected, not an error.
  port.on('error', () => {});
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  teardown.defer(() => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => {
        port.write(bytes);
        port.drain((err) => (err ? reject(err) : resolve()));
      }),
    flood: () => {
      let on = true;
      // A write queued on a closed port waits for an 'open' that never comes: race it with 'close'.
      const closed = once(port, 'close').catch(() => {});
      const loop = (async () => {
        while (on && port.isOpen) await Promise.race([new Promise((resolve) => port.write('t=1\n', resolve)), closed]);
      })();
      return async () => {
        on = false;
        await loop;
      };
    },
  };
}

/** A directory for pty links that outlives one pair, so a re-plug can reuse the same paths. */
function linkDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-serial-'));
  teardown.defer(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function plug(dir: string): Promise<{ pair: PtyPair; device: Device }> {
  const pair = teardown.add(await openPtyPair({ dir, name: 'usb0' }));
  return { pair, device: await openDevice(pair) };
}

interface Started extends RecordingContext {
  readonly source: SerialLineSource;
  readonly fake: FakeClock;
}

async function startSource(config: SerialPortConfig, rec: RecordingContext = recordingContext(new FakeClock())): Promise<Started> {
  const source = new SerialLineSource(config, rec.ctx);
  teardown.add(source);
  await source.open();
  return { ...rec, source, fake: rec.clock as FakeClock };
}

/** Advance the fake clock past each backoff delay until the source has reopened its port. */
async function reconnected(s: Started): Promise<void> {
  await waitFor(() => s.source.connected || void s.fake.advance(400), 'the source to reopen its port');
}

const bytes = (s: Started, path: string) => metric(s.registry, `${M}_bytes_total`, path);

describe.skipIf(!hasSocat())('SerialLineSource over a socat pty pair (skips without socat)', { timeout: 20_000 }, () => {
  const framings: Array<[SerialPortConfig['framing'], Partial<SerialPortConfig>, string, Framing, string | undefined]> = [
    ['ndjson', {}, '{"device":"pump-7","t":21.5}', { kind: 'ndjson', deviceField: 'device' }, undefined],
    ['csv', { columns: ['ts', 't', 'rpm'], delimiter: ';', device: 'pump-8' }, '1732406400000;21.5;1450', { kind: 'csv', columns: ['ts', 't', 'rpm'], delimiter: ';', deviceField: 'device' }, 'pump-8'],
    ['kv', { deviceField: 'id' }, 'id=pump-9 t=21.5 rpm=1450', { kind: 'kv', deviceField: 'id' }, undefined],
  ];
  it.each(framings)('%s lines arrive as RawMessages with their framing and raw bytes', async (framing, extra, line, expected, device) => {
    const { pair, device: dev } = await plug(linkDir());
    const s = await startSource(portConfig(pair.gatewayPath, { framing, ...extra }));
    expect(s.source.health()).toMatchObject({ ok: true, connected: true, reconnects: 0, path: pair.gatewayPath });
    await dev.write(`${line}\n${line}\n`);
    await waitFor(() => s.messages.length === 2, 'two lines');
    for (const m of s.messages) {
      expect(m).toEqual({
        source: `serial:${pair.gatewayPath}`, topic: pair.gatewayPath, ...(device ? { device } : {}),
        payload: Buffer.from(line), receivedAt: s.fake.now(), framing: expected,
      });
      expect('device' in m).toBe(device !== undefined);
    }
    expect(metric(s.registry, `${M}_lines_total`, pair.gatewayPath)).toBe(2);
    expect(metric(s.registry, `${M}_connected`, pair.gatewayPath)).toBe(1);
  });

  it('passes bytes on undecoded, cuts a line over maxLineBytes and still delivers the next one', async () => {
    const { pair, device } = await plug(linkDir());
    const s = await startSource(portConfig(pair.gatewayPath, { maxLineBytes: 16 }));
    const long = `device=pump-7 ${'x'.repeat(100)}`;
    await device.write(Buffer.concat([Buffer.from(`${long}\n`), Buffer.from([0x74, 0x3d, 0xff, 0x0a]), Buffer.from('t=2\n')]));
    await waitFor(() => s.messages.length === 2, 'the two good lines');
    expect(s.messages.map((m) => m.payload)).toEqual([Buffer.from([0x74, 0x3d, 0xff]), Buffer.from('t=2')]);
    expect(s.rejected).toHaveLength(1);
    expect(s.rejected[0]!.error.code).toBe('ERR_SERIAL_LINE_TOO_LONG');
    expect(s.rejected[0]!.message.payload).toEqual(Buffer.from(long.slice(0, 16)));
    expect(metric(s.registry, `${M}_rejected_total`, pair.gatewayPath, 'line_too_long')).toBe(1);
  });

  it('strips CRLF and skips empty lines, counting them', async () => {
    const { pair, device } = await plug(linkDir());
    const s = await startSource(portConfig(pair.gatewayPath));
    const sent = 'a=1\r\n\r\n\nb=2\r\n';
    await device.write(sent);
    await waitFor(() => s.messages.length === 2 && bytes(s, pair.gatewayPath) === sent.length, 'two lines and every byte');
    expect(s.messages.map((m) => m.payload.toString())).toEqual(['a=1', 'b=2']);
    expect(metric(s.registry, `${M}_empty_lines_total`, pair.gatewayPath)).toBe(2);
    expect(metric(s.registry, `${M}_lines_total`, pair.gatewayPath)).toBe(2);
    expect(s.rejected).toEqual([]);
  });

  it('rejects the line cut off by an unplug, reports it, and resumes when the adapter is back', async () => {
    const dir = linkDir();
    const first = await plug(dir);
    const path = first.pair.gatewayPath;
    const s = await startSource(portConfig(path, { device: 'pump-7' }));
    await first.device.write('t=1\nt=2,hal');
    await waitFor(() => s.messages.length === 1 && bytes(s, path) === 11, 'the whole line and the half line');

    await first.pair.close();
    await waitFor(() => s.rejected.length === 1, 'the partial line to be rejected');
    expect(s.rejected[0]!.error.code).toBe('ERR_SERIAL_PARTIAL_LINE');
    expect(s.rejected[0]!.message).toMatchObject({ payload: Buffer.from('t=2,hal'), device: 'pump-7', topic: path });
    expect(s.source.health()).toMatchObject({ ok: false, connected: false, reconnects: 0, lastError: expect.any(String) });
    expect(metric(s.registry, `${M}_connected`, path)).toBe(0);
    expect(metric(s.registry, `${M}_rejected_total`, path, 'partial_line')).toBe(1);

    // Retries while the adapter is away fail quietly and back off; then it is plugged back in.
    s.fake.advance(1000);
    await waitFor(() => s.source.health().reconnects as number >= 1 && s.fake.pending === 1, 'a failed retry to schedule the next one');
    const second = await plug(dir);
    expect(second.pair.gatewayPath).toBe(path);
    await reconnected(s);
    expect(s.source.health()).toMatchObject({ ok: true, connected: true });
    expect(metric(s.registry, `${M}_connected`, path)).toBe(1);
    expect(metric(s.registry, `${M}_reconnects_total`, path)).toBe(s.source.health().reconnects);

    await second.device.write('t=3\n');
    await waitFor(() => s.messages.length === 2, 'a line after the re-plug');
    expect(s.messages.map((m) => m.payload.toString())).toEqual(['t=1', 't=3']);
    expect(s.rejected).toHaveLength(1);
  });

  it('notices an unplug while bytes are flowing (bindings-cpp alone spins on end-of-file, issue #162)', async () => {
    const dir = linkDir();
    let plugged = await plug(dir);
    const s = await startSource(portConfig(plugged.pair.gatewayPath));
    for (let i = 1; i <= 5; i++) {
      const stop = plugged.device.flood();
      const before = s.messages.length;
      await waitFor(() => s.messages.length > before + 10, `lines flowing (cycle ${i})`);
      await plugged.pair.close();
      await waitFor(() => !s.source.connected, `unplug ${i} to be noticed`);
      await stop();
      plugged = await plug(dir);
      await reconnected(s);
    }
    expect(s.source.health()).toMatchObject({ ok: true, reconnects: expect.any(Number) });
    expect(s.rejected.every((r) => r.error.code === 'ERR_SERIAL_PARTIAL_LINE')).toBe(true);
  });

  it('opens without the port, logs ERR_SERIAL_OPEN once, and connects when it appears', async () => {
    const dir = linkDir();
    const logged: Array<{ level: number; code?: string; msg: string }> = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logged.push(JSON.parse(chunk.toString())), done()) });
    const rec = recordingContext(new FakeClock(), pino({ level: 'debug' }, sink));
    const path = join(dir, 'usb0-gateway');
    const s = await startSource(portConfig(path), rec);
    expect(s.source.status).toBe('open');
    expect(s.source.health()).toMatchObject({ ok: false, connected: false, lastError: expect.stringContaining(`cannot open serial port ${path}`) });
    expect(metric(s.registry, `${M}_connected`, path)).toBe(0);

    for (let i = 1; i <= 3; i++) {
      s.fake.advance(400);
      await waitFor(() => s.source.health().reconnects === i && s.fake.pending === 1, `failed retry ${i}`);
    }
    const warnings = logged.filter((l) => l.code === 'ERR_SERIAL_OPEN' && l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(logged.filter((l) => l.code === 'ERR_SERIAL_OPEN')).toHaveLength(4);

    const { device } = await plug(dir);
    await reconnected(s);
    await device.write('device=pump-7 t=1\n');
    await waitFor(() => s.messages.length === 1, 'the first line');
    expect(s.messages[0]!.payload.toString()).toBe('device=pump-7 t=1');
  });

  it('on close drops a partial line without rejecting it, stops retrying, and is idempotent', async () => {
    const { pair, device } = await plug(linkDir());
    const s = await startSource(portConfig(pair.gatewayPath));
    await device.write('t=1\nt=');
    await waitFor(() => bytes(s, pair.gatewayPath) === 6, 'every byte');
    await Promise.all([s.source.close(), s.source.close()]);
    expect(s.source.status).toBe('closed');
    expect(s.messages).toHaveLength(1);
    expect(s.rejected).toEqual([]);
    expect(metric(s.registry, `${M}_rejected_total`, pair.gatewayPath, 'dropped_at_close')).toBe(1);
    expect(metric(s.registry, `${M}_connected`, pair.gatewayPath)).toBe(0);
    expect(s.source.health().ok).toBe(false);
    expect(s.fake.pending).toBe(0);
  });

  it('shares one registry between ports, each series labelled by its port', async () => {
    const a = await plug(linkDir());
    const b = await plug(linkDir());
    const rec = recordingContext(new FakeClock());
    const sa = await startSource(portConfig(a.pair.gatewayPath), rec);
    const sb = await startSource(portConfig(b.pair.gatewayPath), rec);
    await a.device.write('t=1\n');
    await b.device.write('t=2\nt=3\n');
    await waitFor(() => rec.messages.length === 3, 'three lines');
    expect(rec.messages.filter((m) => m.source === sa.source.name)).toHaveLength(1);
    expect(rec.messages.filter((m) => m.source === sb.source.name)).toHaveLength(2);
    expect(metric(rec.registry, `${M}_lines_total`, a.pair.gatewayPath)).toBe(1);
    expect(metric(rec.registry, `${M}_lines_total`, b.pair.gatewayPath)).toBe(2);
  });
});

describe("SerialLineSource with serialport's mock binding", () => {
  type MockPort = Awaited<ReturnType<typeof SerialPortMock.binding.open>>;

  /** The mock binding, keeping each port it opens so the test can push bytes into it. */
  function mockBinding(path: string): { binding: SerialBinding; opened: MockPort[] } {
    const mock = SerialPortMock.binding;
    mock.createPort(path, { echo: false, record: false });
    teardown.defer(() => mock.reset());
    const opened: MockPort[] = [];
    const binding: SerialBinding = {
      list: () => mock.list(),
      open: async (options) => {
        const port = await mock.open(options);
        opened.push(port);
        return port;
      },
    };
    return { binding, opened };
  }

  /** Let the mock's reads (resolved on next ticks) and the stream's pushes run their course. */
  async function settle(): Promise<void> {
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  it('pause() holds lines in the port until resume(), also when paused before the port opened', async () => {
    const { binding, opened } = mockBinding('/dev/mock-serial0');
    const rec = recordingContext(new FakeClock());
    const source = teardown.add(new SerialLineSource(portConfig('/dev/mock-serial0'), rec.ctx, { binding }));
    source.pause();
    await source.open();
    expect(source.connected).toBe(true);
    opened[0]!.emitData('t=1\n');
    await settle();
    expect(rec.messages).toHaveLength(0);

    source.resume();
    await waitFor(() => rec.messages.length === 1, 'the held line');
    source.pause();
    opened[0]!.emitData('t=2\nt=3\n');
    await settle();
    expect(rec.messages).toHaveLength(1);
    source.resume();
    await waitFor(() => rec.messages.length === 3, 'the lines held by the second pause');
    expect(rec.messages.map((m) => m.payload.toString())).toEqual(['t=1', 't=2', 't=3']);
  });
});
