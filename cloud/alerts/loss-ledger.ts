// Reading a gateway's loss ledger as the registry holds it (any JSON: GatewayRecord.lossLedger).
// The ingest stores the ledger of the gateway's status report, `{ lossSince, loss: LossEntry[] }`
// (edge/uplink/schemas.ts); a bare entry list is read too. Entries are cumulative since
// `lossSince`, so the total only grows until the gateway starts a new ledger (a new lossSince).

import type { LossEntry } from '../../edge/uplink/schemas.js';

export interface LossMark {
  /** When the gateway's ledger started counting (0 when the ledger does not say). */
  readonly since: number;
  /** Items lost in total since then. */
  readonly items: number;
  /** Gateway clock of the most recent drop counted (0 when none). */
  readonly lastAt: number;
  /** Items lost by `<class>/<reason>`. */
  readonly byCause: Readonly<Record<string, number>>;
}

/** The ledger's totals, or undefined when it holds no ledger this can read. */
export function lossMark(ledger: unknown): LossMark | undefined {
  const record = typeof ledger === 'object' && ledger !== null && !Array.isArray(ledger) ? (ledger as { lossSince?: unknown; loss?: unknown }) : undefined;
  const entries = Array.isArray(ledger) ? ledger : Array.isArray(record?.loss) ? record.loss : undefined;
  if (!entries) return undefined;
  const since = typeof record?.lossSince === 'number' ? record.lossSince : 0;
  let items = 0;
  let lastAt = 0;
  const byCause: Record<string, number> = {};
  for (const e of entries as Partial<LossEntry>[]) {
    if (typeof e !== 'object' || e === null || typeof e.items !== 'number' || !(e.items >= 0)) continue;
    items += e.items;
    if (typeof e.lastAt === 'number' && e.items > 0) lastAt = Math.max(lastAt, e.lastAt);
    const cause = `${String(e.class ?? '?')}/${String(e.reason ?? '?')}`;
    byCause[cause] = (byCause[cause] ?? 0) + e.items;
  }
  return { since, items, lastAt, byCause };
}

/** Items lost since `before` (all of `now`'s when the ledger was restarted since). */
export function lostSince(now: LossMark, before: { since: number; items: number } | undefined): number {
  if (!before || before.since !== now.since) return now.items;
  return Math.max(0, now.items - before.items);
}
