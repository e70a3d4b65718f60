// `tributary demo` (what `npm start` runs): the whole system on one machine on embedded defaults —
// a cloud worker, one gateway pointed at it, and a simulated fleet with injected failures — each
// in its own process, as they would run apart. It prints the dashboard's address and a login.
//
// Everything lives under one data folder: configs, LevelDB stores, and the secrets, made once
// (random gateway token and operator password, stored hashed in the configs) and reused later.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../auth/password.js';
import { parseOptions, type Io } from './io.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const USAGE = `Usage: tributary demo [options]

Run a cloud worker, one gateway and a simulated fleet with injected failures on this machine, each
in its own process, on embedded defaults; print the dashboard's address and a login. Ctrl-C stops
all three.

Options:
  --data-dir <dir>     where configs, stores and the demo's secrets live (default ./data/demo)
  --scenario <file>    the simulated fleet (default devices/scenarios/demo.yaml)
  --http-port <n>      the dashboard and API (default 8080)
  --cloud-port <n>     the cloud's MQTT broker (default 1884)
  --mqtt-port <n>      the gateway's MQTT broker (default 1883)
  --gateway-http-port <n>  the gateway's metrics endpoint (default 9464)
  -h, --help           this text
`;

const OPTIONS = {
  'data-dir': { type: 'string' },
  scenario: { type: 'string' },
  'http-port': { type: 'string' },
  'cloud-port': { type: 'string' },
  'mqtt-port': { type: 'string' },
  'gateway-http-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Secrets {
  readonly token: string;
  readonly password: string;
}

/** The demo's secrets, made on first run and kept in the data folder (mode 0600). */
function secrets(dir: string): Secrets {
  const path = join(dir, 'secrets.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as Secrets;
  const made = { token: randomBytes(24).toString('base64url'), password: randomBytes(9).toString('base64url') };
  writeFileSync(path, JSON.stringify(made), { mode: 0o600 });
  return made;
}

/** Start `tributary <args>` and resolve once its stderr says it is `running`; its stderr is passed on, prefixed. */
function start(name: string, args: string[], io: Io): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolveRunning, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      for (const line of text.split('\n')) if (line.trim()) io.stderr.write(`[${name}] ${line}\n`);
      if (!seen.includes('running') && (seen += text).includes('running')) resolveRunning(child);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was running`)));
  });
}

function stopped(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export async function demoCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseOptions(argv, OPTIONS, 'demo');
  if (v.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const dir = resolve(v['data-dir'] ?? join(ROOT, 'data/demo'));
  const ports = { http: Number(v['http-port'] ?? 8080), cloud: Number(v['cloud-port'] ?? 1884), mqtt: Number(v['mqtt-port'] ?? 1883), gatewayHttp: Number(v['gateway-http-port'] ?? 9464) };
  mkdirSync(dir, { recursive: true });
  const { token, password } = secrets(dir);
  const tokenFile = join(dir, 'gateway-token');
  writeFileSync(tokenFile, token, { mode: 0o600 });
  // Configs are JSON, which is YAML. Everything listens on loopback only.
  const cloudConfig = join(dir, 'cloud.yaml');
  writeFileSync(
    cloudConfig,
    JSON.stringify({
      cloud: { id: 'cloud-demo' },
      dataDir: join(dir, 'cloud'),
      gateways: { 'gw-demo': { tokenHash: await hashPassword(token), site: 'demo-plant', line: 'line-1' } },
      mqtt: { broker: { host: '127.0.0.1', port: ports.cloud } },
      http: { host: '127.0.0.1', port: ports.http },
      users: { operator: { passwordHash: await hashPassword(password), role: 'admin' } },
      log: { level: 'warn' },
    }),
  );
  const edgeConfig = join(dir, 'edge.yaml');
  writeFileSync(
    edgeConfig,
    JSON.stringify({
      gateway: { id: 'gw-demo' },
      dataDir: join(dir, 'edge'),
      mqtt: { broker: { host: '127.0.0.1', port: ports.mqtt } },
      auth: { allowAnonymous: true },
      http: { port: ports.gatewayHttp },
      devices: { kinds: { motor: ['motor-*'], pump: ['pump-*'], environment: ['hall-*'] } },
      models: [{ path: join(ROOT, 'edge/models/motor-baseline.onnx') }],
      alerts: {
        rules: [
          { name: 'motor-anomaly', type: 'score', kinds: ['motor'], inWindows: 3, ofWindows: 3, clearAfter: 6, severity: 'critical' },
          { name: 'vibration-high', type: 'threshold', feature: 'vib_rms.mean', above: 2.8, kinds: ['motor'], raiseAfter: 2, clearAfter: 3, severity: 'warning' },
          { name: 'bearing-heating-fast', type: 'rate-of-change', feature: 'bearing_temp.mean', limitPerSecond: 0.05, direction: 'rise', kinds: ['motor'] },
        ],
      },
      uplink: { url: `mqtt://127.0.0.1:${ports.cloud}`, username: 'gw-demo', tokenFile, lingerMs: 50 },
      log: { level: 'warn' },
    }),
  );
  const scenarioFile = resolve(v.scenario ?? join(ROOT, 'devices/scenarios/demo.yaml'));
  const children: ChildProcess[] = [];
  const stopAll = async () => {
    // The fleet first, then the gateway (it sends what it holds), then the cloud.
    for (const child of [...children].reverse()) {
      child.kill('SIGTERM');
      await stopped(child);
    }
  };
  try {
    children.push(await start('cloud', ['cloud', '--config', cloudConfig], io));
    children.push(await start('gateway', ['edge', '--config', edgeConfig], io));
    const fleet = spawn(process.execPath, [MAIN, 'devices', '--scenario', scenarioFile, '--gateway', `mqtt://127.0.0.1:${ports.mqtt}`, '--ground-truth', join(dir, 'ground-truth.csv')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] });
    children.push(fleet);
  } catch (err) {
    await stopAll();
    throw err;
  }
  io.stdout.write(
    `\nTributary demo running: a cloud, gateway gw-demo and a simulated fleet (${scenarioFile}).\n` +
      `  Dashboard:  http://127.0.0.1:${ports.http}/\n` +
      `  Login:      operator / ${password}\n` +
      `  Gateway:    MQTT 127.0.0.1:${ports.mqtt}, metrics http://127.0.0.1:${ports.gatewayHttp}/metrics\n` +
      `  Data:       ${dir} (delete it to start afresh)\n` +
      'Failures are injected on a schedule; alerts appear on the dashboard within a few minutes. Ctrl-C stops everything.\n',
  );
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
    // If the cloud or the gateway dies, the demo is over.
    for (const child of children.slice(0, 2)) child.once('exit', () => done());
  });
  await stopAll();
  return 0;
}
