// `tributary devices`: simulate a sensor fleet from a scenario, or replay a recording
// (`tributary devices replay`, see replay.ts).

import { parseOptions, requireOption, type Command, type Io } from '../edge/cli/io.js';
import { systemClock } from '../edge/clock/clock.js';
import { codedError } from '../edge/errors/catalogue.js';
import { FAILURE_MODES } from './failures/modes.js';
import { writeGroundTruth } from './ground-truth.js';
import { clockLeadWarning, formatProgress } from './report.js';
import { loadScenarioFile } from './scenario/load.js';
import { scenarioFleet } from './scenario-fleet.js';
import { runSession } from './session.js';

const USAGE = `Usage:
  tributary devices --scenario <file> [--ground-truth <file>] [--counts <file>] [--gateway <url>]
                                        simulate the scenario's fleet until durationMs or SIGINT/SIGTERM
  tributary devices check-scenario --scenario <file>
                                        validate a scenario and print it with defaults filled in
  tributary devices replay --csv <file> [options]
                                        stream a recorded CSV as one device (see replay --help)
  tributary devices make-model [--out <base>] [--check]
                                        regenerate the default motor model (edge/models/motor-baseline)

Options:
  -s, --scenario <file>     YAML scenario (examples in devices/scenarios/)
  --ground-truth <file>     write device,failure,start,end (ISO 8601, then ms) for every injected failure
  --counts <file>           write what each device sent (good, malformed, duplicate, dropout, errors) as JSON
  --gateway <url>           broker URL for the MQTT devices, overriding gateway.url
  -h, --help                this text

A progress line goes to stderr every second; the summary to stdout at the end.

Failure modes:
${Object.entries(FAILURE_MODES).map(([mode, m]) => `  ${mode.padEnd(20)} [${m.kinds.join(', ')}] ${m.doc}`).join('\n')}

Scenario keys, their units and defaults: devices/scenario/schema.ts; examples: devices/scenarios/*.yaml.
`;

export const devicesCommand: Command = {
  summary: 'simulate a sensor fleet over MQTT and serial, with injected failures and ground truth; or replay a recording',
  run: async (argv, io) => {
    const [sub, ...rest] = argv;
    if (sub === 'replay') return (await import('./replay.js')).replayCommand(rest, io);
    if (sub === 'make-model') return (await import('./models/make-model-command.js')).makeModelCommand(rest, io);
    if (sub === 'check-scenario') {
      const { values } = parse(rest);
      if (values.help) {
        io.stdout.write(USAGE);
        return 0;
      }
      io.stdout.write(`${JSON.stringify(loadScenarioFile(requireOption(values.scenario, '--scenario <file>', 'devices check-scenario')), null, 2)}\n`);
      return 0;
    }
    return simulate(argv, io);
  },
};

async function simulate(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv);
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const scenario = loadScenarioFile(requireOption(values.scenario, '--scenario <file>', 'devices'));
  if (values.gateway !== undefined && !/^mqtts?:\/\//.test(values.gateway)) throw codedError('ERR_CLI_USAGE', ['--gateway must be an mqtt:// or mqtts:// URL', 'devices']);
  const now = systemClock.now();
  const { plan, fleet } = scenarioFleet(scenario, {
    clock: systemClock,
    ...(values.gateway !== undefined ? { gatewayUrl: values.gateway } : {}),
    onProgress: (p) => io.stderr.write(formatProgress(p, scenario.speedup)),
  });
  io.stderr.write(
    `tributary devices: ${plan.devices.length} devices in ${scenario.groups.length} group(s), ${plan.failures.length} failure window(s), ` +
      `seed ${scenario.seed}, from ${new Date(plan.startTime).toISOString()} at ×${scenario.speedup}` +
      `${scenario.durationMs !== undefined ? ` for ${scenario.durationMs} simulated ms` : ' until stopped'}\n`,
  );
  io.stderr.write(clockLeadWarning(plan.startTime, now, scenario.speedup, scenario.durationMs) ?? '');
  const groundTruth = values['ground-truth'];
  await runSession(fleet, plan.devices.length, io, {
    ...(values.counts ? { countsPath: values.counts } : {}),
    ...(groundTruth ? { onSummary: (s) => writeGroundTruth(groundTruth, plan.failures, s.startTime + s.simulatedMs) } : {}),
  });
  return 0;
}

const OPTIONS = {
  scenario: { type: 'string', short: 's' },
  'ground-truth': { type: 'string' },
  counts: { type: 'string' },
  gateway: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
const parse = (argv: string[]) => parseOptions(argv, OPTIONS, 'devices');
