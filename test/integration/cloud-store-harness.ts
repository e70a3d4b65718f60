// Shared by the two halves of the cloud store contract: the fixed clock and how a case opens stores.

import type { FakeClock } from '../../edge/clock/fake-clock.js';
import type { CloudStore } from '../../cloud/store/contract.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
/** The fake clock's now at the start of every case (a UTC midnight, so day buckets are easy to name). */
export const NOW = Date.UTC(2024, 10, 24);

/** Opens stores on fresh locations for one case; they are closed after it. */
export interface Harness {
  readonly clock: FakeClock;
  open(options?: { config?: unknown; location?: string }): Promise<{ store: CloudStore; location: string }>;
}

/** Ingest a batch and apply its roll-ups at once (cases that look at roll-ups right after). */
export async function ingested(store: CloudStore, batch: Parameters<CloudStore['ingestSummaries']>[0]): ReturnType<CloudStore['ingestSummaries']> {
  const results = await store.ingestSummaries(batch);
  await store.flushRollups();
  return results;
}
