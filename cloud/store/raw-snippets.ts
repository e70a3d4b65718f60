// Flight-recorder snippets in the store, the same for every backend: which revision wins, and the
// query filter. A snippet is small and rare (raw readings around an alert), so it is kept whole.

import type { RawSnippet } from '../../edge/uplink/schemas.js';
import type { RawSnippetOutcome, RawSnippetQuery, StoredRawSnippet } from './contract.js';

export const DEFAULT_RAW_LIMIT = 1000;

/** Keep the highest revision: a higher one replaces, the same changes nothing, a lower one is stale. */
export function rawOutcome(held: number | undefined, revision: number): RawSnippetOutcome {
  if (held === undefined) return 'inserted';
  return revision > held ? 'replaced' : revision === held ? 'unchanged' : 'stale';
}

export const rawMatches = (s: RawSnippet, q: RawSnippetQuery): boolean =>
  (q.alert === undefined || s.alert === q.alert) && (q.device === undefined || s.device === q.device) && (q.gateway === undefined || s.gateway === q.gateway);

/** The stored form: the snippet's own fields (unknown ones a newer gateway added included) and when it arrived. */
export const storedRaw = (s: RawSnippet, receivedAt: number): StoredRawSnippet => ({ ...s, receivedAt });

/** Apply a batch in order (several revisions of one id allowed): each item's outcome, and the records to write. */
export function planRaw(
  snippets: readonly RawSnippet[],
  held: ReadonlyMap<string, number>,
  now: number,
): { results: Array<{ id: string; revision: number; outcome: RawSnippetOutcome }>; writes: Map<string, StoredRawSnippet> } {
  const current = new Map(held);
  const writes = new Map<string, StoredRawSnippet>();
  const results = snippets.map((s) => {
    const outcome = rawOutcome(current.get(s.id), s.revision);
    if (outcome === 'inserted' || outcome === 'replaced') {
      current.set(s.id, s.revision);
      writes.set(s.id, storedRaw(s, now));
    }
    return { id: s.id, revision: s.revision, outcome };
  });
  return { results, writes };
}
