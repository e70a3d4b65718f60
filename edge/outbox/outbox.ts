// The outbox: summaries waiting to go to the cloud, oldest first, kept in LevelDB.
// (The uplink that drains it, per-class budgets and acknowledgement arrive with issue #5.)

import type { Summary } from '../features/summary.js';
import type { BoundedLog, LogEntry } from '../store/bounded-log.js';

export class Outbox {
  constructor(private readonly summaries: BoundedLog<Summary>) {}

  /** Queue a summary (every revision is queued; the cloud keeps the highest per id). */
  addSummary(summary: Summary): void {
    this.summaries.append(summary);
  }

  get size(): number {
    return this.summaries.size;
  }

  list(limit: number, order: 'newest' | 'oldest' = 'newest'): Promise<Array<LogEntry<Summary>>> {
    return this.summaries.list(limit, order);
  }
}
