// Retention in LevelDB: each kind of record is deleted oldest first by a range scan over a
// time-ordered key, in chunks, each chunk one durable batch.

import type { RetentionReport, StoredAlert, StoredRawSnippet } from '../contract.js';
import type { BucketCache } from '../bucket-cache.js';
import type { CloudStoreConfig } from '../config.js';
import { bucketKey } from '../../rollup/series.js';
import { writeBatch, type Db, type Keyspace, type KeyRange, type LevelOp } from './keyspace.js';
import { decodeSummary } from '../summary-codec.js';
import { alertAtKey, devKey, json, lineKey, rtimePrefix, sumKey, type Layout } from './layout.js';

export async function retentionLevel(db: Db, layout: Layout, cache: BucketCache, config: CloudStoreConfig, now: number): Promise<RetentionReport> {
  // Summaries by window start, with their index entries.
  const summaries = await deleteRange(db, layout.sum, { lt: sumKey(now - config.retention.summariesMs, '') }, (key, value) => {
    const s = decodeSummary(value);
    const ops = [layout.sum.del(key), layout.dev.del(devKey(s.device, s.metric, s.window.start, s.id))];
    if (s.rolledUp) ops.push(layout.line.del(lineKey(s.metric, s.site, s.line, s.window.start, s.id)));
    return ops;
  });

  // Buckets that ended by now − retention, found through the time index.
  const buckets: Record<number, number> = {};
  for (const { resolutionMs: res, retentionMs } of config.rollups.resolutions) {
    buckets[res] =
      retentionMs === 0
        ? 0
        : // start + res <= now − retention  ⇔  start < now − retention − res + 1
          await deleteRange(db, layout.rtime, { gte: rtimePrefix(res, 0), lt: rtimePrefix(res, now - retentionMs - res + 1) }, (key) => {
            const [, start, ...series] = key.split('\u0000');
            const rkey = bucketKey(series.join('\u0000'), res, Number(start));
            cache.forget(rkey);
            return [layout.rtime.del(key), layout.roll.del(rkey)];
          });
  }

  // Dead letters in arrival (= sequence) order: the scan stops at the first one young enough to keep.
  const deadCutoff = now - config.retention.deadLettersMs;
  const deadLetters =
    config.retention.deadLettersMs === 0 ? 0 : await deleteRange(db, layout.dead, {}, (key, value) => (json<{ receivedAt: number }>(value).receivedAt < deadCutoff ? [layout.dead.del(key)] : null));

  // An alert resolved before the cutoff was raised before it, so only older raisedAt keys are read.
  const alertCutoff = now - config.retention.resolvedAlertsMs;
  const alerts =
    config.retention.resolvedAlertsMs === 0
      ? 0
      : await deleteRange(db, layout.alertAt, { lt: alertAtKey(alertCutoff, '') }, async (key) => {
          const id = key.slice(key.indexOf('\u0000') + 1);
          const v = await layout.alert.get(id);
          const a = v === undefined ? undefined : json<StoredAlert>(v);
          if (a && !(a.state === 'resolved' && a.resolved !== undefined && a.resolved.at < alertCutoff)) return [];
          return [layout.alertAt.del(key), layout.alert.del(id)];
        });

  // Raw snippets are keyed by alert, not time; there are few, so every one is looked at.
  const rawCutoff = now - config.retention.rawSnippetsMs;
  const rawSnippets = config.retention.rawSnippetsMs === 0 ? 0 : await deleteRange(db, layout.raw, {}, (key, value) => (json<StoredRawSnippet>(value).to < rawCutoff ? [layout.raw.del(key)] : []));
  return { now, summaries, buckets, deadLetters, alerts, rawSnippets };
}

const CHUNK = 2000;

/**
 * Delete what `plan` says for each entry in range, CHUNK entries per durable batch; `plan` returns
 * null to stop the scan there. Counts the entries that produced deletes.
 */
async function deleteRange(db: Db, space: Keyspace, range: KeyRange, plan: (key: string, value: Buffer) => LevelOp[] | null | Promise<LevelOp[] | null>): Promise<number> {
  let count = 0;
  let after: string | undefined;
  for (;;) {
    const bounds: KeyRange = after === undefined ? range : { gt: after, ...(range.lt === undefined ? {} : { lt: range.lt }) };
    const entries = await space.all({ ...bounds, limit: CHUNK });
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
