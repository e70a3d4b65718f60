// Loads and validates the cloud config once, at start-up, as the edge does: defaults from the
// schema, unknown keys refused, every problem reported together with its path, the result frozen.
// Then the secure defaults: nothing listens beyond this machine without a way to authenticate.

import { isLoopback } from '../../edge/config/load.js';
import { schemaFile } from '../../edge/config/schema-file.js';
import { assertValidHash } from '../../edge/auth/password.js';
import { codedError } from '../../edge/errors/catalogue.js';
import { checkStoreConfig } from '../store/config.js';
import { CloudConfigSchema, type CloudConfig } from './schema.js';

const cloudConfig = schemaFile<CloudConfig>(CloudConfigSchema, {
  codes: { read: 'ERR_CONFIG_READ', parse: 'ERR_CONFIG_PARSE', invalid: 'ERR_CONFIG_INVALID' },
  semantics: checkSemantics,
  finally: checkSecurity,
});

/** Read, parse and validate a YAML cloud config. Throws ERR_CONFIG_READ / _PARSE / _INVALID / _INSECURE. */
export const loadCloudConfig = (path: string): Readonly<CloudConfig> => cloudConfig.load(path);

/** Validate an already parsed cloud config (a deep copy is taken; the input is not changed). */
export const validateCloudConfig = (raw: unknown): Readonly<CloudConfig> => cloudConfig.validate(raw);

function checkSemantics(c: CloudConfig): string[] {
  const problems = checkStoreConfig(c.store, 'store.');
  const b = c.mqtt.broker;
  if (b.enabled && c.mqtt.client) problems.push('mqtt: both mqtt.broker and mqtt.client are set; choose one (set mqtt.broker.enabled: false to consume from mqtt.client)');
  if (!b.enabled && !c.mqtt.client) problems.push('mqtt: no ingest is configured (mqtt.broker is disabled and mqtt.client is absent), so no gateway can deliver anything');
  if (b.enabled && b.tls && b.tls.port === b.port && b.port !== 0) problems.push(`mqtt.broker.tls.port: ${b.tls.port} is also the plain port`);
  for (const [id, g] of Object.entries(c.gateways)) {
    if (g.tokenHash === undefined) {
      if (b.enabled) problems.push(`gateways.${id}.tokenHash: required with the embedded broker, or the gateway can never connect`);
    } else if (!validHash(g.tokenHash, id)) {
      problems.push(`gateways.${id}.tokenHash: not a valid scrypt hash (make one with \`tributary edge hash-password\`)`);
    }
  }
  for (const [name, u] of Object.entries(c.users)) {
    if (!validHash(u.passwordHash, name)) problems.push(`users.${name}.passwordHash: not a valid scrypt hash (make one with \`tributary edge hash-password\`)`);
  }
  const client = c.mqtt.client;
  if (client) {
    if (hasCredentials(client.url)) problems.push('mqtt.client.url: carries a user name or password; use mqtt.client.username and passwordFile');
    if (client.passwordFile && client.username === undefined) problems.push('mqtt.client.passwordFile: needs mqtt.client.username');
    if (client.reconnectMaxMs < client.reconnectInitialMs) problems.push('mqtt.client.reconnectMaxMs: smaller than reconnectInitialMs');
  }
  if (c.ingest.maxDecompressedBytes < c.ingest.maxMessageBytes) problems.push('ingest.maxDecompressedBytes: smaller than ingest.maxMessageBytes');
  return problems;
}

function checkSecurity(c: CloudConfig): void {
  const b = c.mqtt.broker;
  if (b.enabled && Object.keys(c.gateways).length === 0 && !isLoopback(b.host)) {
    throw codedError('ERR_CONFIG_INSECURE', [
      `mqtt.broker.host ${b.host} is reachable from other machines but no gateways are configured: bind to 127.0.0.1, or list the gateways with their tokenHash`,
    ]);
  }
  if (c.db !== undefined && passwordOf(c.db) !== '') {
    throw codedError('ERR_CONFIG_INSECURE', ['db carries a password; give it in PGPASSWORD or ~/.pgpass instead, so the config file holds no secret']);
  }
  if (!isLoopback(c.http.host) && Object.keys(c.users).length === 0) {
    throw codedError('ERR_CONFIG_INSECURE', [`http.host ${c.http.host} is reachable from other machines but no users are configured: bind to 127.0.0.1, or add users`]);
  }
}

/**
 * Settings that are allowed but weaken security, one line each, for the log at start-up:
 * secrets that would cross the network in clear.
 */
export function cloudConfigWarnings(c: CloudConfig): string[] {
  const warnings: string[] = [];
  const b = c.mqtt.broker;
  if (b.enabled && !isLoopback(b.host)) {
    warnings.push(`mqtt.broker listens on ${b.host}:${b.port} without TLS: gateway tokens and data cross the network in clear; add mqtt.broker.tls and have gateways use mqtts://${b.tls ? ' (the TLS listener is there: consider binding the plain one to 127.0.0.1)' : ''}`);
  }
  const client = c.mqtt.client;
  if (client && client.url.startsWith('mqtt://') && !isLoopback(hostOf(client.url))) warnings.push(`mqtt.client.url ${client.url} is not TLS: the broker password and data cross the network in clear; use mqtts://`);
  if (!isLoopback(c.http.host) && !c.http.tls) warnings.push(`http listens on ${c.http.host} without TLS: passwords and sessions cross the network in clear; add http.tls`);
  return warnings;
}

function validHash(hash: string, who: string): boolean {
  try {
    assertValidHash(hash, who);
    return true;
  } catch {
    return false;
  }
}

function hasCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

function passwordOf(url: string): string {
  try {
    return new URL(url).password;
  } catch {
    return '';
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return '';
  }
}
