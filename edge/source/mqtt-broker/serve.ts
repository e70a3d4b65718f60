// Puts an aedes broker on the network: the TLS files a listener config names, aedes's error events
// to the log, and the listeners that hand each accepted connection to aedes, counted in the broker
// metrics. Shared by the gateway's device broker and any other embedded broker.

import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Aedes } from 'aedes';
import type { Logger } from 'pino';
import { readConfiguredFile } from '../../config/read-file.js';
import { Listeners } from './listeners.js';
import { withoutPacketNumberCache } from './packet-writer.js';
import type { BrokerMetrics } from './metrics.js';

export interface BrokerListenerConfig {
  readonly host: string;
  readonly port: number;
  readonly noDelay: boolean;
  readonly maxConnections: number;
  readonly tls?: { readonly port: number; readonly certFile: string; readonly keyFile: string; readonly caFile?: string };
}

/** Listeners for `aedes` as `c` says (not yet open). Throws ERR_FILE_READ for a TLS file it cannot read. */
export async function brokerListeners(aedes: Aedes, c: BrokerListenerConfig, log: Logger, m: BrokerMetrics): Promise<Listeners> {
  withoutPacketNumberCache();
  const tls = c.tls && {
    port: c.tls.port,
    cert: await readConfiguredFile(c.tls.certFile, 'TLS certificate'),
    key: await readConfiguredFile(c.tls.keyFile, 'TLS key'),
    ...(c.tls.caFile ? { ca: await readConfiguredFile(c.tls.caFile, 'TLS CA') } : {}),
  };
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'MQTT client error'));
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'MQTT connection error'));
  // Persistence failures surface as 'error', which aedes's typings leave out; unhandled, it would crash us.
  (aedes as EventEmitter).on('error', (err: unknown) => log.error({ err }, 'MQTT broker error'));
  return new Listeners({
    host: c.host,
    port: c.port,
    noDelay: c.noDelay,
    maxConnections: c.maxConnections,
    ...(tls ? { tls } : {}),
    log,
    onConnection: (stream: Socket, kind) => {
      m.connectionsTotal.labels(kind).inc();
      aedes.handle(stream);
    },
    onRefused: (reason) => m.connectionsRefused.labels(reason).inc(),
    onTlsError: (err) => {
      m.authFailures.labels('tls_handshake').inc();
      log.debug({ err: err.message }, 'TLS handshake failed');
    },
  });
}
