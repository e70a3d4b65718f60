// Loads and validates a scenario once, before anything connects: defaults from the schema,
// unknown keys refused, every problem reported together with its path, the result frozen.

import { schemaFile } from '../../edge/config/schema-file.js';
import { FAILURE_MODES } from '../failures/modes.js';
import { deviceIds, groupName, parseStartTime } from './plan.js';
import { ScenarioSchema, type GroupConfig, type Scenario } from './schema.js';

/** Modbus Serial Line V1.02 §2.2: unit addresses 1-247 on one line. */
const MAX_MODBUS_UNITS = 247;

const scenarioFile = schemaFile<Scenario>(ScenarioSchema, {
  codes: { read: 'ERR_SCENARIO_READ', parse: 'ERR_SCENARIO_PARSE', invalid: 'ERR_SCENARIO_INVALID' },
  semantics: checkSemantics,
});

/** Read, parse and validate a scenario file. Throws ERR_SCENARIO_READ / _PARSE / _INVALID. */
export const loadScenarioFile = (path: string): Readonly<Scenario> => scenarioFile.load(path);

/** Validate a parsed scenario (a deep copy is taken; the input is not changed). */
export const validateScenario = (raw: unknown): Readonly<Scenario> => scenarioFile.validate(raw);

function checkSemantics(s: Scenario): string[] {
  const problems: string[] = [];
  if (parseStartTime(s.startTime, 0) === undefined) problems.push(`startTime: "${s.startTime}" is not a real date`);
  const owner = new Map<string, string>(); // device id or group name → where it came from
  const groupOf = new Map<string, GroupConfig>(); // device id or group name → its group
  s.groups.forEach((g, i) => {
    const name = groupName(g);
    if (owner.has(name)) problems.push(`groups.${i}.name: "${name}" is also ${owner.get(name)}`);
    owner.set(name, `the name of groups.${i}`);
    groupOf.set(name, g);
    const ids = deviceIds(g);
    if (ids.some((id) => id.length > 64)) problems.push(`groups.${i}.idPrefix: ids like ${ids[ids.length - 1]} exceed 64 characters`);
    for (const id of ids) {
      if (owner.has(id)) {
        problems.push(`groups.${i}: device id ${id} is also ${owner.get(id)}`);
        break;
      }
      owner.set(id, `a device of groups.${i}`);
      groupOf.set(id, g);
    }
    if (g.transport === 'modbus' && g.count > MAX_MODBUS_UNITS) problems.push(`groups.${i}.count: a Modbus line has at most ${MAX_MODBUS_UNITS} units; split the group`);
    if (g.modbus && g.transport !== 'modbus') problems.push(`groups.${i}.modbus: only for transport modbus`);
    if (g.serial && g.transport !== 'serial') problems.push(`groups.${i}.serial: only for transport serial`);
    if (!g.serial && g.transport === 'serial') problems.push(`groups.${i}.serial: required for transport serial (at least { framing: ndjson | csv | kv })`);
  });
  s.failures.forEach((f, i) => {
    const g = groupOf.get(f.device);
    if (!g) problems.push(`failures.${i}.device: "${f.device}" is neither a device id nor a group name`);
    const info = FAILURE_MODES[f.mode];
    if (g && !(info.kinds as readonly string[]).includes(g.kind)) problems.push(`failures.${i}.mode: ${f.mode} applies to ${info.kinds.join(', ')} devices; ${f.device} is ${g.kind}`);
    if (g?.transport === 'modbus' && info.acts === 'delivery') {
      problems.push(`failures.${i}.mode: ${f.mode} cannot happen on Modbus (the gateway polls the latest values: no messages, no timestamps); use a signal failure`);
    }
    if (f.skewMs !== undefined && f.mode !== 'clock-skew') problems.push(`failures.${i}.skewMs: only for mode clock-skew`);
    if (s.durationMs !== undefined && f.startMs >= s.durationMs) problems.push(`failures.${i}.startMs: ${f.startMs} is not before the end of the run (durationMs ${s.durationMs})`);
  });
  for (const id of Object.keys(s.gateway.passwords ?? {})) {
    if (!owner.get(id)?.startsWith('a device')) problems.push(`gateway.passwords.${id}: no such device`);
  }
  return problems;
}
