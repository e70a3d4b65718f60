// Child process of the `cloud` benchmark: a fleet of simulated gateways, each with its own MQTT
// connection and token, sending real protocol batches (gzip, as the gateway does) of window
// summaries to the cloud and waiting for its acks. Batches are made and encoded before the start,
// so during the run this process only writes bytes and reads acks, as gateways on other machines would.

import type { Summary } from '../../../edge/features/summary.js';
import { prng } from '../../helpers/prng.js';
import { noisyValues, windowSummary } from '../../helpers/summaries.js';
import { encodeMessages, UplinkSender, type OutMessage } from '../../helpers/uplink-sender.js';
import { onMessage, send, sendLast } from '../ingest/child.js';

export interface FleetArgs {
  readonly url: string;
  readonly tokens: Record<string, string>;
  readonly devicesPerGateway: number;
  readonly metrics: readonly string[];
  readonly windows: number;
  readonly windowMs: number;
  readonly batch: number;
  readonly t0: number;
}

export type FromFleet =
  | { type: 'ready'; messages: number; summaries: number; payloadBytes: number }
  | { type: 'done'; latenciesMs: number[]; resends: number; rejected: number; ackMessages: number };

/** Gateway `gateway`'s outbox in order: window instant, then device, then metric. */
function gatewayOutbox(gateway: string, g: number, a: FleetArgs): Summary[] {
  const out: Summary[] = [];
  for (let w = 0; w < a.windows; w++) {
    for (let d = 0; d < a.devicesPerGateway; d++) {
      a.metrics.forEach((metric, m) => {
        const random = prng((((g * a.windows + w) * a.devicesPerGateway + d) * a.metrics.length + m) >>> 0);
        out.push(windowSummary({ gateway, device: `${gateway}-dev-${d}`, metric, start: a.t0 + w * a.windowMs, size: a.windowMs, values: noisyValues(random, 10, 50 + d, 5) }));
      });
    }
  }
  return out;
}

const args = JSON.parse(process.argv[2]!) as FleetArgs;
const gateways = Object.keys(args.tokens);
const outboxes = new Map<string, OutMessage[]>();
let summaries = 0;
gateways.forEach((gateway, g) => {
  const items = gatewayOutbox(gateway, g, args);
  summaries += items.length;
  outboxes.set(gateway, encodeMessages(gateway, 'summary', items, args.batch));
});
const senders = await Promise.all(gateways.map((gateway) => UplinkSender.connect({ url: args.url, gateway, token: args.tokens[gateway]!, maxInFlight: 8, ackTimeoutMs: 60_000 })));
const all = [...outboxes.values()].flat();
send<FromFleet>({ type: 'ready', messages: all.length, summaries, payloadBytes: all.reduce((n, m) => n + m.payload.length, 0) });

onMessage<{ cmd: string }>(async (m) => {
  if (m.cmd !== 'go') return;
  await Promise.all(senders.map((s, i) => s.send(outboxes.get(gateways[i]!)!)));
  const done: FromFleet = {
    type: 'done',
    latenciesMs: senders.flatMap((s) => s.latenciesMs),
    resends: senders.reduce((n, s) => n + s.resends, 0),
    rejected: senders.reduce((n, s) => n + s.rejected.length, 0),
    ackMessages: senders.reduce((n, s) => n + s.acks.length, 0),
  };
  await Promise.all(senders.map((s) => s.close()));
  sendLast(done);
});
