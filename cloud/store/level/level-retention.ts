// Retention in LevelDB: each kind of record is deleted oldest first by a range scan over a
// time-ordered key, in chunks, each chunk one durable batch.

import type { StoredAlert, StoredSummary } from '../contract.js';
import type { BucketCache } from '../bucket-cache.js';
import type { CloudStoreConfig } from '../config.js';
import { bucketKey } from '../../rollup/series.js';
import { alertAtKey, devKey, lineKey, rtimePrefix, sumKey, type Db, type Layout } from './layout.js';
import { writeBatch, type LevelOp } from './level-write.js';
import { read } from './rollup-source.js';

const CHUNK = 2000;

export interface LevelRetention {
  summaries: number;
  buckets: Record<number, number>;
  deadLetters: number;
  alerts: number;
}

export async function retentionLevel(db: Db, layout: Layout, cache: BucketCache, config: CloudStoreConfig, now: number): Promise<LevelRetention> {
  const report: LevelRetention = { summaries: 0, buckets: {}, deadLetters: 0, alerts: 0 };

  // Summaries by window start, with their index entries.
  report.summaries = await deleteRange(db, layout.sum, { lt: sumKey(now - config.retention.summariesMs, '') }, (key, value) => {
    const s = JSON.parse(value) as StoredSummary;
    const ops: LevelOp[] = [{ type: 'del', sublevel: layout.sum, key }, { type: 'del', sublevel: layout.dev, key: devKey(s.device, s.metric, s.window.start, s.id) }];
    if (s.rolledUp) ops.push({ type: 'del', sublevel: layout.line, key: lineKey(s.metric, s.site, s.line, s.window.start, s.id) });
    return ops;
  });

  // Buckets that ended before now − retention, found through the time index.
  for (const { resolutionMs: res, retentionMs } of config.rollups.resolutions) {
    if (retentionMs === 0) {
      report.buckets[res] = 0;
      continue;
    }
    // start + res <= now − retention  ⇔  start < now − retention − res + 1
    const lt = rtimePrefix(res, now - retentionMs - res + 1);
    report.buckets[res] = await deleteRange(db, layout.rtime, { gte: rtimePrefix(res, 0), lt }, (key) => {
      const [, start, ...series] = key.split('\u0000');
      const rkey = bucketKey(series.join('\u0000'), res, Number(start));
      cache.forget(rkey);
      return [{ type: 'del', sublevel: layout.rtime, key }, { type: 'del', sublevel: layout.roll, key: rkey }];
    });
  }

  if (config.retention.deadLettersMs > 0) {
    const cutoff = now - config.retention.deadLettersMs;
    // Sequence order is arrival order, so the scan stops at the first dead letter young enough to keep.
    report.deadLetters = await deleteRange(db, layout.dead, {}, (key, value) =>
      (JSON.parse(value) as { receivedAt: number }).receivedAt < cutoff ? [{ type: 'del', sublevel: layout.dead, key }] : null,
    );
  }

  if (config.retention.resolvedAlertsMs > 0) {
    const cutoff = now - config.retention.resolvedAlertsMs;
    // An alert resolved before the cutoff was raised before it, so only older raisedAt keys are read.
    report.alerts = await deleteRange(db, layout.alertAt, { lt: alertAtKey(cutoff, '') }, async (key) => {
      const id = key.slice(key.indexOf('\u0000') + 1);
      const v = await read(() => layout.alert.get(id));
      const a = v === undefined ? undefined : (JSON.parse(v) as StoredAlert);
      if (a && !(a.state === 'resolved' && a.resolved !== undefined && a.resolved.at < cutoff)) return [];
      return [{ type: 'del', sublevel: layout.alertAt, key }, { type: 'del', sublevel: layout.alert, key: id }];
    });
  }
  return report;
}

/**
 * Delete what `plan` says for each entry in range, CHUNK entries per durable batch; `plan` returns
 * null to stop the scan there. Counts the entries that produced deletes.
 */
async function deleteRange(
  db: Db,
  level: Layout['sum'] | Layout['rtime'] | Layout['dead'] | Layout['alertAt'],
  range: { gte?: string; lt?: string },
  plan: (key: string, value: string) => LevelOp[] | null | Promise<LevelOp[] | null>,
): Promise<number> {
  let count = 0;
  let after: string | undefined;
  for (;;) {
    const bounds = after === undefined ? range : { gt: after, ...(range.lt === undefined ? {} : { lt: range.lt }) };
    const entries = await read(() => level.iterator({ ...bounds, limit: CHUNK }).all());
    const ops: LevelOp[] = [];
    let stop = entries.length === 0;
    for (const [key, value] of entries) {
      const more = await plan(key, value);
      if (more === null) {
        stop = true;
        break;
      }
      if (more.length) count++;
      ops.push(...more);
    }
    await writeBatch(db, ops);
    if (stop) return count;
    after = entries[entries.length - 1]![0];
  }
}
