// Turns `mqtt.client` config into MQTT.js options: secrets and certificates read from their files,
// a stable client id for the persistent session, and a URL safe to log.

import { hostname } from 'node:os';
import type { IClientOptions } from 'mqtt';
import type { EdgeConfig } from '../../config/schema.js';
import { readConfiguredFile, readSecretFile } from '../../config/read-file.js';

export type ClientConfig = NonNullable<EdgeConfig['mqtt']['client']>;

/** The MQTT.js options for `config`, without reconnect or timing settings (the source owns those). */
export async function clientOptions(config: ClientConfig): Promise<IClientOptions> {
  const password = config.passwordFile ? await readSecretFile(config.passwordFile, 'broker password') : undefined;
  return {
    clientId: config.clientId ?? defaultClientId(),
    // MQTT 3.1.1 §3.1.2.4: a persistent session keeps our subscription, and QoS 1 messages
    // published while we were away, at the broker until we reconnect.
    clean: false,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(config.caFile ? { ca: await readConfiguredFile(config.caFile, 'TLS CA') } : {}),
    ...(config.certFile ? { cert: await readConfiguredFile(config.certFile, 'TLS client certificate') } : {}),
    ...(config.keyFile ? { key: await readConfiguredFile(config.keyFile, 'TLS client key') } : {}),
  };
}

/** `url` with any user name and password removed, for names and log lines. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable url)';
  }
}

// MQTT 3.1.1 §3.1.3.1: every server accepts 1-23 characters of [0-9a-zA-Z]; a persistent session
// needs the same id on every start, so derive it from the host name rather than at random.
function defaultClientId(): string {
  return `tributary${hostname().replace(/[^0-9a-zA-Z]/g, '')}`.slice(0, 23);
}


