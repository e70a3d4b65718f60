// `tributary edge`: run the gateway, or one of its helper sub-commands.

import { systemClock } from '../clock/clock.js';
import { loadConfigFile } from '../config/load.js';
import { codedError } from '../errors/catalogue.js';
import { closeWithin } from './bounded-close.js';
import { Gateway } from '../gateway/gateway.js';
import { createLogger } from '../observe/log.js';
import { ServiceNotifier } from '../observe/systemd-notify.js';
import { inspectCommand } from './inspect-command.js';
import { parseOptions, requireOption, type Io } from './io.js';

const USAGE = `Usage:
  tributary edge --config <file>                 run the gateway until SIGINT/SIGTERM
  tributary edge check-config --config <file>    validate a config and print it with defaults filled in
  tributary edge inspect --config <file> [outbox|alerts|raw|status|dead-letter|late-data] [--limit N] [--order newest|oldest]
                                                 list what a store holds (asks the running gateway's
                                                 HTTP endpoint, or reads LevelDB when it is stopped)
  tributary edge hash-password                   read a password on stdin, print its scrypt hash for auth.users

Options:
  -c, --config <file>   YAML config (see edge/edge.example.yaml)
  -h, --help            this text
`;

export async function edgeCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'inspect':
      return inspectCommand(rest, io);
    case 'hash-password':
      return (await import('../auth/hash-password-command.js')).hashPasswordCommand(rest, io);
    case 'check-config': {
      const { values } = parse(rest);
      if (values.help) {
        io.stdout.write(USAGE);
        return 0;
      }
      const config = loadConfigFile(requireOption(values.config, '--config <file>', 'edge check-config'));
      io.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
      return 0;
    }
    default:
      return runGateway(argv, io);
  }
}

async function runGateway(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv);
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfigFile(requireOption(values.config, '--config <file>', 'edge'));
  const log = createLogger(config.log.level);
  const gateway = new Gateway(config, { log });
  await gateway.open();
  // Under systemd (Type=notify, WatchdogSec=): ready now, then pings while the event loop turns.
  const notifier = new ServiceNotifier({
    env: process.env,
    pid: process.pid,
    clock: systemClock,
    log,
    alive: () => gateway.status === 'open',
    status: `gateway ${config.gateway.id} open`,
  });
  await notifier.open();
  const broker = gateway.source<{ name: string; port?: number } & import('../source/contract.js').Source>('mqtt-broker');
  io.stderr.write(
    `tributary edge: gateway ${config.gateway.id} running` +
      (broker?.port !== undefined ? `; MQTT on ${config.mqtt.broker.host}:${broker.port} (publish to ${config.mqtt.topicPrefix}/<device>)` : '') +
      (gateway.httpPort !== undefined ? `; metrics on http://${config.http.host}:${gateway.httpPort}/metrics` : '') +
      '\n',
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await notifier.close();
  // Bounded (systemd's TimeoutStopSec is 30 s): sources stop, windows and alert state are
  // checkpointed, the log flushed, the uplink closed — unless that takes too long.
  const limit = config.gateway.shutdownTimeoutMs;
  const outcome = await closeWithin(() => gateway.close(), limit);
  log.flush();
  if (outcome === 'timeout') {
    io.stderr.write(`tributary: ERR_SHUTDOWN_TIMEOUT: ${codedError('ERR_SHUTDOWN_TIMEOUT', [limit]).message}\n`);
    process.exit(1);
  }
  io.stderr.write(`tributary edge: gateway ${config.gateway.id} stopped\n`);
  return 0;
}

const OPTIONS = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } as const;
const parse = (argv: string[]) => parseOptions(argv, OPTIONS, 'edge');
