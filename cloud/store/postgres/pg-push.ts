// The PostgreSQL store's config and model push records: desired entries by target and slot, model
// bytes by SHA-256, each gateway's push record. Changes take the push lock, so workers merging
// records for one gateway, or replacing desired entries, do not interleave.

import type pg from 'pg';
import type { DesiredEntry, PushRecord, PushSlot, PushTarget, PushUpdate } from '../contract.js';
import { byTargetThenSlot, mergePushRecord, slotOf } from '../push-merge.js';
import { LOCKS } from './migrations.js';
import { inTransaction, q } from './pg-sql.js';

export async function desiredPg(pool: pg.Pool): Promise<DesiredEntry[]> {
  return (await q<{ entry: DesiredEntry }>(pool, 'listing desired pushes', 'SELECT entry FROM push_desired')).rows.map((r) => r.entry).sort(byTargetThenSlot);
}

/** Put or delete one desired entry, and delete the bytes no desired model names any more. */
export async function changeDesiredPg(pool: pg.Pool, change: { put: DesiredEntry; onnx?: Uint8Array } | { del: { target: PushTarget; slot: PushSlot } }): Promise<boolean> {
  return inTransaction(pool, 'storing a desired push', LOCKS.push, async (client) => {
    let changed = true;
    if ('put' in change) {
      const e = change.put;
      if (e.kind === 'model') {
        await q(client, 'storing model bytes', 'INSERT INTO push_models (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING', [e.sha256, Buffer.from(change.onnx!)]);
      }
      await q(client, 'storing a desired push', 'INSERT INTO push_desired (target, slot, entry) VALUES ($1, $2, $3) ON CONFLICT (target, slot) DO UPDATE SET entry = EXCLUDED.entry', [e.target, slotOf(e), JSON.stringify(e)]);
    } else {
      changed = (await q(client, 'deleting a desired push', 'DELETE FROM push_desired WHERE target = $1 AND slot = $2', [change.del.target, change.del.slot])).rowCount! > 0;
    }
    await q(client, 'deleting unused model bytes', "DELETE FROM push_models WHERE sha256 NOT IN (SELECT entry->>'sha256' FROM push_desired WHERE entry->>'kind' = 'model')");
    return changed;
  });
}

export async function modelBytesPg(pool: pg.Pool, sha256: string): Promise<Buffer | undefined> {
  return (await q<{ bytes: Buffer }>(pool, 'reading model bytes', 'SELECT bytes FROM push_models WHERE sha256 = $1', [sha256])).rows[0]?.bytes;
}

export async function upsertPushRecordsPg(pool: pg.Pool, updates: readonly PushUpdate[]): Promise<PushRecord[]> {
  if (updates.length === 0) return [];
  return inTransaction(pool, 'storing push records', LOCKS.push, async (client) => {
    const gateways = [...new Set(updates.map((u) => u.gateway))];
    const { rows } = await q<{ gateway: string; record: PushRecord }>(client, 'reading push records', 'SELECT gateway, record FROM push_gateways WHERE gateway = ANY($1::text[])', [gateways]);
    const next = new Map<string, PushRecord | undefined>(rows.map((r) => [r.gateway, r.record]));
    for (const u of updates) next.set(u.gateway, mergePushRecord(next.get(u.gateway), u));
    const records = gateways.map((g) => next.get(g)!);
    await q(
      client,
      'storing push records',
      'INSERT INTO push_gateways (gateway, record) SELECT * FROM unnest($1::text[], $2::jsonb[]) ON CONFLICT (gateway) DO UPDATE SET record = EXCLUDED.record',
      [records.map((r) => r.gateway), records.map((r) => JSON.stringify(r))],
    );
    return records;
  });
}

export async function pushRecordsPg(pool: pg.Pool): Promise<PushRecord[]> {
  return (await q<{ record: PushRecord }>(pool, 'listing push records', 'SELECT record FROM push_gateways ORDER BY gateway')).rows.map((r) => r.record);
}
