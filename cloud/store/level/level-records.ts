// The LevelDB store's smaller records — the gateway and device registry (held in memory too, as
// every ingest batch looks devices up) and dead letters — and the summary and series queries.

import { RollupBucket } from '../../rollup/bucket.js';
import { bucketKey, bucketStartOf } from '../../rollup/series.js';
import type {
  DeadLetterInput, DeadLetterQuery, DeviceRecord, DeviceUpdate, GatewayRecord, GatewayUpdate, RollupRecord, SeriesPoint, SeriesQuery, StoredDeadLetter, StoredSummary, SummaryQuery,
} from '../contract.js';
import { pointOf, recordOf } from '../points.js';
import { mergeAll, mergeDevice, mergeGateway } from '../registry-merge.js';
import { writeBatch, type Db, type Keyspace } from './keyspace.js';
import { decodeSummary } from '../summary-codec.js';
import { devPrefix, END, json, seqKey, sumKey, type Layout } from './layout.js';

export async function loadRegistry<R>(space: Keyspace): Promise<Map<string, R>> {
  return new Map((await space.all()).map(([k, v]) => [k, json<R>(v)]));
}

/** Merge updates into the in-memory registry `held` and write the results. */
export async function upsertRegistryLevel<U extends { readonly id: string }, R>(db: Db, space: Keyspace, held: Map<string, R>, updates: readonly U[], merge: (h: R | undefined, u: U) => R): Promise<void> {
  const next = mergeAll(updates, held, merge);
  await writeBatch(db, [...next].map(([id, r]) => space.put(id, JSON.stringify(r))));
  for (const [id, r] of next) held.set(id, r);
}

export const upsertGatewaysLevel = (db: Db, layout: Layout, held: Map<string, GatewayRecord>, updates: readonly GatewayUpdate[]) => upsertRegistryLevel(db, layout.gw, held, updates, mergeGateway);
export const upsertDevicesLevel = (db: Db, layout: Layout, held: Map<string, DeviceRecord>, updates: readonly DeviceUpdate[]) => upsertRegistryLevel(db, layout.device, held, updates, mergeDevice);

interface DeadLetterJson extends Omit<StoredDeadLetter, 'bytes'> {
  readonly bytes: string;
}

/** Returns the next sequence number. */
export async function addDeadLettersLevel(db: Db, layout: Layout, next: number, entries: readonly DeadLetterInput[]): Promise<number> {
  const ops = entries.map((e, i) => {
    const bytes = Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength).toString('base64');
    const record: DeadLetterJson = { ...e, seq: next + i, bytes };
    return layout.dead.put(seqKey(next + i), JSON.stringify(record));
  });
  await writeBatch(db, ops);
  return next + entries.length;
}

export async function nextDeadLetterSeq(layout: Layout): Promise<number> {
  const [last] = await layout.dead.all({ reverse: true, limit: 1 });
  return last === undefined ? 0 : Number(last[0]) + 1;
}

export async function deadLettersLevel(layout: Layout, q: DeadLetterQuery): Promise<StoredDeadLetter[]> {
  const limit = q.limit ?? 100;
  const out: StoredDeadLetter[] = [];
  for await (const chunk of layout.dead.chunks({ reverse: (q.order ?? 'newest') === 'newest' }, 500)) {
    for (const [, v] of chunk) {
      const d = json<DeadLetterJson>(v);
      if ((q.reason === undefined || d.reason === q.reason) && (q.gateway === undefined || d.gateway === q.gateway)) out.push({ ...d, bytes: Buffer.from(d.bytes, 'base64') });
      if (out.length >= limit) return out;
    }
  }
  return out;
}

export async function summariesLevel(layout: Layout, q: SummaryQuery): Promise<StoredSummary[]> {
  const limit = q.limit ?? 1000;
  const keep = (s: StoredSummary) => !s.retracted && (q.metric === undefined || s.metric === q.metric) && (q.gateway === undefined || s.gateway === q.gateway);
  if (q.device !== undefined) {
    // The device index narrows the scan; its keys name the summaries to read.
    const prefix = q.metric === undefined ? `${q.device}\u0000` : devPrefix(q.device, q.metric);
    const wanted = (await layout.dev.all({ gte: prefix, lt: prefix + END }))
      .map(([k]) => {
        const parts = k.split('\u0000');
        return { start: Number(parts[2]), id: parts[3]! };
      })
      .filter((k) => k.start >= q.from && k.start < q.to)
      .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
    const values = await layout.sum.getMany(wanted.map((k) => sumKey(k.start, k.id)));
    return values.flatMap((v) => (v === undefined ? [] : [decodeSummary(v)])).filter(keep);
  }
  const out: StoredSummary[] = [];
  for await (const chunk of layout.sum.chunks({ gte: sumKey(q.from, ''), lt: sumKey(q.to, '') })) {
    for (const [, v] of chunk) {
      const s = decodeSummary(v);
      if (keep(s)) out.push(s);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

export async function seriesLevel(layout: Layout, accuracy: number, q: SeriesQuery): Promise<SeriesPoint[]> {
  const series = { scope: q.scope, metric: q.metric };
  const entries = await layout.roll.all({ gte: bucketKey(series, q.resolutionMs, q.from), lt: bucketKey(series, q.resolutionMs, q.to) });
  return entries.map(([key, value]) => pointOf(RollupBucket.decode(bucketStartOf(key), accuracy, value)));
}

export async function* rollupsLevel(layout: Layout, accuracy: number): AsyncGenerator<RollupRecord> {
  for await (const chunk of layout.roll.chunks()) for (const [key, value] of chunk) yield recordOf(key, RollupBucket.decode(bucketStartOf(key), accuracy, value));
}
