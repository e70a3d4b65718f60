// Loads and validates a scenario once, before anything connects: defaults from the schema,
// unknown keys refused, every problem reported together with its path, the result frozen.

import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { codedError } from '../../edge/errors/catalogue.js';
import { FAILURE_MODES } from '../failures/modes.js';
import { deviceIds, groupName, parseStartTime } from './plan.js';
import { ScenarioSchema, type GroupConfig, type Scenario } from './schema.js';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false, allowUnionTypes: true, verbose: true });
const validate = ajv.compile<Scenario>(ScenarioSchema);

/** Modbus Serial Line V1.02 §2.2: unit addresses 1-247 on one line. */
const MAX_MODBUS_UNITS = 247;

/** Read, parse and validate a scenario file. Throws ERR_SCENARIO_READ / _PARSE / _INVALID. */
export function loadScenarioFile(path: string): Readonly<Scenario> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw codedError('ERR_SCENARIO_READ', [path], { cause: err });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw codedError('ERR_SCENARIO_PARSE', [path, (err as Error).message], { cause: err });
  }
  return validateScenario(raw ?? {});
}

/** Validate a parsed scenario (a deep copy is taken; the input is not changed). */
export function validateScenario(raw: unknown): Readonly<Scenario> {
  const scenario = structuredClone(raw);
  if (!validate(scenario)) fail(describe(validate.errors ?? []));
  const problems = checkSemantics(scenario);
  if (problems.length) fail(problems);
  return deepFreeze(scenario);
}

function fail(problems: string[]): never {
  throw codedError('ERR_SCENARIO_INVALID', [problems.length, problems.map((p) => `  - ${p}`).join('\n')]);
}

function describe(errors: ErrorObject[]): string[] {
  const out = new Set<string>();
  for (const e of errors) {
    // A union's branches each report `const`; the union's own error below says it better.
    if (e.keyword === 'const' || (e.keyword === 'type' && e.schemaPath.includes('/anyOf/'))) continue;
    const path = e.instancePath === '' ? '(root)' : e.instancePath.slice(1).replace(/\//g, '.');
    if (e.keyword === 'additionalProperties') {
      out.add(`${path}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`);
    } else if (e.keyword === 'anyOf') {
      const allowed = (e.schema as Array<{ const?: unknown }>).map((s) => s.const);
      out.add(allowed.every((a) => a !== undefined) ? `${path}: must be one of ${allowed.join(', ')}` : `${path}: matches none of the allowed forms`);
    } else {
      out.add(`${path}: ${e.message ?? e.keyword}`);
    }
  }
  return [...out];
}

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

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
