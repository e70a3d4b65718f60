// Storing alert events and telling the rest of the worker: every alert an upsert inserted or moved
// is emitted on the bus as the upsert stored it (not read back: one store round trip less on the
// alert path) (`alert`), where the live stream and the webhook hear it.
// Ingest (gateway events) and the cloud's own rules both record through here.

import type { CloudContext } from '../service/context.js';
import type { AlertUpsertResult, CloudAlertEvent, StoredAlert } from '../store/contract.js';

export interface Recorded {
  readonly results: AlertUpsertResult[];
  /** The alerts that changed, as stored now, in the order of their first event. */
  readonly changed: StoredAlert[];
}

export async function recordAlertEvents(ctx: Pick<CloudContext, 'store' | 'bus'>, events: readonly CloudAlertEvent[]): Promise<Recorded> {
  if (events.length === 0) return { results: [], changed: [] };
  const results = await ctx.store.upsertAlerts(events);
  const byId = new Map<string, StoredAlert>();
  for (const r of results) if (r.outcome === 'inserted' || r.outcome === 'replaced') byId.set(r.id, r.alert);
  const changed = [...byId.values()];
  for (const a of changed) ctx.bus.emit('alert', a);
  return { results, changed };
}
