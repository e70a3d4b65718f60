// The cloud store's LevelDB key layout: one database, one sublevel per kind of record. Times in
// keys are 16 zero-padded digits and parts are NUL-separated, so every lookup the store makes is a
// point read or one range scan:
//
//   sum    <windowStart>\0<id>                          → StoredSummary JSON (tombstones too)
//   dev    <device>\0<metric>\0<windowStart>\0<id>       → partials (rolled-up) or empty (not)
//   line   <metric>\0<site>\0<line>\0<windowStart>\0<id> → partials, rolled-up summaries only
//   roll   <series key>\0<resolution>\0<bucketStart>     → encoded RollupBucket
//   rtime  <resolution>\0<bucketStart>\0<series key>     → empty: buckets by time (retention, children)
//   alert  <id> → StoredAlert JSON;   alertAt  <raisedAt>\0<id> → empty
//   gw     <id> → GatewayRecord JSON; device   <id> → DeviceRecord JSON
//   dead   <seq> → dead letter JSON (bytes base64)
//
// A summary's key starts with its window start, which the id determines, so a revision is found
// from the incoming summary alone, and retention is a range scan from the oldest.

import type { AbstractSublevel } from 'abstract-level';
import type { ClassicLevel } from 'classic-level';
import { padTime, seriesKey, type SeriesRef } from '../../rollup/series.js';

export type Db = ClassicLevel<string, string>;
export type TextLevel = AbstractSublevel<Db, string | Buffer | Uint8Array, string, string>;
export type BinaryLevel = AbstractSublevel<Db, string | Buffer | Uint8Array, string, Buffer>;

export interface Layout {
  readonly sum: TextLevel;
  readonly dev: BinaryLevel;
  readonly line: BinaryLevel;
  readonly roll: BinaryLevel;
  readonly rtime: TextLevel;
  readonly alert: TextLevel;
  readonly alertAt: TextLevel;
  readonly gw: TextLevel;
  readonly device: TextLevel;
  readonly dead: TextLevel;
}

export function layoutOf(db: Db): Layout {
  const text = (name: string): TextLevel => db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const binary = (name: string): BinaryLevel => db.sublevel<string, Buffer>(name, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  return {
    sum: text('sum'),
    dev: binary('dev'),
    line: binary('line'),
    roll: binary('roll'),
    rtime: text('rtime'),
    alert: text('alert'),
    alertAt: text('alertAt'),
    gw: text('gw'),
    device: text('device'),
    dead: text('dead'),
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
