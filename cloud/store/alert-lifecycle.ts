// The alert lifecycle, the same for every backend: open → acknowledged → resolved, moved by the
// events gateways (or the cloud's own rules) send and by operators, with every transition kept.
//
// A `cleared` event resolves the alert (cause `cleared`). `raised`/`updated` events never move the
// state: an alert an operator acknowledged or resolved stays so, and only its latest event (the
// evidence) is refreshed. A clear that arrives before anything else creates the alert resolved.

import { codedError } from '../../edge/errors/catalogue.js';
import type { AlertFilter, AlertState, AlertTransition, AlertUpsertOutcome, AlertUpsertResult, CloudAlertEvent, OperatorAction, StoredAlert } from './contract.js';

const CLOUD_RULES: ReadonlySet<string> = new Set(['gateway-offline', 'device-silent', 'data-loss']);

/** Who moved an alert when an event did: `cloud` for the cloud's own rules, else `gateway:<id>`. */
export const eventActor = (e: CloudAlertEvent): string => (CLOUD_RULES.has(e.ruleType) ? 'cloud' : `gateway:${e.gateway}`);

export function applyAlertEvent(held: StoredAlert | undefined, e: CloudAlertEvent, now: number): { outcome: AlertUpsertOutcome; alert: StoredAlert } {
  if (held && e.revision < held.event.revision) return { outcome: 'stale', alert: held };
  if (held && e.revision === held.event.revision) return { outcome: 'unchanged', alert: held };
  const by = eventActor(e);
  const from = held?.state ?? null;
  const to: AlertState = e.state === 'cleared' ? 'resolved' : (held?.state ?? 'open');
  const history = [...(held?.history ?? [])];
  if (to !== from) history.push({ from, to, at: now, by, revision: e.revision });
  const alert: StoredAlert = {
    ...held,
    id: e.id,
    state: to,
    event: e,
    history,
    updatedAt: now,
    ...(to === 'resolved' && from !== 'resolved' ? { resolved: { by, at: now, cause: 'cleared' as const } } : {}),
  };
  return { outcome: held ? 'replaced' : 'inserted', alert };
}

/**
 * An upsert's events applied in order to the alerts held (`current`, by id: updated in place):
 * each event's result, and the ids whose alert the upsert must write.
 */
export function decideAlertEvents(current: Map<string, StoredAlert>, events: readonly CloudAlertEvent[], now: number): { results: AlertUpsertResult[]; changed: Set<string> } {
  const changed = new Set<string>();
  const decided = events.map((e) => {
    const { outcome, alert } = applyAlertEvent(current.get(e.id), e, now);
    if (outcome === 'inserted' || outcome === 'replaced') {
      current.set(e.id, alert);
      changed.add(e.id);
    }
    return { id: e.id, revision: e.revision, outcome, state: alert.state };
  });
  return { results: decided.map((r) => ({ ...r, alert: current.get(r.id)! })), changed };
}

/**
 * The store contract's `onDecided` (contract.ts upsertAlerts): told once `written` is on its way,
 * and `results` returned once it has ended, also when `onDecided` throws.
 */
export async function announceWhileWriting(results: AlertUpsertResult[], written: Promise<void>, onDecided: ((results: readonly AlertUpsertResult[]) => void) | undefined): Promise<AlertUpsertResult[]> {
  try {
    onDecided?.(results);
  } finally {
    await written;
  }
  return results;
}

export type OperatorMove = 'acknowledge' | 'resolve';

const ALLOWED: Record<OperatorMove, readonly AlertState[]> = { acknowledge: ['open'], resolve: ['open', 'acknowledged'] };
const TARGET: Record<OperatorMove, AlertState> = { acknowledge: 'acknowledged', resolve: 'resolved' };

/** An operator's move. Throws ERR_CLOUD_ALERT_NOT_FOUND or ERR_CLOUD_ALERT_TRANSITION. */
export function applyOperator(id: string, held: StoredAlert | undefined, move: OperatorMove, action: OperatorAction, now: number): StoredAlert {
  if (!held) throw codedError('ERR_CLOUD_ALERT_NOT_FOUND', [id]);
  if (!ALLOWED[move].includes(held.state)) throw codedError('ERR_CLOUD_ALERT_TRANSITION', [id, held.state, TARGET[move]]);
  if (!action.by) throw new TypeError('an operator action needs `by`');
  const at = action.at ?? now;
  const note = action.note === undefined ? {} : { note: action.note };
  const to = TARGET[move];
  const transition: AlertTransition = { from: held.state, to, at, by: action.by, ...note };
  return {
    ...held,
    state: to,
    history: [...held.history, transition],
    updatedAt: now,
    ...(move === 'acknowledge' ? { acknowledged: { by: action.by, at, ...note } } : { resolved: { by: action.by, at, ...note, cause: 'operator' as const } }),
  };
}

const asList = <T>(v: T | readonly T[] | undefined): readonly T[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v as T]);

export function alertMatches(a: StoredAlert, f: AlertFilter): boolean {
  const states = asList(f.state);
  const severities = asList(f.severity);
  const e = a.event;
  return (
    (!states || states.includes(a.state)) &&
    (!severities || severities.includes(e.severity)) &&
    (f.device === undefined || e.device === f.device) &&
    (f.gateway === undefined || e.gateway === f.gateway) &&
    (f.from === undefined || e.raisedAt >= f.from) &&
    (f.to === undefined || e.raisedAt < f.to)
  );
}

/** Newest raisedAt first, then by id: the order `alerts()` returns. */
export const byNewest = (a: StoredAlert, b: StoredAlert): number => b.event.raisedAt - a.event.raisedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const DEFAULT_ALERT_LIMIT = 1000;
