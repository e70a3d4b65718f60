// Alerts in PostgreSQL: the lifecycle decided in JS (alert-lifecycle.ts) under an advisory lock,
// so two workers receiving events of one alert apply them one after the other; filters in SQL.

import type pg from 'pg';
import { announceWhileWriting, applyOperator, decideAlertEvents, DEFAULT_ALERT_LIMIT, type OperatorMove } from '../alert-lifecycle.js';
import type { AlertFilter, AlertUpsertResult, CloudAlertEvent, OperatorAction, StoredAlert } from '../contract.js';
import { LOCKS } from './migrations.js';
import { inTransaction, q, type Queryable } from './pg-sql.js';

export async function upsertAlertsPg(pool: pg.Pool, events: readonly CloudAlertEvent[], now: number, onDecided?: (results: readonly AlertUpsertResult[]) => void): Promise<AlertUpsertResult[]> {
  if (events.length === 0) return [];
  return inTransaction(pool, 'storing alerts', LOCKS.alerts, async (client) => {
    const current = await alertsById(client, [...new Set(events.map((e) => e.id))]);
    const { results, changed } = decideAlertEvents(current, events, now);
    return announceWhileWriting(results, putAlerts(client, [...changed].map((id) => current.get(id)!)), onDecided);
  });
}

export async function operatorPg(pool: pg.Pool, id: string, move: OperatorMove, action: OperatorAction, now: number): Promise<StoredAlert> {
  return inTransaction(pool, `alert ${move}`, LOCKS.alerts, async (client) => {
    const alert = applyOperator(id, (await alertsById(client, [id])).get(id), move, action, now);
    await putAlerts(client, [alert]);
    return alert;
  });
}

export async function alertsById(db: Queryable, ids: readonly string[]): Promise<Map<string, StoredAlert>> {
  const { rows } = await q<{ alert: StoredAlert }>(db, 'reading alerts', 'SELECT alert FROM alerts WHERE id = ANY($1::text[])', [ids]);
  return new Map(rows.map((r) => [r.alert.id, r.alert]));
}

async function putAlerts(client: pg.ClientBase, alerts: readonly StoredAlert[]): Promise<void> {
  if (alerts.length === 0) return;
  await q(
    client,
    'storing alerts',
    `INSERT INTO alerts (id, raised_at, state, gateway, device, severity, resolved_at, alert)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::jsonb[])
     ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, resolved_at = EXCLUDED.resolved_at, severity = EXCLUDED.severity, alert = EXCLUDED.alert`,
    [
      alerts.map((a) => a.id),
      alerts.map((a) => a.event.raisedAt),
      alerts.map((a) => a.state),
      alerts.map((a) => a.event.gateway),
      alerts.map((a) => a.event.device),
      alerts.map((a) => a.event.severity),
      alerts.map((a) => (a.state === 'resolved' ? (a.resolved?.at ?? null) : null)),
      alerts.map((a) => JSON.stringify(a)),
    ],
  );
}

export async function listAlertsPg(pool: pg.Pool, f: AlertFilter): Promise<StoredAlert[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: (p: string) => string, v: unknown) => {
    values.push(v);
    where.push(sql(`$${values.length}`));
  };
  const list = <T>(v: T | readonly T[]) => (Array.isArray(v) ? v : [v]);
  if (f.state !== undefined) add((p) => `state = ANY(${p}::text[])`, list(f.state));
  if (f.severity !== undefined) add((p) => `severity = ANY(${p}::text[])`, list(f.severity));
  if (f.device !== undefined) add((p) => `device = ${p}`, f.device);
  if (f.gateway !== undefined) add((p) => `gateway = ${p}`, f.gateway);
  if (f.from !== undefined) add((p) => `raised_at >= ${p}`, f.from);
  if (f.to !== undefined) add((p) => `raised_at < ${p}`, f.to);
  values.push(f.limit ?? DEFAULT_ALERT_LIMIT);
  const { rows } = await q<{ alert: StoredAlert }>(
    pool,
    'listing alerts',
    `SELECT alert FROM alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY raised_at DESC, id LIMIT $${values.length}`,
    values,
  );
  return rows.map((r) => r.alert);
}
