// The gateway's start count, kept durably: every start gets a higher epoch than the last.
//
// Revisions of summaries and alert events are `epoch × REVISION_EPOCH + n` (n: changes within this
// run), so whatever a run emits outranks everything an earlier run emitted for the same id. After
// a crash the log's tail is replayed and windows may be re-emitted with other contents than before
// (the idle rule runs on the clock, which a replay cannot repeat); the highest revision is then
// always the latest knowledge, and a receiver that keeps the highest revision per id holds every
// accepted reading exactly once.

import { sublevel, type Db } from './db.js';

/** Revisions a window or alert may go through within one run. */
export const REVISION_EPOCH = 1_000_000;

/** Read the last epoch, store the next one (synced to disk) and return it: 0 on the first start. */
export async function nextEpoch(db: Db): Promise<number> {
  const meta = sublevel(db, 'meta');
  const last = await meta.get('epoch');
  const epoch = last === undefined ? 0 : Number(last) + 1;
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new TypeError(`stored epoch ${last} is not a count`);
  await db.batch([{ type: 'put', sublevel: meta, key: 'epoch', value: String(epoch) }], { sync: true });
  return epoch;
}
