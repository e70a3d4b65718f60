// MQTT test helpers: real MQTT.js clients over TCP, a plain aedes broker on port 0, self-signed
// certificates from openssl, a source context that records what was emitted, and teardown.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { Clock } from '../../edge/clock/clock.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { silentLogger, type Logger } from '../../edge/observe/log.js';
import { Counter, Gauge, Registry } from '../../edge/observe/metrics.js';
import type { RawMessage, SourceContext } from '../../edge/source/contract.js';
import { waitFor } from './wait.js';

/** Things a test opened, closed in reverse order by `run()` (call it from afterEach). */
export class Teardown {
  #steps: Array<() => unknown> = [];

  /** Close `thing` at teardown (anything with close(), end(), or an async dispose). */
  add<T extends { close(): unknown } | AsyncDisposable>(thing: T): T {
    this.#steps.push(() => (Symbol.asyncDispose in thing ? thing[Symbol.asyncDispose]() : (thing as { close(): unknown }).close()));
    return thing;
  }

  defer(step: () => unknown): void {
    this.#steps.push(step);
  }

  async run(): Promise<void> {
    const steps = this.#steps.reverse();
    this.#steps = [];
    for (const step of steps) await step();
  }
}

export { recordingContext, type RecordingContext } from './source-context.js';

/** The value of a counter or gauge series in `registry` (0 when never set). */
export function metric(registry: Registry, name: string, ...labels: string[]): number {
  const m = registry.get(name);
  if (m instanceof Counter) return m.get(...labels);
  if (m instanceof Gauge) return m.get(...labels) ?? 0;
  throw new Error(`no counter or gauge named ${name}`);
}

/** Wait until `messages` holds at least `n` entries. */
export async function waitForMessages(messages: readonly unknown[], n: number, timeoutMs = 3000): Promise<void> {
  await waitFor(() => messages.length >= n, `${n} message(s), have ${messages.length}`, timeoutMs);
}

/** An MQTT.js client, connected (CONNACK 0), that does not reconnect on its own. */
export async function connectClient(url: string, options: IClientOptions = {}, teardown?: Teardown): Promise<MqttClient> {
  // allowRetries false: a connection closed before CONNACK rejects instead of waiting forever.
  const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options }, false);
  teardown?.defer(() => client.endAsync(true));
  return client;
}

/** Connect expecting a refusal; resolves to the error (with the CONNACK return code in `code`). */
export async function connectRefused(url: string, options: IClientOptions = {}): Promise<Error & { code?: number }> {
  try {
    const client = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options }, false);
    await client.endAsync(true);
  } catch (err) {
    return err as Error & { code?: number };
  }
  throw new Error(`expected ${url} to refuse the connection, but it was accepted`);
}

/** Resolves when `client`'s connection closes. */
export function whenClosed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => client.once('close', () => resolve()));
}

export interface PlainBroker extends AsyncDisposable {
  readonly aedes: Aedes;
  readonly port: number;
  close(): Promise<void>;
}

/** A plain aedes broker (no gateway code) on 127.0.0.1; `port` 0 picks a free one. */
export async function startPlainBroker(port = 0, options: AedesOptions = {}): Promise<PlainBroker> {
  const aedes = await Aedes.createBroker(options);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
    })());
  return { aedes, port: bound, close, [Symbol.asyncDispose]: close };
}

/** Whether the openssl command is on PATH (TLS tests skip without it). */
export const hasOpenssl = spawnSync('openssl', ['version']).error === undefined;

/** A self-signed certificate for 127.0.0.1 and localhost, written into `dir`. */
export function selfSignedCert(dir: string, name = 'server'): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`,
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { certFile, keyFile };
}
