// The gateway as its own process (`tributary edge --config`), for fault tests that kill it or keep
// it running for minutes, and for end-to-end tests with a cloud: its config file with an uplink;
// started, known to be running, killed or stopped.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { CLI_MAIN } from './simulator.js';
import { edgeServiceUnit, nodeLaunch } from './systemd-unit.js';

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The HTTP port from the config, for /metrics and /healthz. */
  readonly httpPort: number;
  stderr: string;
}

/** How tributary-edge.service runs node (its flags: the heap limits; its environment): the fault tests run what ships. */
const SERVICE = nodeLaunch(edgeServiceUnit());

/** Start `tributary edge --config <config>` (a JSON/YAML file) as the systemd unit runs it, and resolve once it says it is running. */
export function startGatewayProcess(config: string): Promise<GatewayProcess> {
  const httpPort = (JSON.parse(readFileSync(config, 'utf8')) as { http?: { port?: number } }).http?.port ?? 9464;
  const child = spawn(process.execPath, [...SERVICE.nodeOptions, CLI_MAIN, 'edge', '--config', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...SERVICE.environment },
  });
  const running: GatewayProcess = { child, httpPort, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))), stderr: '' };
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      running.stderr += chunk.toString();
      if (running.stderr.includes('running')) resolve(running);
    });
    void running.exited.then((code) => reject(new Error(`gateway exited (${code}) before it was running: ${running.stderr.slice(-2000)}`)));
  });
}

/**
 * Write a config file (JSON) for a gateway process: its MQTT listener and HTTP port on ports free
 * now, its data in `<dir>/data`, anonymous devices, warnings logged; `over` goes on top (whole
 * sections). Returns its path and the ports chosen.
 */
export async function gatewayProcessConfig(dir: string, gateway: string, over: Record<string, unknown> = {}): Promise<{ path: string; mqttPort: number; httpPort: number }> {
  const [path, mqttPort, httpPort] = [join(dir, 'edge.json'), await freePort(), await freePort()];
  const config = {
    gateway: { id: gateway },
    dataDir: join(dir, 'data'),
    mqtt: { broker: { host: '127.0.0.1', port: mqttPort } },
    auth: { allowAnonymous: true },
    http: { port: httpPort },
    log: { level: 'warn' },
    ...over,
  };
  writeFileSync(path, JSON.stringify(config));
  return { path, mqttPort, httpPort };
}

/**
 * A gateway process config (gatewayProcessConfig) whose uplink logs in to the cloud broker at
 * `url` with `token` (kept in a file beside it) and reports every second.
 */
export async function uplinkedGatewayConfig(dir: string, o: { gateway: string; url: string; token: string; over?: Record<string, unknown> }): Promise<{ path: string; mqttPort: number; httpPort: number }> {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${o.token}\n`);
  return gatewayProcessConfig(dir, o.gateway, { uplink: { url: o.url, username: o.gateway, tokenFile, lingerMs: 20, statusIntervalMs: 1000, reconnectInitialMs: 100 }, ...o.over });
}
