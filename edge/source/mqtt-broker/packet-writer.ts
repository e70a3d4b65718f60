// MQTT packets are written by mqtt-packet, which aedes (our brokers) and MQTT.js (the uplink, the
// MQTT client source) share: one copy in node_modules, one process-wide switch. Left alone, the
// first packet written builds a cache of a 2-byte Buffer for each of the 65,536 numbers a packet id
// or a topic length may take: 65,536 Buffer objects, 6.5 MB of V8 heap held for the process's life
// (a gateway held to 150 MB; docs on memory). Without it, writing a number allocates its two bytes.

import { createRequire } from 'node:module';

/** Turn mqtt-packet's number cache off; must run before the first packet is written. Idempotent. */
export function withoutPacketNumberCache(): void {
  // The copy aedes writes with: resolved from aedes, whose dependency it is (MQTT.js shares it).
  const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'));
  const { writeToStream } = fromAedes('mqtt-packet') as typeof import('mqtt-packet');
  writeToStream.cacheNumbers = false;
}
