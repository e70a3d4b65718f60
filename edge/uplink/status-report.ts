// The status report the gateway sends about itself: backlog per class, the byte budget and its
// use, the loss ledger (cumulative, so a lost report loses nothing) and the oldest item's age.

import type { OutboxStats } from '../outbox/outbox.js';
import { statusId } from './ids.js';
import type { AppliedReport } from './push-schemas.js';
import type { LossEntry, StatusReport } from './schemas.js';
import { UPLINK_CLASSES, type UplinkClass } from './topics.js';

/** `applied`: what the gateway runs (config and model push); left out by a gateway without push. */
export function statusReport(gateway: string, seq: number, at: number, stats: OutboxStats, lossSince: number, loss: readonly LossEntry[], applied?: AppliedReport): StatusReport {
  const backlog = Object.fromEntries(
    UPLINK_CLASSES.map((c) => {
      const s = stats.classes[c];
      return [c, { items: s.items, bytes: s.bytes, oldestAt: s.oldestAt }];
    }),
  ) as Record<UplinkClass, { items: number; bytes: number; oldestAt: number | null }>;
  return {
    id: statusId(gateway, seq),
    revision: 0,
    gateway,
    seq,
    at,
    backlog,
    budget: { bytes: stats.maxBytes, used: stats.used },
    lossSince,
    loss: [...loss],
    oldestUnsentAgeMs: stats.oldestAt === null ? null : Math.max(0, at - stats.oldestAt),
    ...(applied !== undefined ? { applied } : {}),
  };
}
