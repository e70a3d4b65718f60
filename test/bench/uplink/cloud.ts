// Benchmark child: the cloud's side of the uplink benchmark — a plain aedes broker on loopback and
// the acknowledging peer — in a process of its own, so the gateway's process measures only itself.

import { AckPeer } from '../../helpers/ack-peer.js';
import { startPlainBroker } from '../../helpers/mqtt.js';
import { onMessage, send } from '../ingest/child.js';

export type ToCloud = { cmd: 'arrivals'; ids: string[] } | { cmd: 'stop' };
export type FromCloud = { type: 'ready'; port: number } | { type: 'arrivals'; arrivals: Array<[string, number]> };

const broker = await startPlainBroker();
const peer = await AckPeer.start({ url: `mqtt://127.0.0.1:${broker.port}`, clientId: 'cloud-peer' });

onMessage<ToCloud>(async (m) => {
  if (m.cmd === 'arrivals') {
    // First arrival of each id asked for.
    const first = new Map<string, number>();
    for (const a of peer.arrivals) for (const i of a.items) if (!first.has(i.id)) first.set(i.id, a.at);
    send<FromCloud>({ type: 'arrivals', arrivals: m.ids.flatMap((id) => (first.has(id) ? [[id, first.get(id)!] as [string, number]] : [])) });
  } else {
    await peer.close();
    await broker.close();
    process.exit(0);
  }
});
send<FromCloud>({ type: 'ready', port: broker.port });
