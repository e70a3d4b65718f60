// How registry updates merge into what is stored, the same for every backend: absent fields keep
// their value, lastSeen never goes backwards, and a new device sits at site = its gateway,
// line = `default` until its gateway reports otherwise.

import { codedError } from '../../edge/errors/catalogue.js';
import { isScopeName } from '../rollup/series.js';
import type { DeviceFilter, DeviceRecord, DeviceUpdate, GatewayRecord, GatewayStatus, GatewayUpdate } from './contract.js';

export const DEFAULT_LINE = 'default';

export function mergeGateway(held: GatewayRecord | undefined, u: GatewayUpdate): GatewayRecord {
  const seen = {
    id: u.id,
    firstSeen: held ? Math.min(held.firstSeen, u.lastSeen) : u.lastSeen,
    lastSeen: held ? Math.max(held.lastSeen, u.lastSeen) : u.lastSeen,
  };
  // An older status report than the one held (reports travel out of order) only says the gateway was heard from.
  if (held && u.status !== undefined && held.status !== undefined && !isNewerStatus(u.status, held.status)) return { ...held, ...seen };
  const status = u.status ?? held?.status;
  return {
    ...seen,
    backlog: u.backlog ?? held?.backlog ?? null,
    lossLedger: u.lossLedger === undefined ? (held?.lossLedger ?? null) : u.lossLedger,
    ...(status !== undefined ? { status } : {}),
  };
}

/**
 * Whether report `a` supersedes `b`: within one loss ledger (same lossSince) by sequence number;
 * across ledgers (the gateway's outbox was started afresh) by the gateway's clock.
 */
export function isNewerStatus(a: GatewayStatus, b: GatewayStatus): boolean {
  return a.lossSince === b.lossSince ? a.seq > b.seq : a.at > b.at;
}

/** Throws ERR_CLOUD_BAD_SCOPE_NAME for a site or line that cannot be part of a series key. */
export function mergeDevice(held: DeviceRecord | undefined, u: DeviceUpdate): DeviceRecord {
  if (u.site !== undefined && !isScopeName(u.site)) throw codedError('ERR_CLOUD_BAD_SCOPE_NAME', ['site', JSON.stringify(u.site)]);
  if (u.line !== undefined && !isScopeName(u.line)) throw codedError('ERR_CLOUD_BAD_SCOPE_NAME', ['line', JSON.stringify(u.line)]);
  return {
    id: u.id,
    gateway: u.gateway,
    site: u.site ?? held?.site ?? u.gateway,
    line: u.line ?? held?.line ?? DEFAULT_LINE,
    firstSeen: held ? Math.min(held.firstSeen, u.lastSeen) : u.lastSeen,
    lastSeen: held ? Math.max(held.lastSeen, u.lastSeen) : u.lastSeen,
  };
}

/** Merge a batch of updates in order, several per id allowed: the final record per id. */
export function mergeAll<U extends { readonly id: string }, R>(updates: readonly U[], held: ReadonlyMap<string, R>, merge: (h: R | undefined, u: U) => R): Map<string, R> {
  const out = new Map<string, R>();
  for (const u of updates) out.set(u.id, merge(out.get(u.id) ?? held.get(u.id), u));
  return out;
}

export const deviceMatches = (d: DeviceRecord, f: DeviceFilter): boolean =>
  (f.gateway === undefined || d.gateway === f.gateway) && (f.site === undefined || d.site === f.site) && (f.line === undefined || d.line === f.line);
