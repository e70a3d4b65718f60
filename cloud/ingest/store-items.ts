// Stores the items of one decoded message by class and says which to acknowledge and which to
// reject. Items the store already holds (unchanged, stale) are acknowledged too: the cloud has
// them. Refused for good (the gateway drops them): summaries whose id does not fit their window
// (`invalid`) and windows too old to keep (`expired`). What changed goes out on the bus.

import type { AlertEvent } from '../../edge/alert/alert.js';
import { summaryId, type Summary } from '../../edge/features/summary.js';
import type { Clock } from '../../edge/clock/clock.js';
import type { AckRef, RawSnippet, Reject, StatusReport, UplinkBatch, UplinkClass } from '../../edge/uplink/protocol.js';
import { recordAlertEvents } from '../alerts/record.js';
import type { CloudBus } from '../service/context.js';
import type { CloudStore, GatewayUpdate, IngestResult, StoredSummary } from '../store/contract.js';
import { isNewerStatus } from '../store/registry-merge.js';
import type { IngestMetrics } from './ingest-metrics.js';
import type { RegistryTouch } from './registry-touch.js';

export interface ItemsContext {
  readonly store: CloudStore;
  readonly registry: RegistryTouch;
  readonly bus: CloudBus;
  readonly metrics: IngestMetrics;
  readonly clock: Clock;
}

export interface Answer {
  readonly acks: AckRef[];
  readonly rejects: Reject[];
}

/** Store a message's valid items; resolves once they are durable. Rejects (throws) when the store fails. */
export function storeItems(ctx: ItemsContext, batch: UplinkBatch): Promise<Answer> {
  switch (batch.class) {
    case 'summary':
      return storeSummaries(ctx, batch.gateway, batch.items);
    case 'alert':
      return storeAlerts(ctx, batch.items);
    case 'raw':
      return storeRaw(ctx, batch.items);
    case 'status':
      return storeStatus(ctx, batch.gateway, batch.items);
  }
}

const ref = (cls: UplinkClass, item: { id: string; revision: number }): AckRef => ({ class: cls, id: item.id, rev: item.revision });

async function storeSummaries(ctx: ItemsContext, gateway: string, items: readonly Summary[]): Promise<Answer> {
  const rejects: Reject[] = [];
  const good: Summary[] = [];
  for (const s of items) {
    // The id is the store's key with the window start: one that does not fit its window would de-duplicate against the wrong one.
    if (s.id === summaryId(s.gateway, s.device, s.metric, s.window.kind, s.window.start, s.window.size) && s.window.end > s.window.start) good.push(s);
    else {
      rejects.push({ ...ref('summary', s), reason: 'invalid', detail: 'id does not match the window (gateway, device, metric, kind, start, size), or the window ends before it starts' });
      ctx.metrics.item('summary', 'invalid').inc();
    }
  }
  if (good.length === 0) return { acks: [], rejects };
  const now = ctx.clock.now();
  await ctx.registry.beforeSummaries(gateway, good.map((s) => s.device), now);
  const results = await ctx.store.ingestSummaries(good);
  const acks: AckRef[] = [];
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    ctx.metrics.item('summary', r.outcome).inc();
    if (r.outcome === 'expired') rejects.push({ class: 'summary', id: r.id, rev: r.revision, reason: 'expired', detail: 'the window is older than the cloud keeps summaries (store.retention.summariesMs)' });
    else acks.push({ class: 'summary', id: r.id, rev: r.revision });
  }
  if (ctx.bus.listenerCount('summaries') > 0) {
    const stored = storedOf(ctx, good, results, now);
    if (stored.length > 0) ctx.bus.emit('summaries', stored);
  }
  return { acks, rejects };
}

/** The summaries a batch inserted or replaced, as stored (placed by the registry as the store placed them). */
function storedOf(ctx: ItemsContext, items: readonly Summary[], results: readonly IngestResult[], now: number): StoredSummary[] {
  const out: StoredSummary[] = [];
  results.forEach((r, i) => {
    if (r.outcome !== 'inserted' && r.outcome !== 'replaced') return;
    const s = items[i]!;
    out.push({ ...s, ...ctx.registry.placeOf(s.device, s.gateway), rolledUp: r.rolledUp, receivedAt: now });
  });
  return out;
}

async function storeAlerts(ctx: ItemsContext, items: readonly AlertEvent[]): Promise<Answer> {
  const { results } = await recordAlertEvents(ctx, items);
  for (const r of results) ctx.metrics.item('alert', r.outcome).inc();
  return { acks: items.map((a) => ref('alert', a)), rejects: [] };
}

async function storeRaw(ctx: ItemsContext, items: readonly RawSnippet[]): Promise<Answer> {
  const results = await ctx.store.putRawSnippets(items);
  for (const r of results) ctx.metrics.item('raw', r.outcome).inc();
  return { acks: items.map((s) => ref('raw', s)), rejects: [] };
}

async function storeStatus(ctx: ItemsContext, gateway: string, items: readonly StatusReport[]): Promise<Answer> {
  const now = ctx.clock.now();
  // In sequence order, so the store ends with the newest whatever order they came in.
  const updates: GatewayUpdate[] = [...items]
    .sort((a, b) => a.seq - b.seq)
    .map(({ id: _id, revision: _revision, gateway: _gateway, ...status }) => ({
      id: gateway,
      lastSeen: now,
      backlog: status.backlog.summary.items,
      // The report's own field names: what cloud/alerts/loss-ledger.ts reads.
      lossLedger: { lossSince: status.lossSince, loss: status.loss },
      status,
    }));
  // Only for the counts: what the registry held before (another worker may change it meanwhile).
  let held = (await ctx.store.gateways()).find((g) => g.id === gateway)?.status;
  await ctx.store.upsertGateways(updates);
  for (const { status } of updates) {
    const outcome = held === undefined ? 'inserted' : isNewerStatus(status!, held) ? 'replaced' : status!.seq === held.seq && status!.lossSince === held.lossSince ? 'unchanged' : 'stale';
    ctx.metrics.item('status', outcome).inc();
    if (outcome === 'inserted' || outcome === 'replaced') held = status;
  }
  if (ctx.bus.listenerCount('gateway') > 0) {
    const record = (await ctx.store.gateways()).find((g) => g.id === gateway);
    if (record) ctx.bus.emit('gateway', record);
  }
  return { acks: items.map((s) => ref('status', s)), rejects: [] };
}
