// The cloud store's LevelDB key layout: one database, one keyspace per kind of record. Times in
// keys are 16 zero-padded digits and parts are NUL-separated, so every lookup the store makes is a
// point read or one range scan:
//
//   sum!    <windowStart>\0<id>                          → StoredSummary, summary-codec bytes (tombstones too)
//   dev!    <device>\0<metric>\0<windowStart>\0<id>       → partials (rolled-up) or empty (not)
//   line!   <metric>\0<site>\0<line>\0<windowStart>\0<id> → partials, rolled-up summaries only
//   pend!   <seq>                                        → pending roll-up work of one batch
//   roll!   <series key>\0<resolution>\0<bucketStart>     → encoded RollupBucket
//   rtime!  <resolution>\0<bucketStart>\0<series key>     → empty: buckets by time (retention, children)
//   alert!  <id> → StoredAlert JSON;   alertAt!  <raisedAt>\0<id> → empty
//   gw!     <id> → GatewayRecord JSON; device!   <id> → DeviceRecord JSON
//   dead!   <seq> → dead letter JSON (bytes base64)
//   pushd!  <target>\0<slot> → desired config or model JSON; pushm! <sha256> → ONNX bytes;
//   pushg!  <gateway> → its push record JSON (level-push.ts)
//   raw!    <alert>\0<part>\0<id> → StoredRawSnippet JSON (the id determines alert and part)
//
// A summary's key starts with its window start, which the id determines, so a revision is found
// from the incoming summary alone, and retention is a range scan from the oldest.

import { padTime, seriesKey, type SeriesRef } from '../../rollup/series.js';
import { Keyspace, type Db } from './keyspace.js';

export interface Layout {
  readonly sum: Keyspace;
  readonly dev: Keyspace;
  readonly line: Keyspace;
  readonly pend: Keyspace;
  readonly roll: Keyspace;
  readonly rtime: Keyspace;
  readonly alert: Keyspace;
  readonly alertAt: Keyspace;
  readonly gw: Keyspace;
  readonly device: Keyspace;
  readonly dead: Keyspace;
  readonly pushd: Keyspace;
  readonly pushm: Keyspace;
  readonly pushg: Keyspace;
  readonly raw: Keyspace;
}

export function layoutOf(db: Db): Layout {
  const ks = (name: string) => new Keyspace(db, name);
  return {
    sum: ks('sum'),
    dev: ks('dev'),
    line: ks('line'),
    pend: ks('pend'),
    roll: ks('roll'),
    rtime: ks('rtime'),
    alert: ks('alert'),
    alertAt: ks('alertAt'),
    gw: ks('gw'),
    device: ks('device'),
    dead: ks('dead'),
    pushd: ks('pushd'),
    pushm: ks('pushm'),
    pushg: ks('pushg'),
    raw: ks('raw'),
  };
}

const S = '\u0000';
/** Upper bound for keys with a given prefix (NUL-separated keys never contain \uffff). */
export const END = '\uffff';

export const sumKey = (windowStart: number, id: string): string => `${padTime(windowStart)}${S}${id}`;
export const devPrefix = (device: string, metric: string): string => `${device}${S}${metric}${S}`;
export const devKey = (device: string, metric: string, windowStart: number, id: string): string => `${devPrefix(device, metric)}${padTime(windowStart)}${S}${id}`;
export const linePrefix = (metric: string, site: string, line: string): string => `${metric}${S}${site}${S}${line}${S}`;
export const lineKey = (metric: string, site: string, line: string, windowStart: number, id: string): string =>
  `${linePrefix(metric, site, line)}${padTime(windowStart)}${S}${id}`;
export const rtimePrefix = (res: number, start: number): string => `${String(res).padStart(12, '0')}${S}${padTime(start)}${S}`;
export const rtimeKey = (res: number, start: number, series: SeriesRef | string): string => `${rtimePrefix(res, start)}${typeof series === 'string' ? series : seriesKey(series)}`;
export const alertAtKey = (raisedAt: number, id: string): string => `${padTime(raisedAt)}${S}${id}`;
export const seqKey = (seq: number): string => padTime(seq);
export const rawKey = (alert: string, part: number, id: string): string => `${alert}${S}${padTime(part)}${S}${id}`;

export const json = <T>(buf: Buffer): T => JSON.parse(buf.toString('utf8')) as T;
