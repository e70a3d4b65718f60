// Loads and validates the edge config once, at start-up: defaults from the schema, unknown keys
// rejected, every problem reported with its path, the result frozen.

import { isIP } from 'node:net';
import { codedError } from '../errors/catalogue.js';
import { checkAnalysisConfig } from './analysis-check.js';
import { EdgeConfigSchema, type EdgeConfig } from './schema.js';
import { schemaFile } from './schema-file.js';
import { checkUplinkConfig, uplinkSecurityProblem } from './uplink-schema.js';

const edgeConfig = schemaFile<EdgeConfig>(EdgeConfigSchema, {
  codes: { read: 'ERR_CONFIG_READ', parse: 'ERR_CONFIG_PARSE', invalid: 'ERR_CONFIG_INVALID' },
  semantics: checkSemantics,
  finally: checkSecurity,
});

/** Read, parse and validate a YAML config file. Throws ERR_CONFIG_READ / _PARSE / _INVALID / _INSECURE. */
export const loadConfigFile = (path: string): Readonly<EdgeConfig> => edgeConfig.load(path);

/** Validate an already parsed config object (a deep copy is taken; the input is not changed). */
export const validateConfig = (raw: unknown): Readonly<EdgeConfig> => edgeConfig.validate(raw);

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function checkSemantics(c: EdgeConfig): string[] {
  const problems: string[] = [];
  c.windows.definitions.forEach((w, i) => {
    if (w.kind === 'hopping' && w.slideMs > w.sizeMs) problems.push(`windows.definitions.${i}: slideMs (${w.slideMs}) exceeds sizeMs (${w.sizeMs})`);
  });
  if (!c.mqtt.broker.enabled && !c.mqtt.client && c.serial.length === 0 && c.modbus.length === 0) {
    problems.push('(root): no source is configured (mqtt.broker, mqtt.client, serial or modbus), so no readings can arrive');
  }
  c.serial.forEach((p, i) => {
    if (p.framing === 'csv' && !p.columns) problems.push(`serial.${i}.columns: required for csv framing`);
    if (p.framing === 'csv' && p.columns && !p.device && !p.columns.includes(p.deviceField)) {
      problems.push(`serial.${i}: set device, or name a "${p.deviceField}" column, so each line has a device id`);
    }
    if (p.reconnectMaxMs < p.reconnectInitialMs) problems.push(`serial.${i}.reconnectMaxMs: smaller than reconnectInitialMs`);
  });
  const paths = [...c.serial, ...c.modbus].map((p) => p.path);
  for (const dup of new Set(paths.filter((p, i) => paths.indexOf(p) !== i))) problems.push(`serial/modbus: port ${dup} is configured twice`);
  c.modbus.forEach((p, i) => {
    const ids = p.units.map((u) => u.unitId);
    for (const dup of new Set(ids.filter((id, j) => ids.indexOf(id) !== j))) problems.push(`modbus.${i}.units: unitId ${dup} appears twice`);
    if (p.timeoutMs * (p.retries + 1) * p.units.length > p.pollIntervalMs * 10) {
      problems.push(`modbus.${i}: ${p.units.length} units × ${p.retries + 1} attempts × timeoutMs ${p.timeoutMs} cannot fit in ten poll intervals; raise pollIntervalMs`);
    }
  });
  problems.push(...checkAnalysisConfig(c, { definitions: c.windows.definitions }));
  problems.push(...checkUplinkConfig(c, c.durability.flightRecorderMs));
  if (c.mqtt.broker.tls && c.mqtt.broker.tls.port === c.mqtt.broker.port && c.mqtt.broker.port !== 0) {
    problems.push(`mqtt.broker.tls.port: ${c.mqtt.broker.tls.port} is also the plain port`);
  }
  return problems;
}

function checkSecurity(c: EdgeConfig): void {
  const uplink = uplinkSecurityProblem(c.uplink, isLoopback);
  if (uplink) throw codedError('ERR_CONFIG_INSECURE', [uplink]);
  const b = c.mqtt.broker;
  if (b.enabled && c.auth.allowAnonymous && !isLoopback(b.host)) {
    throw codedError('ERR_CONFIG_INSECURE', [
      `auth.allowAnonymous is true but mqtt.broker.host ${b.host} is reachable from other machines; bind to 127.0.0.1 or configure auth.users`,
    ]);
  }
  if (b.enabled && b.tls && c.auth.allowAnonymous && !b.tls.caFile) {
    throw codedError('ERR_CONFIG_INSECURE', ['auth.allowAnonymous with a TLS listener and no caFile would let anyone on the network publish']);
  }
  if (c.http.enabled && !isLoopback(c.http.host) && !c.http.tokenFile) {
    throw codedError('ERR_CONFIG_INSECURE', [`http.host ${c.http.host} is not loopback, so http.tokenFile is required`]);
  }
}
