// Ids of the items the uplink carries that are not summaries or alerts (those make their own ids in
// features/summary.ts and alert/alert.ts): deterministic, so a re-send after a crash is the same item.

import { createHash, randomBytes } from 'node:crypto';

/** 32 hex characters of SHA-256 over the parts, NUL-separated (the form every item id takes). */
function itemId(...parts: ReadonlyArray<string | number>): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/**
 * A flight-recorder snippet: one per (gateway, device, alert, part). Re-cutting the same alert's
 * readings after a restart gives the same ids, so the cloud stores them once.
 */
export function rawSnippetId(gateway: string, device: string, alertId: string, part: number): string {
  return itemId('raw', gateway, device, alertId, part);
}

/** A status report: one per (gateway, seq). The seq must survive restarts (it is kept with the outbox). */
export function statusId(gateway: string, seq: number): string {
  return itemId('status', gateway, seq);
}

/** A batch id: 16 random hex characters. Batches are transport units, never de-duplicated by id. */
export function newBatchId(): string {
  return randomBytes(8).toString('hex');
}
