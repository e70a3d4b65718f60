// A throwaway Debian mosquitto (MQTT 5, shared subscriptions) for a test: a generated config on a
// free loopback port letting the test's clients in anonymously, no persistence, stopped afterwards.
// Needs Debian's `mosquitto` package.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

/** Why mosquitto cannot be started here, or undefined when it can. */
export function mosquittoUnavailable(): string | undefined {
  return existsSync(MOSQUITTO) ? undefined : `${MOSQUITTO} not found: install Debian's \`mosquitto\` package (apt-get install mosquitto)`;
}

export interface Mosquitto {
  readonly url: string;
  readonly port: number;
  /** What it wrote to stdout and stderr so far (its log). */
  log(): string;
  stop(): Promise<void>;
}

export async function startMosquitto(): Promise<Mosquitto> {
  const reason = mosquittoUnavailable();
  if (reason) throw new Error(reason);
  const dir = mkdtempSync(join(tmpdir(), 'tributary-mosquitto-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // Unlimited queues: a worker busy storing must not make the broker drop QoS 1 messages.
      'max_queued_messages 0',
      'max_inflight_messages 20',
      'set_tcp_nodelay true',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => exited || (await accepts(port)), `mosquitto listening on ${port}`, 10_000, 20);
    if (exited) throw new Error(`mosquitto exited at start: ${output}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `mqtt://127.0.0.1:${port}`, port, log: () => output, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
