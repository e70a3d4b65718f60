// Benchmark child: one publisher process with several device connections, publishing QoS 0
// readings either as fast as the socket's backpressure allows or at a fixed rate.

import { connectAsync, type MqttClient } from 'mqtt';
import { preciseNow } from '../stats.js';
import { onMessage, send, sendLast } from './child.js';
import type { FromPublisher, PublisherArgs, ToPublisher } from './protocol.js';

const args = JSON.parse(process.argv[2]!) as PublisherArgs;
const devices = Array.from({ length: args.connections }, (_, i) => `dev-${args.publisher}-${i}`);
const clients: MqttClient[] = await Promise.all(
  devices.map(async (device) => {
    const c = await connectAsync(`mqtt://127.0.0.1:${args.port}`, { clientId: device, reconnectPeriod: 0 });
    (c.stream as import('node:net').Socket).setNoDelay(true);
    return c;
  }),
);
send<FromPublisher>({ type: 'connected' });

let stopped = false;
let sent = 0;
const sends: Array<[string, number]> = [];
const payload = (seq: number) => `{"ts":${Date.now()},"temp":${(60 + (seq % 100) / 10).toFixed(1)},"vib_rms":0.41,"seq":${seq}}`;

/** Wait for the socket to drain, but not past the deadline: a back-pressured broker may never read again. */
function drainOr(socket: import('node:net').Socket, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
    function done() {
      clearTimeout(timer);
      socket.off('drain', done);
      resolve();
    }
    socket.once('drain', done);
  });
}

/** Flood at QoS 1: every connection keeps `inflight` publishes unacknowledged, sending the next as each PUBACK comes. */
async function floodAcked(): Promise<void> {
  const deadline = Date.now() + args.durationMs;
  const window = args.inflight ?? 10;
  await Promise.all(
    clients.map(
      (client, i) =>
        new Promise<void>((resolve) => {
          const topic = `sensors/${devices[i]}`;
          let open = 0;
          const pump = () => {
            while (!stopped && Date.now() < deadline && open < window) {
              open++;
              client.publish(topic, payload(sent++), { qos: 1 }, () => {
                open--;
                pump();
              });
            }
            if (open === 0) resolve();
          };
          pump();
        }),
    ),
  );
}

/** Flood: every connection publishes in a loop, waiting for its socket to drain when full. */
async function flood(): Promise<void> {
  if (args.qos === 1) return floodAcked();
  const deadline = Date.now() + args.durationMs;
  await Promise.all(
    clients.map(async (client, i) => {
      const topic = `sensors/${devices[i]}`;
      const socket = client.stream as import('node:net').Socket;
      while (!stopped && Date.now() < deadline) {
        for (let k = 0; k < 100; k++) client.publish(topic, payload(sent++), { qos: 0 });
        if (socket.writableNeedDrain) await drainOr(socket, deadline);
        else await new Promise((resolve) => setImmediate(resolve));
      }
    }),
  );
}

/** Paced: `ratePerSec` in total, spread over the connections in 5 ms ticks; records send times. */
async function paced(): Promise<void> {
  const start = preciseNow();
  let seq = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = preciseNow() - start;
      if (stopped || elapsed >= args.durationMs) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor((elapsed / 1000) * args.ratePerSec);
      while (seq < due) {
        const i = seq % clients.length;
        sends.push([`${devices[i]}:${seq}`, preciseNow()]);
        clients[i]!.publish(`sensors/${devices[i]}`, payload(seq), { qos: 0 });
        seq++;
        sent++;
      }
    }, 5);
  });
}

onMessage<ToPublisher>(async (m) => {
  if (m.cmd === 'go') {
    await (args.mode === 'flood' ? flood() : paced());
    // Force-close: queued bytes a back-pressured broker never read are not part of the measurement.
    await Promise.all(clients.map((c) => c.endAsync(true)));
    sendLast<FromPublisher>({ type: 'done', sent, sends });
  } else if (m.cmd === 'stop') stopped = true;
});
