// The systemd notifier on a fake clock with a fake notifier: when it speaks, what it sends, and
// that a stuck or failing notifier never piles up pings or throws.

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { createLogger } from '../../edge/observe/log.js';
import { ServiceNotifier, type Notifier } from '../../edge/observe/systemd-notify.js';

const PID = 4242;
const SOCKET = '/run/systemd/notify';

function setup(env: Record<string, string | undefined>, options: { notify?: Notifier; alive?: () => boolean } = {}) {
  const clock = new FakeClock();
  const sent: string[][] = [];
  const logLines: Array<{ msg: string; err?: { code?: string } }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(JSON.parse(chunk.toString()) as { msg: string });
      done();
    },
  });
  const notify: Notifier =
    options.notify ??
    (async (assignments) => {
      sent.push([...assignments]);
    });
  const notifier = new ServiceNotifier({
    env,
    pid: PID,
    clock,
    log: createLogger('info', sink),
    notify,
    ...(options.alive ? { alive: options.alive } : {}),
    status: 'gateway gw-1 open',
  });
  return { clock, sent, logLines, notifier };
}

/** Let the promise callbacks queued by a ping run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ServiceNotifier', () => {
  it.each([
    { env: {}, enabled: false, pingIntervalMs: undefined, why: 'not under systemd' },
    { env: { WATCHDOG_USEC: '30000000' }, enabled: false, pingIntervalMs: undefined, why: 'a watchdog without a socket is ignored' },
    { env: { NOTIFY_SOCKET: SOCKET }, enabled: true, pingIntervalMs: undefined, why: 'Type=notify without WatchdogSec=' },
    { env: { NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '30000000' }, enabled: true, pingIntervalMs: 15_000, why: 'WatchdogSec=30s: half the interval' },
    { env: { NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(PID) }, enabled: true, pingIntervalMs: 15_000, why: 'the watchdog is for this process' },
    { env: { NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, enabled: true, pingIntervalMs: undefined, why: 'the watchdog is for another process' },
    { env: { NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: 'soon' }, enabled: true, pingIntervalMs: undefined, why: 'a malformed interval' },
    { env: { NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '0' }, enabled: true, pingIntervalMs: undefined, why: 'a zero interval' },
    { env: { NOTIFY_SOCKET: '', WATCHDOG_USEC: '30000000' }, enabled: false, pingIntervalMs: undefined, why: 'an empty socket path' },
  ])('reads the environment: $why', ({ env, enabled, pingIntervalMs }) => {
    const { notifier } = setup(env);
    expect(notifier.enabled).toBe(enabled);
    expect(notifier.pingIntervalMs).toBe(pingIntervalMs);
  });

  it('does nothing at all without NOTIFY_SOCKET', async () => {
    const { clock, sent, notifier } = setup({ WATCHDOG_USEC: '2000000' });
    await notifier.open();
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    await notifier.close();
    expect(sent).toEqual([]);
  });

  it('sends READY=1 with a status, pings at half the watchdog interval, and STOPPING=1 on close', async () => {
    const { clock, sent, notifier } = setup({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '30000000' });
    await notifier.open();
    expect(sent).toEqual([['READY=1', 'STATUS=gateway gw-1 open']]);
    for (let i = 0; i < 3; i++) {
      clock.advance(15_000);
      await settle();
    }
    expect(sent.slice(1)).toEqual([['WATCHDOG=1'], ['WATCHDOG=1'], ['WATCHDOG=1']]);
    clock.advance(14_999);
    await settle();
    expect(sent).toHaveLength(4);
    await notifier.close();
    expect(sent.at(-1)).toEqual(['STOPPING=1']);
    expect(clock.pending).toBe(0);
    clock.advance(60_000);
    await settle();
    expect(sent).toHaveLength(5);
  });

  it('sends READY=1 but no pings when there is no watchdog', async () => {
    const { clock, sent, notifier } = setup({ NOTIFY_SOCKET: SOCKET });
    await notifier.open();
    expect(clock.pending).toBe(0);
    await notifier.close();
    expect(sent.map((s) => s[0])).toEqual(['READY=1', 'STOPPING=1']);
  });

  it('skips a ping while alive() says no, and resumes when it says yes', async () => {
    let alive = false;
    const { clock, sent, notifier } = setup({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '2000000' }, { alive: () => alive });
    await notifier.open();
    clock.advance(3000);
    await settle();
    expect(sent).toHaveLength(1);
    expect(notifier.skipped).toBe(3);
    alive = true;
    clock.advance(1000);
    await settle();
    expect(sent.at(-1)).toEqual(['WATCHDOG=1']);
    await notifier.close();
  });

  it('never has more than one ping outstanding when systemd-notify hangs', async () => {
    const calls: string[][] = [];
    let release: () => void = () => {};
    const notify: Notifier = (assignments) => {
      calls.push([...assignments]);
      return assignments[0] === 'WATCHDOG=1' ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
    };
    const { clock, notifier } = setup({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '2000000' }, { notify });
    await notifier.open();
    clock.advance(5000);
    await settle();
    expect(calls.filter((c) => c[0] === 'WATCHDOG=1')).toHaveLength(1);
    expect(notifier.skipped).toBe(4);
    // Shutdown does not wait for the stuck ping (or for STOPPING=1) to finish.
    await notifier.close();
    expect(calls.at(-1)).toEqual(['STOPPING=1']);
    expect(clock.pending).toBe(0);
    release();
  });

  it('logs a failing notifier once per run of failures, with its code, and keeps pinging', async () => {
    let fail = true;
    let pings = 0;
    const notify: Notifier = async (assignments) => {
      if (assignments[0] === 'WATCHDOG=1') pings++;
      if (fail) throw new Error('spawn systemd-notify ENOENT');
    };
    const { clock, logLines, notifier } = setup({ NOTIFY_SOCKET: SOCKET, WATCHDOG_USEC: '2000000' }, { notify });
    await notifier.open();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await settle();
    }
    expect(pings).toBe(3);
    const errors = logLines.filter((l) => l.err?.code === 'ERR_SYSTEMD_NOTIFY');
    expect(errors).toHaveLength(1);
    fail = false;
    clock.advance(1000);
    await settle();
    expect(logLines.at(-1)?.msg).toBe('systemd notifications work again');
    await notifier.close();
  });
});
