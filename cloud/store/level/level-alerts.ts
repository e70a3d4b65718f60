// Alerts in LevelDB: one JSON record per id, plus a raisedAt index so listing is newest first
// without reading every alert.

import { alertMatches, announceWhileWriting, applyOperator, byNewest, decideAlertEvents, DEFAULT_ALERT_LIMIT, type OperatorMove } from '../alert-lifecycle.js';
import type { AlertFilter, AlertUpsertResult, CloudAlertEvent, OperatorAction, StoredAlert } from '../contract.js';
import { writeBatch, type Db, type LevelOp } from './keyspace.js';
import { alertAtKey, END, json, type Layout } from './layout.js';

/**
 * Runs in the store's alert queue, so the records read are those the previous upsert wrote. They are
 * read on the event loop: the read is on the live path of every alert (`onDecided`).
 */
export async function upsertAlertsLevel(db: Db, layout: Layout, events: readonly CloudAlertEvent[], now: number, onDecided?: (results: readonly AlertUpsertResult[]) => void): Promise<AlertUpsertResult[]> {
  const ids = [...new Set(events.map((e) => e.id))];
  const current = new Map<string, StoredAlert>();
  layout.alert.getManySync(ids).forEach((v, i) => v !== undefined && current.set(ids[i]!, json<StoredAlert>(v)));
  const existed = new Set(current.keys());
  const { results, changed } = decideAlertEvents(current, events, now);
  const ops: LevelOp[] = [];
  for (const id of changed) {
    const a = current.get(id)!;
    ops.push(layout.alert.put(id, JSON.stringify(a)));
    if (!existed.has(id)) ops.push(layout.alertAt.put(alertAtKey(a.event.raisedAt, id), ''));
  }
  return announceWhileWriting(results, writeBatch(db, ops), onDecided);
}

export async function operatorLevel(db: Db, layout: Layout, id: string, move: OperatorMove, action: OperatorAction, now: number): Promise<StoredAlert> {
  const alert = applyOperator(id, await getAlert(layout, id), move, action, now);
  await writeBatch(db, [layout.alert.put(id, JSON.stringify(alert))]);
  return alert;
}

export async function getAlert(layout: Layout, id: string): Promise<StoredAlert | undefined> {
  const v = await layout.alert.get(id);
  return v === undefined ? undefined : json<StoredAlert>(v);
}

export async function listAlertsLevel(layout: Layout, filter: AlertFilter): Promise<StoredAlert[]> {
  const limit = filter.limit ?? DEFAULT_ALERT_LIMIT;
  const range = { gte: filter.from === undefined ? '' : alertAtKey(filter.from, ''), lt: filter.to === undefined ? END : alertAtKey(filter.to, ''), reverse: true };
  const out: StoredAlert[] = [];
  for await (const chunk of layout.alertAt.chunks(range, 500)) {
    for (const v of await layout.alert.getMany(chunk.map(([k]) => k.slice(k.indexOf('\u0000') + 1)))) {
      if (v === undefined) continue;
      const a = json<StoredAlert>(v);
      if (alertMatches(a, filter)) out.push(a);
    }
    if (out.length >= limit) break;
  }
  return out.sort(byNewest).slice(0, limit);
}
