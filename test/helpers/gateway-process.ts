// The gateway as its own process (`tributary edge --config`), for fault tests that kill it or keep
// it running for minutes: started, known to be running, killed or stopped.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { CLI_MAIN } from './simulator.js';

/** A TCP port nothing listens on right now (for a process that must bind the same port again later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The HTTP port from the config, for /metrics and /healthz. */
  readonly httpPort: number;
  stderr: string;
}

/** Start `tributary edge --config <config>` (a JSON/YAML file) and resolve once it says it is running. */
export function startGatewayProcess(config: string): Promise<GatewayProcess> {
  const httpPort = (JSON.parse(readFileSync(config, 'utf8')) as { http?: { port?: number } }).http?.port ?? 9464;
  const child = spawn(process.execPath, [CLI_MAIN, 'edge', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const running: GatewayProcess = { child, httpPort, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), stderr: '' };
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      running.stderr += chunk.toString();
      if (running.stderr.includes('running')) resolve(running);
    });
    void running.exited.then((code) => reject(new Error(`gateway exited (${code}) before it was running: ${running.stderr.slice(-2000)}`)));
  });
}
