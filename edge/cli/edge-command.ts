// `tributary edge`: run the gateway, or one of its helper sub-commands.

import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { codedError } from '../errors/catalogue.js';
import { Gateway } from '../gateway/gateway.js';
import { createLogger } from '../observe/log.js';
import { inspectCommand } from './inspect-command.js';
import type { Io } from './io.js';

const USAGE = `Usage:
  tributary edge --config <file>                 run the gateway until SIGINT/SIGTERM
  tributary edge check-config --config <file>    validate a config and print it with defaults filled in
  tributary edge inspect --config <file> [outbox|dead-letter|late-data] [--limit N] [--order newest|oldest]
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
      const config = loadConfigFile(requireConfig(values.config, 'edge check-config'));
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
  const config = loadConfigFile(requireConfig(values.config, 'edge'));
  const log = createLogger(config.log.level);
  const gateway = new Gateway(config, { log });
  await gateway.open();
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
  await gateway.close();
  log.flush();
  return 0;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: false,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    throw codedError('ERR_CLI_USAGE', [(err as Error).message, 'edge'], { cause: err });
  }
}

function requireConfig(path: string | undefined, command: string): string {
  if (!path) throw codedError('ERR_CLI_USAGE', ['--config <file> is required', command]);
  return path;
}
