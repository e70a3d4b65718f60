// The uplink's metrics: connection, messages and items sent, acknowledged, rejected and sent
// again by class, payload bytes, acks ignored by reason, and what is in flight.

import type { CounterChild, Histogram, Registry } from '../observe/metrics.js';
import { classCounter } from '../outbox/metrics.js';
import { UPLINK_CLASSES, type UplinkClass } from './topics.js';

export interface UplinkView {
  connected(): boolean;
  inFlightBatches(): number;
  inFlightItems(cls: UplinkClass): number;
  tokens(): number;
}

export interface UplinkMetrics {
  readonly sent: Record<UplinkClass, CounterChild>;
  readonly batches: Record<UplinkClass, CounterChild>;
  readonly bytes: Record<UplinkClass, CounterChild>;
  readonly acked: Record<UplinkClass, CounterChild>;
  readonly rejected: Record<UplinkClass, CounterChild>;
  readonly retransmitted: Record<UplinkClass, CounterChild>;
  acksIgnored(reason: string): CounterChild;
  downIgnored(kind: string): CounterChild;
  readonly connects: CounterChild;
  readonly disconnects: CounterChild;
  readonly ackTimeouts: CounterChild;
  readonly ackSeconds: Histogram;
}

export function uplinkMetrics(r: Registry, view: UplinkView): UplinkMetrics {
  const p = 'tributary_uplink';
  r.gauge(`${p}_connected`, "Whether the uplink is connected to the cloud's broker and subscribed to its acks (1) or not (0)", [], (g) => g.set(view.connected() ? 1 : 0));
  r.gauge(`${p}_in_flight_batches`, 'Messages sent and not yet fully acknowledged', [], (g) => g.set(view.inFlightBatches()));
  r.gauge(`${p}_in_flight_items`, 'Items sent and not yet acknowledged, by class', ['class'], (g) => {
    for (const c of UPLINK_CLASSES) g.set(view.inFlightItems(c), c);
  });
  r.gauge(`${p}_budget_tokens_bytes`, 'Bytes the bandwidth budget allows now (negative: paying back a large message; 0 with no budget)', [], (g) => g.set(view.tokens()));
  const acksIgnored = r.counter(`${p}_acks_ignored_total`, 'Acks ignored, by reason: unknown_id (an id the outbox does not hold) or why the message did not decode', ['reason']);
  const downIgnored = r.counter(`${p}_down_ignored_total`, 'Messages on the down topics not handled, by kind (config and model: the gateway runs without push)', ['kind']);
  return {
    sent: classCounter(r, `${p}_sent_items_total`, 'Items sent (each copy), by class'),
    batches: classCounter(r, `${p}_sent_batches_total`, 'Messages sent, by class'),
    bytes: classCounter(r, `${p}_sent_bytes_total`, 'Payload bytes sent (after compression), by class'),
    acked: classCounter(r, `${p}_acked_total`, 'Items acknowledged by the cloud, by class'),
    rejected: classCounter(r, `${p}_rejected_total`, 'Items the cloud rejected for good (counted in the loss ledger), by class'),
    retransmitted: classCounter(r, `${p}_retransmitted_total`, 'Items sent again after an ack timeout or a lost connection, by class'),
    acksIgnored: (reason) => acksIgnored.labels(reason),
    downIgnored: (kind) => downIgnored.labels(kind),
    connects: r.counter(`${p}_connects_total`, "Connections established to the cloud's broker").labels(),
    disconnects: r.counter(`${p}_disconnects_total`, 'Connections lost or refused').labels(),
    ackTimeouts: r.counter(`${p}_ack_timeouts_total`, 'Messages whose items were not all acknowledged within ackTimeoutMs').labels(),
    ackSeconds: r.histogram(`${p}_ack_seconds`, 'Time from sending a message to its last item being acknowledged', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]),
  };
}
