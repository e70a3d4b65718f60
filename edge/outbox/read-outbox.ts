// Reading a stopped gateway's outbox straight from LevelDB (`tributary edge inspect`, `tributary
// train --data-dir`): a running gateway holds the database lock, so it answers over HTTP instead.

import type { Db } from '../store/db.js';
import type { UplinkItems } from '../uplink/protocol.js';
import type { UplinkClass } from '../uplink/topics.js';
import { outboxItems } from './outbox.js';
import { classRange, decodeItem, parseItemKey, readHeader } from './item-codec.js';

export interface StoredItem<C extends UplinkClass> {
  readonly seq: number;
  /** Gateway clock when queued (ms since the epoch). */
  readonly queuedAt: number;
  readonly item: UplinkItems[C];
}

/** The items of one class waiting in the outbox, oldest or newest first (at most `limit`), and how many there are. */
export async function readOutbox<C extends UplinkClass>(db: Db, cls: C, limit: number, order: 'newest' | 'oldest' = 'newest'): Promise<{ size: number; entries: Array<StoredItem<C>> }> {
  const items = outboxItems(db);
  const range = classRange(cls);
  let size = 0;
  for await (const _key of items.keys(range)) size++;
  const entries: Array<StoredItem<C>> = [];
  for await (const [key, value] of items.iterator({ ...range, reverse: order === 'newest', limit: Number.isFinite(limit) ? limit : -1 })) {
    entries.push({ seq: parseItemKey(key).seq, queuedAt: readHeader(value).queuedAt, item: decodeItem(cls, value) });
  }
  return { size, entries };
}
