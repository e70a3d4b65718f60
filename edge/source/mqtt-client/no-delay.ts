// TCP_NODELAY on an MQTT.js client's socket, for its first connection and every reconnection.
//
// MQTT.js opens its TCP and TLS sockets with Nagle's algorithm on. A small packet written while an
// earlier one is still unacknowledged by TCP then waits for the peer's delayed ACK, 40 ms on Linux:
// an alert event on the uplink, a PUBACK, an ack to a gateway. The e2e benchmark showed it as a
// tail of alerts that spent 40-45 ms between the gateway and the cloud's broker at any moment.
// The brokers' own sockets already have it (`noDelay` in their listener configs).

import type { MqttClient } from 'mqtt';

/** Set TCP_NODELAY on `client`'s socket now and on each new socket it connects with. */
export function keepNoDelay(client: MqttClient): void {
  const set = (): void => {
    // A TCP or TLS socket; other transports (WebSocket streams) have no such switch.
    (client.stream as { setNoDelay?: (noDelay: boolean) => unknown } | undefined)?.setNoDelay?.(true);
  };
  set();
  client.on('connect', set);
}
