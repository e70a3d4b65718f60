// `tributary cloud`: run a cloud worker until SIGINT/SIGTERM, or check a cloud config.

import { systemClock } from '../../edge/clock/clock.js';
import { closeWithin } from '../../edge/cli/bounded-close.js';
import { parseOptions, requireOption, type Io } from '../../edge/cli/io.js';
import { codedError } from '../../edge/errors/catalogue.js';
import { createLogger } from '../../edge/observe/log.js';
import { ServiceNotifier } from '../../edge/observe/systemd-notify.js';
import { cloudConfigWarnings, loadCloudConfig } from '../config/load.js';
import { Cloud } from '../service/cloud.js';
import { cloudParts } from '../service/parts.js';

const USAGE = `Usage:
  tributary cloud --config <file>                 run a cloud worker until SIGINT/SIGTERM
  tributary cloud check-config --config <file>    validate a cloud config and print it with defaults filled in

Options:
  -c, --config <file>   YAML config (see cloud/cloud.example.yaml)
  -h, --help            this text

Gateways authenticate with a token: make its hash with \`tributary edge hash-password\`.
`;

const OPTIONS = { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } as const;
const parse = (argv: string[]) => parseOptions(argv, OPTIONS, 'cloud');

export async function cloudCommand(argv: string[], io: Io): Promise<number> {
  const check = argv[0] === 'check-config';
  const { values } = parse(check ? argv.slice(1) : argv);
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const config = loadCloudConfig(requireOption(values.config, '--config <file>', check ? 'cloud check-config' : 'cloud'));
  if (check) {
    io.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    for (const w of cloudConfigWarnings(config)) io.stderr.write(`warning: ${w}\n`);
    return 0;
  }

  const log = createLogger(config.log.level);
  for (const warning of cloudConfigWarnings(config)) log.warn({ warning }, 'cloud config: insecure setting');
  const cloud = new Cloud(config, { log, clock: systemClock, ...cloudParts });
  await cloud.open();
  // Under systemd (Type=notify, WatchdogSec=): ready now, then pings while the worker is healthy.
  const notifier = new ServiceNotifier({
    env: process.env,
    pid: process.pid,
    clock: systemClock,
    log,
    alive: () => cloud.status === 'open',
    status: `cloud worker ${config.cloud.id} open`,
  });
  await notifier.open();
  io.stderr.write(`tributary cloud: worker ${config.cloud.id} running; ${cloud.describe().join('; ')}\n`);
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  log.info({ signal }, 'stopping');
  await notifier.close();
  // Bounded: messages in flight are stored and acknowledged, pending roll-ups applied, unless that takes too long.
  const limit = config.cloud.shutdownTimeoutMs;
  const outcome = await closeWithin(() => cloud.close(), limit);
  log.flush();
  if (outcome === 'timeout') {
    io.stderr.write(`tributary: ${codedError('ERR_CLOUD_SHUTDOWN', [limit]).message}\n`);
    // Sockets and the database are still open: leave now; what was not acknowledged is sent again by the gateways.
    process.exit(1);
  }
  io.stderr.write(`tributary cloud: worker ${config.cloud.id} stopped\n`);
  return 0;
}
