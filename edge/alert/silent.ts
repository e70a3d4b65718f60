// The `silent` rule, judged on the gateway clock rather than per window: raised when a device has
// sent nothing for `afterMs`, cleared by its next reading.
//
// raisedAt is the instant the silence reached afterMs (last reading + afterMs), not the tick that
// noticed it, so the alert id does not depend on how often tick() runs. After a restore the
// silence is counted from the restore at the earliest: the gateway's own downtime is not the devices'.

import type { Static } from '@sinclair/typebox';
import type { SilentRuleSchema } from '../config/analysis-schema.js';
import type { AlertEvent } from './alert.js';
import { emit, type EventContext, type Track } from './occurrence.js';
import { fmt } from './rule-types.js';

export type SilentRule = Static<typeof SilentRuleSchema>;

/** Check one device against one silent rule at `now`; the event due, if any. */
export function checkSilence(
  track: Track,
  ctx: EventContext & { readonly rule: SilentRule },
  lastSeen: number,
  countFrom: number,
  now: number,
): AlertEvent | undefined {
  const open = track.open;
  if (open) {
    if (open.resumedAt === undefined) return undefined;
    const before = open.last.evidence.lastSeen ?? open.resumedAt;
    const quiet = open.resumedAt - before;
    return emit(track, ctx, 'cleared', open.resumedAt, `reading again after ${fmt(quiet / 1000)} s of silence`, { lastSeen: before, computed: { silentMs: quiet } });
  }
  const since = Math.max(lastSeen, countFrom);
  if (now - since < ctx.rule.afterMs) return undefined;
  const silentMs = now - lastSeen;
  const message = `no reading for ${fmt(silentMs / 1000)} s (limit ${fmt(ctx.rule.afterMs / 1000)} s)`;
  return emit(track, ctx, 'raised', now, message, { lastSeen, computed: { silentMs } }, since + ctx.rule.afterMs);
}
