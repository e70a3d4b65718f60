// The data-loss ledger: per class and reason, how many items and bytes left the outbox without
// reaching the cloud, and when the last one did. Cumulative since `since` and kept in LevelDB, so
// it survives restarts and a lost status report loses nothing (the next one carries the totals).
//
// Reasons: `evicted` (the byte budget), `expired` (the class TTL), `rejected` (by the cloud),
// `too_large` (an item no message can carry), `corrupt` (a stored record that cannot be read).

import type { LossEntry } from '../uplink/schemas.js';
import { UPLINK_CLASSES, type UplinkClass } from '../uplink/topics.js';
import type { BatchWriter } from '../store/batch-writer.js';
import type { Sublevel } from '../store/db.js';

export type LossReason = 'evicted' | 'expired' | 'rejected' | 'too_large' | 'corrupt';

interface Row {
  items: number;
  bytes: number;
  lastAt: number;
}

const keyOf = (cls: UplinkClass, reason: string): string => `${cls}/${reason}`;

export class LossLedger {
  readonly #rows = new Map<string, Row>();
  readonly #dirty = new Set<string>();
  #scheduled = false;

  constructor(
    private readonly sublevel: Sublevel,
    private readonly writer: BatchWriter,
  ) {}

  /** Restore the rows written by earlier runs. */
  async load(): Promise<void> {
    for await (const [key, value] of this.sublevel.iterator()) this.#rows.set(key, JSON.parse(value) as Row);
  }

  /** Count `items` items of `bytes` bytes dropped at `at`; written with the next batch (rows touched in one tick are written once). */
  record(cls: UplinkClass, reason: LossReason, items: number, bytes: number, at: number): void {
    const key = keyOf(cls, reason);
    const row = this.#rows.get(key) ?? { items: 0, bytes: 0, lastAt: at };
    row.items += items;
    row.bytes += bytes;
    row.lastAt = Math.max(row.lastAt, at);
    this.#rows.set(key, row);
    this.#dirty.add(key);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.persist());
    }
  }

  /** Hand the rows changed since the last call to the batch writer. */
  persist(): void {
    this.#scheduled = false;
    for (const key of this.#dirty) this.writer.put(this.sublevel, key, JSON.stringify(this.#rows.get(key)));
    this.#dirty.clear();
  }

  /** Every row, as the status report carries them: by class (alert, summary, raw, status), then reason. */
  entries(): LossEntry[] {
    const rows = [...this.#rows].map(([key, row]) => {
      const [cls, reason] = key.split('/') as [UplinkClass, string];
      return { class: cls, reason, items: row.items, bytes: row.bytes, lastAt: row.lastAt };
    });
    return rows.sort((a, b) => UPLINK_CLASSES.indexOf(a.class) - UPLINK_CLASSES.indexOf(b.class) || a.reason.localeCompare(b.reason));
  }

  /** Items dropped for `reason` (all classes when `cls` is omitted). */
  items(reason: LossReason, cls?: UplinkClass): number {
    let n = 0;
    for (const e of this.entries()) if (e.reason === reason && (cls === undefined || e.class === cls)) n += e.items;
    return n;
  }
}
