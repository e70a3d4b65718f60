// The embedded broker's metrics, registered once per broker on the gateway's registry.
// Hot-path children (messages, bytes) are resolved here so counting a message allocates nothing.

import type { Counter, CounterChild, Registry } from '../../observe/metrics.js';

/** Which listener a connection arrived on (a label value). */
export type ListenerKind = 'tcp' | 'tls';

/**
 * Why a client was refused at CONNECT or during the TLS handshake (a label value).
 * `client_id_taken`: the client id names a session another user holds (a broker that binds sessions to users).
 */
export type AuthFailureReason = 'missing_credentials' | 'unknown_user' | 'bad_password' | 'bad_hash' | 'tls_handshake' | 'client_id_taken';

/** Live values the gauges read at scrape time. */
export interface BrokerGaugeSources {
  connections(kind: ListenerKind): number;
  /** Messages held by pause() and not yet handed to the pipeline. */
  held(): number;
  /** Bytes received into client sockets but not yet read by the broker (non-zero while paused). */
  unreadBytes(): number;
}

export interface BrokerMetrics {
  readonly connectionsTotal: Counter;
  readonly connectionsRefused: Counter;
  readonly authFailures: Counter;
  readonly publishesDenied: Counter;
  readonly subscribesDenied: CounterChild;
  readonly messages: CounterChild;
  readonly bytes: CounterChild;
}

export function brokerMetrics(registry: Registry, live: BrokerGaugeSources): BrokerMetrics {
  const p = 'tributary_mqtt_broker';
  registry.gauge(`${p}_connections`, 'Client connections open now, by listener (tcp, tls)', ['listener'], (g) => {
    g.set(live.connections('tcp'), 'tcp');
    g.set(live.connections('tls'), 'tls');
  });
  registry.gauge(`${p}_messages_held`, 'Messages held while the source is paused', [], (g) => g.set(live.held()));
  registry.gauge(`${p}_unread_bytes`, 'Bytes waiting unread in client sockets (grows while the source is paused)', [], (g) => g.set(live.unreadBytes()));
  return {
    connectionsTotal: registry.counter(`${p}_connections_total`, 'Client connections accepted, by listener (tcp, tls)', ['listener']),
    connectionsRefused: registry.counter(`${p}_connections_refused_total`, 'Connections dropped before MQTT, by reason (max_connections)', ['reason']),
    authFailures: registry.counter(`${p}_auth_failures_total`, 'Clients refused at CONNECT or the TLS handshake, by reason (missing_credentials, unknown_user, bad_password, bad_hash, tls_handshake, client_id_taken)', ['reason']),
    publishesDenied: registry.counter(`${p}_publishes_denied_total`, 'PUBLISH packets refused by the topic ACL (the client is disconnected), by reason (unauthenticated, bad_topic; other_device on the gateway, other_gateway on the cloud)', ['reason']),
    subscribesDenied: registry.counter(`${p}_subscribes_denied_total`, 'SUBSCRIBE requests refused (this broker is ingest-only)').labels(),
    messages: registry.counter(`${p}_messages_received_total`, 'Authorised PUBLISH packets handed to the pipeline').labels(),
    bytes: registry.counter(`${p}_received_bytes_total`, 'Payload bytes of those messages').labels(),
  };
}
