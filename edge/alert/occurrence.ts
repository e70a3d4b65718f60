// One rule on one device: the hysteresis counters and the open occurrence, if any, and the events
// a judged window (or, for `reading-threshold`, a judged reading) turns into. At most one
// occurrence per (rule, device) is open at a time.
//
// The `updated` policy, so an alert that stays bad does not flood the outbox: while open, a bad
// window or reading emits `updated` only when
//   - its excess over the limit has at least doubled since last reported AND grown by at least
//     the rule's updateStep (default 10% of the limit's magnitude): at most a handful of updates
//     however long the occurrence lasts, one per doubling of how bad it is; or
//   - a detector reports a kind of change not yet reported in this occurrence (a spike becomes a
//     level shift): at most one update per kind.
// Severity is fixed per rule: escalation is a second rule with a further limit and a higher severity.

import { createHash } from 'node:crypto';
import type { AlertRuleConfig, SteppedRuleConfig } from '../config/analysis-schema.js';
import type { WindowRef } from '../features/summary.js';
import type { AlertEvent, AlertEvidence } from './alert.js';
import type { Judgement, RuleMemory } from './rule-types.js';

export interface Occurrence {
  /** The latest event: its id, revision and raisedAt identify the occurrence. */
  last: AlertEvent;
  /** Excess over the limit as last reported (raised or updated), ≥ 0. */
  reported: number;
  /** The detector change kinds reported so far. */
  variants?: string[];
  /** `silent`: the first reading after the silence (gateway clock), set by seen(), cleared on tick(). */
  resumedAt?: number;
}

export interface Track {
  /** Consecutive bad windows or readings (0 after a good one). */
  bad: number;
  /** Consecutive good windows or readings (0 after a bad one). */
  good: number;
  memory: RuleMemory;
  open?: Occurrence;
}

export const newTrack = (): Track => ({ bad: 0, good: 0, memory: {} });

/** The alert id: 32 hex characters of SHA-256 over (gateway, device, rule, raisedAt). */
export function alertId(gateway: string, device: string, rule: string, raisedAt: number): string {
  return createHash('sha256').update(`${gateway}\u0000${device}\u0000${rule}\u0000${raisedAt}`).digest('hex').slice(0, 32);
}

/** Who and when, common to every event an engine emits. */
export interface EventContext {
  readonly gateway: string;
  readonly device: string;
  readonly rule: AlertRuleConfig;
  /** Gateway clock now. */
  readonly emittedAt: number;
}

/**
 * The next event of `track`'s occurrence (or a new one for `raised`, raised at `raisedAt`, by
 * default `at`), made its latest.
 */
export function emit(
  track: Track,
  ctx: EventContext,
  state: AlertEvent['state'],
  at: number,
  message: string,
  evidence: Omit<AlertEvidence, 'rule'>,
  raisedAt: number = at,
): AlertEvent {
  const previous = track.open?.last;
  raisedAt = previous?.raisedAt ?? raisedAt;
  const event: AlertEvent = {
    id: previous?.id ?? alertId(ctx.gateway, ctx.device, ctx.rule.name, raisedAt),
    revision: previous ? previous.revision + 1 : 0,
    state,
    gateway: ctx.gateway,
    device: ctx.device,
    rule: ctx.rule.name,
    ruleType: ctx.rule.type,
    severity: ctx.rule.severity,
    raisedAt,
    at,
    emittedAt: ctx.emittedAt,
    message,
    evidence: { rule: ctx.rule, ...evidence },
  };
  if (state === 'cleared') delete track.open;
  else if (track.open) track.open.last = event;
  else track.open = { last: event, reported: 0 };
  return event;
}

/** What was judged, as its events tell it: event time, the word for it in messages, and the evidence naming it. */
export interface Basis {
  /** Event time: the window's end, or the reading's ts. */
  readonly at: number;
  readonly unit: 'window' | 'reading';
  readonly evidence: Pick<AlertEvidence, 'window' | 'reading'>;
}

export const windowBasis = (window: WindowRef): Basis => ({ at: window.end, unit: 'window', evidence: { window } });

export const readingBasis = (reading: { readonly ts: number; readonly receivedAt: number }): Basis => ({
  at: reading.ts,
  unit: 'reading',
  evidence: { reading: { ts: reading.ts, receivedAt: reading.receivedAt } },
});

/** Feed one judged window or reading through the hysteresis; the event it causes, if any. */
export function step(track: Track, j: Judgement, ctx: EventContext & { readonly rule: SteppedRuleConfig }, basis: Basis): AlertEvent | undefined {
  if (j.bad) {
    track.bad++;
    track.good = 0;
  } else {
    track.good++;
    track.bad = 0;
  }
  const open = track.open;
  const evidence = (reported: number): Omit<AlertEvidence, 'rule'> => ({
    ...basis.evidence,
    features: j.features,
    ...(j.score && { score: j.score }),
    ...(j.detector && { detector: j.detector }),
    bad: track.bad,
    good: track.good,
    computed: { ...j.computed, excess: j.excess, reported },
  });
  const count = (n: number) => `${n} ${basis.unit}${n === 1 ? '' : 's'}`;
  if (!open) {
    if (!j.bad || track.bad < ctx.rule.raiseAfter) return undefined;
    const reported = Math.max(0, j.excess);
    const event = emit(track, ctx, 'raised', basis.at, `${j.detail}; bad ${count(track.bad)} in a row`, evidence(reported));
    track.open!.reported = reported;
    if (j.variant !== undefined) track.open!.variants = [j.variant];
    return event;
  }
  if (j.bad) {
    const stepSize = ctx.rule.updateStep ?? 0.1 * j.limit;
    const worse = j.excess > open.reported && j.excess >= open.reported + Math.max(open.reported, stepSize);
    const changed = j.variant !== undefined && !open.variants?.includes(j.variant);
    if (!worse && !changed) return undefined;
    const reported = Math.max(open.reported, j.excess);
    const event = emit(track, ctx, 'updated', basis.at, `${worse ? 'worse' : 'changed'}: ${j.detail}`, evidence(reported));
    open.reported = reported;
    if (changed) (open.variants ??= []).push(j.variant!);
    return event;
  }
  if (track.good < ctx.rule.clearAfter) return undefined;
  return emit(track, ctx, 'cleared', basis.at, `back to normal: ${j.detail}; good ${count(track.good)} in a row`, evidence(open.reported));
}
