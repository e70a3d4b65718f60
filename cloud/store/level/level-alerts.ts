// Alerts in LevelDB: one JSON record per id, plus a raisedAt index so listing is newest first
// without reading every alert.

import { alertMatches, applyAlertEvent, applyOperator, byNewest, DEFAULT_ALERT_LIMIT, type OperatorMove } from '../alert-lifecycle.js';
import type { AlertFilter, AlertUpsertResult, CloudAlertEvent, OperatorAction, StoredAlert } from '../contract.js';
import { alertAtKey, END, type Db, type Layout } from './layout.js';
import { read } from './rollup-source.js';
import { writeBatch } from './level-write.js';

export async function upsertAlertsLevel(db: Db, layout: Layout, events: readonly CloudAlertEvent[], now: number): Promise<AlertUpsertResult[]> {
  const ids = [...new Set(events.map((e) => e.id))];
  const values = await read(() => layout.alert.getMany(ids));
  const current = new Map<string, StoredAlert>();
  values.forEach((v, i) => v !== undefined && current.set(ids[i]!, JSON.parse(v) as StoredAlert));
  const existed = new Set(current.keys());
  const changed = new Set<string>();
  const results: AlertUpsertResult[] = events.map((e) => {
    const { outcome, alert } = applyAlertEvent(current.get(e.id), e, now);
    if (outcome === 'inserted' || outcome === 'replaced') {
      current.set(e.id, alert);
      changed.add(e.id);
    }
    return { id: e.id, revision: e.revision, outcome, state: alert.state };
  });
  await writeBatch(
    db,
    [...changed].flatMap((id) => {
      const a = current.get(id)!;
      const put = { type: 'put' as const, sublevel: layout.alert, key: id, value: JSON.stringify(a) };
      return existed.has(id) ? [put] : [put, { type: 'put' as const, sublevel: layout.alertAt, key: alertAtKey(a.event.raisedAt, id), value: '' }];
    }),
  );
  return results;
}

export async function operatorLevel(db: Db, layout: Layout, id: string, move: OperatorMove, action: OperatorAction, now: number): Promise<StoredAlert> {
  const held = await getAlert(layout, id);
  const alert = applyOperator(id, held, move, action, now);
  await writeBatch(db, [{ type: 'put', sublevel: layout.alert, key: id, value: JSON.stringify(alert) }]);
  return alert;
}

export async function getAlert(layout: Layout, id: string): Promise<StoredAlert | undefined> {
  const v = await read(() => layout.alert.get(id));
  return v === undefined ? undefined : (JSON.parse(v) as StoredAlert);
}

export async function listAlertsLevel(layout: Layout, filter: AlertFilter): Promise<StoredAlert[]> {
  const limit = filter.limit ?? DEFAULT_ALERT_LIMIT;
  const gte = filter.from === undefined ? '' : alertAtKey(filter.from, '');
  const lt = filter.to === undefined ? END : alertAtKey(filter.to, '');
  const out: StoredAlert[] = [];
  const it = layout.alertAt.keys({ gte, lt, reverse: true });
  try {
    for (;;) {
      const keys = await read(() => it.nextv(500));
      if (keys.length === 0) break;
      const values = await read(() => layout.alert.getMany(keys.map((k) => k.slice(k.indexOf('\u0000') + 1))));
      for (const v of values) {
        if (v === undefined) continue;
        const a = JSON.parse(v) as StoredAlert;
        if (alertMatches(a, filter)) out.push(a);
      }
      if (out.length >= limit) break;
    }
  } finally {
    await it.close();
  }
  return out.sort(byNewest).slice(0, limit);
}
