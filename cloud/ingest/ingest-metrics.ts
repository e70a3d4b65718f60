// The ingest's metrics on the worker's registry: messages, items by class and outcome, dead letters
// by reason, store failures, ack latency and the messages being worked on. Hot-path children are
// resolved once, so counting an item allocates nothing.

import type { Counter, CounterChild, Histogram, Registry } from '../../edge/observe/metrics.js';
import { UPLINK_CLASSES, type UplinkClass } from '../../edge/uplink/topics.js';

/** What became of one item: the store's outcomes, or refused (`invalid`, `expired`), or not stored (`failed`). */
export type ItemOutcome = 'inserted' | 'replaced' | 'unchanged' | 'stale' | 'retracted' | 'expired' | 'invalid' | 'failed';

export const ITEM_OUTCOMES: readonly ItemOutcome[] = ['inserted', 'replaced', 'unchanged', 'stale', 'retracted', 'expired', 'invalid', 'failed'];

export interface IngestMetrics {
  readonly messages: Record<UplinkClass | 'unknown', CounterChild>;
  readonly bytes: CounterChild;
  item(cls: UplinkClass, outcome: ItemOutcome): CounterChild;
  readonly deadLetters: Counter;
  readonly failures: Counter;
  readonly acks: CounterChild;
  readonly ackSeconds: Histogram;
}

export function ingestMetrics(registry: Registry, inFlight: () => number): IngestMetrics {
  const p = 'tributary_cloud';
  const messages = registry.counter(`${p}_messages_total`, 'Messages received from gateways, by the class their topic names (unknown: not an uplink topic)', ['class']);
  const items = registry.counter(`${p}_items_total`, 'Items by class and outcome (inserted, replaced, unchanged, stale, retracted; refused: expired, invalid; failed: not stored, not acknowledged)', ['class', 'outcome']);
  const children = new Map<string, CounterChild>();
  for (const c of UPLINK_CLASSES) for (const o of ITEM_OUTCOMES) children.set(`${c}/${o}`, items.labels(c, o));
  registry.gauge(`${p}_ingest_in_flight`, 'Messages received and not yet acknowledged (the ingest queue depth)', [], (g) => g.set(inFlight()));
  return {
    messages: Object.fromEntries([...UPLINK_CLASSES, 'unknown'].map((c) => [c, messages.labels(c)])) as IngestMetrics['messages'],
    bytes: registry.counter(`${p}_received_bytes_total`, 'Payload bytes of those messages, as received (compressed or not)').labels(),
    item: (cls, outcome) => children.get(`${cls}/${outcome}`)!,
    deadLetters: registry.counter(`${p}_dead_letters_total`, 'Messages refused as a whole and kept as dead letters, by reason', ['reason']),
    failures: registry.counter(`${p}_store_failures_total`, 'Messages whose items could not be stored (not acknowledged: the gateway sends them again), by class', ['class']),
    acks: registry.counter(`${p}_acks_sent_total`, 'Acknowledgement messages published to gateways').labels(),
    ackSeconds: registry.histogram(`${p}_ack_seconds`, 'From a message arriving to its acknowledgement being published, i.e. once its items are durable (seconds)', [
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]),
  };
}
