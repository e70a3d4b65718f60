// A fleet slice for fault tests, in its own process: each device sends `count` readings at QoS 1,
// one in flight at a time, and moves on only once the reading is acknowledged. When the gateway
// goes away the device reconnects with a fresh session and sends the unacknowledged reading again,
// as a device with a persistent outbound queue does. Prints, as one JSON line, how many readings
// each device had acknowledged.
//
//   node qos1-publisher.js <url> <first device> <devices> <count> <paceMs> <t0>

import { connect as mqttConnect, type MqttClient } from 'mqtt';

const [url = '', firstArg = '0', devicesArg = '1', countArg = '1', paceArg = '100', t0Arg = '0'] = process.argv.slice(2);
const first = Number(firstArg);
const devices = Number(devicesArg);
const count = Number(countArg);
const pace = Number(paceArg);
const t0 = Number(t0Arg);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publish and wait for the PUBACK; reject if the connection is or goes down first, or after 10 s. */
function publishAcked(client: MqttClient, topic: string, payload: string): Promise<void> {
  if (!client.connected) return Promise.reject(new Error('not connected'));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      client.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onClose = () => done(new Error('closed'));
    const timer = setTimeout(() => done(new Error('no PUBACK within 10 s')), 10_000);
    client.once('close', onClose);
    client.publish(topic, payload, { qos: 1 }, (err) => done(err ?? undefined));
  });
}

/** One connection attempt: resolves on CONNACK, rejects on any error or close first. */
function connectOnce(id: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqttConnect(url, { clientId: id, reconnectPeriod: 0, connectTimeout: 2000, clean: true });
    const fail = (err: Error) => {
      client.removeAllListeners('connect');
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      client.off('error', fail);
      client.on('error', () => {}); // later errors surface as 'close', which publishAcked handles
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', () => fail(new Error('closed before CONNACK')));
  });
}

async function connect(id: string): Promise<MqttClient> {
  for (;;) {
    try {
      return await connectOnce(id);
    } catch {
      await sleep(100 + Math.random() * 200);
    }
  }
}

async function device(n: number): Promise<number> {
  const id = `dev-${String(n).padStart(4, '0')}`;
  let acked = 0;
  await sleep(Math.random() * pace);
  while (acked < count) {
    const client = await connect(id);
    try {
      while (acked < count) {
        // Event time: one reading a second from t0; the values make every reading distinct.
        await publishAcked(client, `sensors/${id}`, JSON.stringify({ ts: t0 + acked * 1000, v: acked, d: n }));
        acked++;
        await sleep(pace);
      }
    } catch {
      // The gateway went away: reconnect and send the unacknowledged reading again.
    } finally {
      await client.endAsync(true).catch(() => {});
    }
  }
  return acked;
}

const results = await Promise.all(Array.from({ length: devices }, (_, i) => device(first + i).then((acked) => [`dev-${String(first + i).padStart(4, '0')}`, acked] as const)));
process.stdout.write(`${JSON.stringify(Object.fromEntries(results))}\n`);
