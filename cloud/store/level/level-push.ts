// The LevelDB store's config and model push records: desired entries by target and slot, model
// bytes by SHA-256, and each gateway's push record (what it runs, what was sent to it).
//
//   pushd!  <target>\0<slot>  → DesiredEntry JSON
//   pushm!  <sha256>          → ONNX bytes
//   pushg!  <gateway>         → PushRecord JSON

import type { DesiredEntry, PushRecord, PushSlot, PushTarget, PushUpdate } from '../contract.js';
import { byTargetThenSlot, mergePushRecord, slotOf } from '../push-merge.js';
import { writeBatch, type Db, type LevelOp } from './keyspace.js';
import { json, type Layout } from './layout.js';

const desiredKey = (target: PushTarget, slot: PushSlot): string => `${target}\u0000${slot}`;

export async function desiredLevel(layout: Layout): Promise<DesiredEntry[]> {
  return (await layout.pushd.all()).map(([, v]) => json<DesiredEntry>(v)).sort(byTargetThenSlot);
}

/** Put or delete one desired entry, and delete the bytes no desired model names any more. */
export async function changeDesiredLevel(db: Db, layout: Layout, change: { put: DesiredEntry; onnx?: Uint8Array } | { del: { target: PushTarget; slot: PushSlot } }): Promise<boolean> {
  const held = await desiredLevel(layout);
  const key = 'put' in change ? desiredKey(change.put.target, slotOf(change.put)) : desiredKey(change.del.target, change.del.slot);
  const existed = held.some((e) => desiredKey(e.target, slotOf(e)) === key);
  if ('del' in change && !existed) return false;
  const kept = held.filter((e) => desiredKey(e.target, slotOf(e)) !== key);
  const ops: LevelOp[] = [];
  if ('put' in change) {
    kept.push(change.put);
    ops.push(layout.pushd.put(key, JSON.stringify(change.put)));
    if (change.put.kind === 'model') ops.push(layout.pushm.put(change.put.sha256, Buffer.from(change.onnx!)));
  } else {
    ops.push(layout.pushd.del(key));
  }
  const wanted = new Set(kept.flatMap((e) => (e.kind === 'model' ? [e.sha256] : [])));
  for (const [sha] of await layout.pushm.all()) if (!wanted.has(sha)) ops.push(layout.pushm.del(sha));
  await writeBatch(db, ops);
  return true;
}

export async function upsertPushRecordsLevel(db: Db, layout: Layout, updates: readonly PushUpdate[]): Promise<PushRecord[]> {
  const gateways = [...new Set(updates.map((u) => u.gateway))];
  const held = await layout.pushg.getMany(gateways);
  const next = new Map(gateways.map((g, i) => [g, held[i] === undefined ? undefined : json<PushRecord>(held[i]!)] as const));
  for (const u of updates) next.set(u.gateway, mergePushRecord(next.get(u.gateway), u));
  const records = gateways.map((g) => next.get(g)!);
  await writeBatch(db, records.map((r) => layout.pushg.put(r.gateway, JSON.stringify(r))));
  return records;
}

export async function pushRecordsLevel(layout: Layout): Promise<PushRecord[]> {
  return (await layout.pushg.all()).map(([, v]) => json<PushRecord>(v));
}
