// The outbox's metrics: what it holds per class, its byte budget, and every item that left it
// other than by acknowledgement, by class and reason.

import type { CounterChild, Registry } from '../observe/metrics.js';
import { UPLINK_CLASSES, type UplinkClass } from '../uplink/topics.js';
import type { LossReason } from './loss-ledger.js';

export interface OutboxView {
  readonly maxBytes: number;
  classStats(cls: UplinkClass): { items: number; bytes: number; oldestAt: number | null };
  now(): number;
}

export interface OutboxMetrics {
  readonly queued: Record<UplinkClass, CounterChild>;
  readonly acked: Record<UplinkClass, CounterChild>;
  readonly superseded: Record<UplinkClass, CounterChild>;
  readonly duplicates: Record<UplinkClass, CounterChild>;
  dropped(cls: UplinkClass, reason: LossReason): CounterChild;
  readonly bytesWritten: CounterChild;
}

/** A counter labelled by class, with its four children resolved once (hot paths bump them). */
export function classCounter(r: Registry, name: string, help: string): Record<UplinkClass, CounterChild> {
  const counter = r.counter(name, help, ['class']);
  return Object.fromEntries(UPLINK_CLASSES.map((c) => [c, counter.labels(c)])) as Record<UplinkClass, CounterChild>;
}

export function outboxMetrics(r: Registry, view: OutboxView): OutboxMetrics {
  const p = 'tributary_outbox';
  r.gauge(`${p}_items`, 'Items waiting for the cloud, by class', ['class'], (g) => {
    for (const c of UPLINK_CLASSES) g.set(view.classStats(c).items, c);
  });
  r.gauge(`${p}_bytes`, 'Bytes of the budget held, by class (keys and values handed to LevelDB)', ['class'], (g) => {
    for (const c of UPLINK_CLASSES) g.set(view.classStats(c).bytes, c);
  });
  r.gauge(`${p}_budget_bytes`, 'The byte budget all classes share (outbox.maxBytes)', [], (g) => g.set(view.maxBytes));
  r.gauge(`${p}_oldest_unsent_age_seconds`, 'Age of the oldest item not yet acknowledged, by class (0 when none waits)', ['class'], (g) => {
    const now = view.now();
    for (const c of UPLINK_CLASSES) {
      const at = view.classStats(c).oldestAt;
      g.set(at === null ? 0 : Math.max(0, (now - at) / 1000), c);
    }
  });
  const evicted = r.counter(`${p}_evicted_total`, 'Items dropped before the cloud acknowledged them, by class and reason (evicted, expired, rejected, too_large, corrupt): the loss ledger', ['class', 'reason']);
  return {
    queued: classCounter(r, `${p}_queued_total`, 'Items queued, by class'),
    acked: classCounter(r, `${p}_acked_total`, 'Items released by an acknowledgement from the cloud, by class'),
    superseded: classCounter(r, `${p}_superseded_total`, 'Unsent items replaced by a newer revision of the same id (not a loss: the cloud keeps the newest), by class'),
    duplicates: classCounter(r, `${p}_duplicates_total`, 'Items not queued because the same id and revision (or a newer one) already waits, by class'),
    dropped: (cls, reason) => evicted.labels(cls, reason),
    bytesWritten: r.counter(`${p}_bytes_written_total`, 'Bytes of keys and values the outbox handed to LevelDB').labels(),
  };
}
