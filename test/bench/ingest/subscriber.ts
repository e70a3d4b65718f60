// Benchmark child: the one TCP subscriber of the bare-broker baseline; counts what it receives.

import { connectAsync } from 'mqtt';
import { onMessage, send } from './child.js';
import type { FromServer, ToServer } from './protocol.js';

const port = Number(process.argv[2]);
let count = 0;
const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-subscriber', reconnectPeriod: 0 });
(client.stream as import('node:net').Socket).setNoDelay(true);
client.on('message', () => count++);
await client.subscribeAsync('sensors/+', { qos: 0 });
onMessage<ToServer>(async (m) => {
  if (m.cmd === 'count') send<FromServer>({ type: 'count', count, rssMB: 0 });
  else if (m.cmd === 'stop') {
    await client.endAsync(true);
    process.exit(0);
  }
});
send<FromServer>({ type: 'ready', port });
