// The LevelDB store's smaller records: the gateway and device registry (held in memory too, as
// every ingest batch looks devices up), dead letters, and the summary and series queries.

import type { DeadLetterInput, DeadLetterQuery, DeviceRecord, DeviceUpdate, GatewayRecord, GatewayUpdate, RollupRecord, SeriesPoint, SeriesQuery, StoredDeadLetter, StoredSummary, SummaryQuery } from '../contract.js';
import { RollupBucket } from '../../rollup/bucket.js';
import { bucketKey } from '../../rollup/series.js';
import { pointOf, recordOf } from '../points.js';
import { mergeAll, mergeDevice, mergeGateway } from '../registry-merge.js';
import { devPrefix, END, seqKey, sumKey, type Db, type Layout } from './layout.js';
import { writeBatch } from './level-write.js';
import { read } from './rollup-source.js';

export async function loadRegistry<R>(level: Layout['gw'] | Layout['device']): Promise<Map<string, R>> {
  const entries = await read(() => level.iterator().all());
  return new Map(entries.map(([k, v]) => [k, JSON.parse(v) as R]));
}

export async function upsertGatewaysLevel(db: Db, layout: Layout, held: Map<string, GatewayRecord>, updates: readonly GatewayUpdate[]): Promise<void> {
  const next = mergeAll(updates, held, mergeGateway);
  await writeBatch(db, [...next.values()].map((g) => ({ type: 'put' as const, sublevel: layout.gw, key: g.id, value: JSON.stringify(g) })));
  for (const [id, g] of next) held.set(id, g);
}

export async function upsertDevicesLevel(db: Db, layout: Layout, held: Map<string, DeviceRecord>, updates: readonly DeviceUpdate[]): Promise<void> {
  const next = mergeAll(updates, held, mergeDevice);
  await writeBatch(db, [...next.values()].map((d) => ({ type: 'put' as const, sublevel: layout.device, key: d.id, value: JSON.stringify(d) })));
  for (const [id, d] of next) held.set(id, d);
}

interface DeadLetterJson extends Omit<StoredDeadLetter, 'bytes'> {
  readonly bytes: string;
}

/** Returns the next sequence number. */
export async function addDeadLettersLevel(db: Db, layout: Layout, next: number, entries: readonly DeadLetterInput[]): Promise<number> {
  const ops = entries.map((e, i) => {
    const json: DeadLetterJson = { ...e, seq: next + i, bytes: Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength).toString('base64') };
    return { type: 'put' as const, sublevel: layout.dead, key: seqKey(next + i), value: JSON.stringify(json) };
  });
  await writeBatch(db, ops);
  return next + entries.length;
}

export async function nextDeadLetterSeq(layout: Layout): Promise<number> {
  const [last] = await read(() => layout.dead.keys({ reverse: true, limit: 1 }).all());
  return last === undefined ? 0 : Number(last) + 1;
}

export async function deadLettersLevel(layout: Layout, q: DeadLetterQuery): Promise<StoredDeadLetter[]> {
  const limit = q.limit ?? 100;
  const out: StoredDeadLetter[] = [];
  const it = layout.dead.values({ reverse: (q.order ?? 'newest') === 'newest' });
  try {
    while (out.length < limit) {
      const values = await read(() => it.nextv(500));
      if (values.length === 0) break;
      for (const v of values) {
        const d = JSON.parse(v) as DeadLetterJson;
        if ((q.reason === undefined || d.reason === q.reason) && (q.gateway === undefined || d.gateway === q.gateway)) out.push({ ...d, bytes: Buffer.from(d.bytes, 'base64') });
        if (out.length >= limit) break;
      }
    }
  } finally {
    await it.close();
  }
  return out;
}

export async function summariesLevel(layout: Layout, q: SummaryQuery): Promise<StoredSummary[]> {
  const limit = q.limit ?? 1000;
  const keep = (s: StoredSummary) => !s.retracted && (q.metric === undefined || s.metric === q.metric) && (q.gateway === undefined || s.gateway === q.gateway);
  const out: StoredSummary[] = [];
  if (q.device !== undefined) {
    // The device index narrows the scan; its keys name the summary keys to read.
    const prefix = devPrefix(q.device, q.metric ?? '');
    const keys = await read(() => layout.dev.keys(q.metric === undefined ? { gte: `${q.device}\u0000`, lt: `${q.device}\u0000${END}` } : { gte: prefix, lt: prefix + END }).all());
    const wanted = keys
      .map((k) => {
        const parts = k.split('\u0000');
        return { start: Number(parts[2]), id: parts[3]! };
      })
      .filter((k) => k.start >= q.from && k.start < q.to)
      .sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
    const values = await read(() => layout.sum.getMany(wanted.map((k) => sumKey(k.start, k.id))));
    for (const v of values) if (v !== undefined) out.push(JSON.parse(v) as StoredSummary);
    return out.filter(keep);
  }
  const it = layout.sum.values({ gte: sumKey(q.from, ''), lt: sumKey(q.to, '') });
  try {
    while (out.length < limit) {
      const values = await read(() => it.nextv(1000));
      if (values.length === 0) break;
      for (const v of values) {
        const s = JSON.parse(v) as StoredSummary;
        if (keep(s)) out.push(s);
        if (out.length >= limit) break;
      }
    }
  } finally {
    await it.close();
  }
  return out;
}

export async function seriesLevel(layout: Layout, accuracy: number, q: SeriesQuery): Promise<SeriesPoint[]> {
  const series = { scope: q.scope, metric: q.metric };
  const entries = await read(() => layout.roll.iterator({ gte: bucketKey(series, q.resolutionMs, q.from), lt: bucketKey(series, q.resolutionMs, q.to) }).all());
  return entries.map(([key, value]) => pointOf(RollupBucket.decode(Number(key.slice(key.lastIndexOf('\u0000') + 1)), accuracy, value)));
}

export async function* rollupsLevel(layout: Layout, accuracy: number): AsyncGenerator<RollupRecord> {
  const it = layout.roll.iterator();
  try {
    for (;;) {
      const entries = await read(() => it.nextv(1000));
      if (entries.length === 0) return;
      for (const [key, value] of entries) yield recordOf(key, RollupBucket.decode(Number(key.slice(key.lastIndexOf('\u0000') + 1)), accuracy, value));
    }
  } finally {
    await it.close();
  }
}
