// Benchmark child: the one TCP subscriber of the bare-broker baseline; counts what it receives
// and, once asked for arrivals, records when each paced reading arrived.

import { connectAsync } from 'mqtt';
import { preciseNow } from '../stats.js';
import { onMessage, send } from './child.js';
import type { FromServer, ToServer } from './protocol.js';

const port = Number(process.argv[2]);
let count = 0;
let recordArrivals = false;
const arrivals: Array<[string, number]> = [];
const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-subscriber', reconnectPeriod: 0 });
(client.stream as import('node:net').Socket).setNoDelay(true);
client.on('message', (topic, payload) => {
  count++;
  if (recordArrivals) {
    const at = preciseNow();
    const seq = (JSON.parse(payload.toString()) as { seq: number }).seq;
    arrivals.push([`${topic.slice('sensors/'.length)}:${seq}`, at]);
  }
});
await client.subscribeAsync('sensors/+', { qos: 0 });
onMessage<ToServer>(async (m) => {
  if (m.cmd === 'count') send<FromServer>({ type: 'count', count, rssMB: 0 });
  else if (m.cmd === 'arrivals') {
    send<FromServer>({ type: 'arrivals', arrivals: arrivals.splice(0) });
    recordArrivals = true;
  } else if (m.cmd === 'stop') {
    await client.endAsync(true);
    process.exit(0);
  }
});
send<FromServer>({ type: 'ready', port });
