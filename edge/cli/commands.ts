// The registry of `tributary` sub-commands.

import { codedError } from '../errors/catalogue.js';
import type { Command } from './io.js';

/** A command whose issue has not landed: it says so plainly instead of pretending. */
function notYet(name: string, issue: number, what: string): Command {
  return {
    summary: `${what} (not built yet: issue #${issue})`,
    run: async (argv, io) => {
      if (argv.includes('--help') || argv.includes('-h')) {
        io.stdout.write(`Usage: tributary ${name}\n\n${what}.\nThis command is not built yet; it arrives with issue #${issue}.\n`);
        return 0;
      }
      throw codedError('ERR_CLI_NOT_YET', [name, issue, what]);
    },
  };
}

export const commands: Readonly<Record<string, Command>> = {
  edge: {
    summary: 'run the edge gateway, or inspect its stores (edge inspect, edge hash-password, edge check-config)',
    run: async (argv, io) => (await import('./edge-command.js')).edgeCommand(argv, io),
  },
  train: {
    summary: 'fit a baseline anomaly model (PCA or autoencoder) on normal data: a CSV or a stopped gateway\'s summaries',
    run: async (argv, io) => (await import('./train-command.js')).trainCommand(argv, io),
  },
  eval: {
    summary: 'replay labelled recordings (NAB, SKAB) through the pipeline and score its alerts',
    run: async (argv, io) => (await import('../eval/eval-command.js')).evalCommand(argv, io),
  },
  // The CLI is the one place that names the other tiers, and only by module path, loaded when
  // that command runs: no gateway code path imports the cloud or the simulator.
  cloud: {
    summary: 'run a cloud worker: gateways over MQTT, de-duplicated summaries, fleet roll-ups (cloud check-config)',
    run: async (argv, io) => (await import('../../cloud/cli/cloud-command.js')).cloudCommand(argv, io),
  },
  devices: {
    summary: 'simulate a sensor fleet over MQTT, serial and Modbus with injected failures, or replay a recording',
    run: async (argv, io) => (await import('../../devices/cli.js')).devicesCommand.run(argv, io),
  },
};
