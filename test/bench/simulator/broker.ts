// Benchmark child for `simulator`: a bare aedes broker (no gateway code, no subscribers) on port 0
// that counts the PUBLISH packets it received from clients.

import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { onMessage, send } from '../ingest/child.js';

export type ToBroker = { cmd: 'count' } | { cmd: 'stop' };
export type FromBroker = { type: 'ready'; port: number } | { type: 'count'; count: number };

const broker = await Aedes.createBroker();
let count = 0;
broker.on('publish', (_packet, client) => {
  if (client) count++; // aedes also publishes $SYS and will messages itself, with no client
});
const server = createServer((socket) => broker.handle(socket));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
onMessage<ToBroker>((m) => {
  if (m.cmd === 'count') send<FromBroker>({ type: 'count', count });
  // Exit without draining: the measurement is already taken.
  else if (m.cmd === 'stop') process.exit(0);
});
send<FromBroker>({ type: 'ready', port: (server.address() as AddressInfo).port });
