// MQTT.js options for the uplink from its config: the token and certificates read from their files
// (never logged), a stable client id and a persistent session, so acknowledgements published
// while the gateway was away wait for it at the broker.

import type { IClientOptions } from 'mqtt';
import type { UplinkConfig } from '../config/uplink-schema.js';
import { readConfiguredFile, readSecretFile } from '../config/read-file.js';

/** The client id when none is configured: stable per gateway, which a persistent session needs. */
export const defaultUplinkClientId = (gateway: string): string => `tributary-${gateway}`;

/** Throws ERR_FILE_READ naming the file that cannot be read. */
export async function uplinkClientOptions(config: UplinkConfig, gateway: string): Promise<IClientOptions> {
  const password = config.tokenFile ? await readSecretFile(config.tokenFile, 'uplink token') : undefined;
  return {
    clientId: config.clientId ?? defaultUplinkClientId(gateway),
    // MQTT 3.1.1 §3.1.2.4: the broker keeps our subscription and the QoS 1 acks sent while we were away.
    clean: false,
    protocolVersion: 4,
    // Reconnects are the uplink's own (a fresh client each time, with backoff on the injected clock).
    reconnectPeriod: 0,
    resubscribe: false,
    connectTimeout: config.connectTimeoutMs,
    keepalive: config.keepaliveSeconds,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(config.caFile ? { ca: await readConfiguredFile(config.caFile, 'uplink TLS CA') } : {}),
    ...(config.certFile ? { cert: await readConfiguredFile(config.certFile, 'uplink TLS client certificate') } : {}),
    ...(config.keyFile ? { key: await readConfiguredFile(config.keyFile, 'uplink TLS client key') } : {}),
  };
}
