// The outbox: what waits to go to the cloud, kept in LevelDB: alert events ahead of everything
// else, then summaries, each oldest first. (The uplink that drains it, byte budgets, eviction
// order and acknowledgement arrive with issue #5.)

import type { AlertEvent } from '../alert/alert.js';
import type { Summary } from '../features/summary.js';
import type { BoundedLog, LogEntry } from '../store/bounded-log.js';

export type OutboxItem = { readonly class: 'alert'; readonly entry: LogEntry<AlertEvent> } | { readonly class: 'summary'; readonly entry: LogEntry<Summary> };

export class Outbox {
  constructor(
    private readonly summaries: BoundedLog<Summary>,
    private readonly alerts: BoundedLog<AlertEvent>,
  ) {}

  /** Queue a summary (every revision is queued; the cloud keeps the highest per id). */
  addSummary(summary: Summary): void {
    this.summaries.append(summary);
  }

  /** Queue an alert event (every event is queued; the cloud keeps the highest revision per id). */
  addAlert(event: AlertEvent): void {
    this.alerts.append(event);
  }

  /** Summaries held. */
  get size(): number {
    return this.summaries.size;
  }

  get alertCount(): number {
    return this.alerts.size;
  }

  list(limit: number, order: 'newest' | 'oldest' = 'newest'): Promise<Array<LogEntry<Summary>>> {
    return this.summaries.list(limit, order);
  }

  listAlerts(limit: number, order: 'newest' | 'oldest' = 'newest'): Promise<Array<LogEntry<AlertEvent>>> {
    return this.alerts.list(limit, order);
  }

  /** The next `limit` items to send, in sending order: every alert event before any summary, oldest first. */
  async next(limit: number): Promise<OutboxItem[]> {
    const alerts = await this.alerts.list(limit, 'oldest');
    const out: OutboxItem[] = alerts.map((entry) => ({ class: 'alert', entry }));
    if (out.length < limit) for (const entry of await this.summaries.list(limit - out.length, 'oldest')) out.push({ class: 'summary', entry });
    return out;
  }
}
