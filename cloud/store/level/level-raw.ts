// Flight-recorder snippets in LevelDB: one JSON record per snippet under its alert, so the
// readings around one alert are one range scan; other queries scan them all (there are few).

import type { RawSnippet } from '../../../edge/uplink/schemas.js';
import type { RawSnippetQuery, RawSnippetResult, StoredRawSnippet } from '../contract.js';
import { DEFAULT_RAW_LIMIT, planRaw, rawMatches } from '../raw-snippets.js';
import { writeBatch, type Db } from './keyspace.js';
import { END, json, rawKey, type Layout } from './layout.js';

const keyOf = (s: Pick<RawSnippet, 'alert' | 'part' | 'id'>): string => rawKey(s.alert, s.part, s.id);

export async function putRawLevel(db: Db, layout: Layout, snippets: readonly RawSnippet[], now: number): Promise<RawSnippetResult[]> {
  const keys = [...new Set(snippets.map(keyOf))];
  const held = new Map<string, number>();
  (await layout.raw.getMany(keys)).forEach((v) => {
    if (v !== undefined) {
      const s = json<StoredRawSnippet>(v);
      held.set(s.id, s.revision);
    }
  });
  const { results, writes } = planRaw(snippets, held, now);
  await writeBatch(db, [...writes.values()].map((s) => layout.raw.put(keyOf(s), JSON.stringify(s))));
  return results;
}

export async function rawSnippetsLevel(layout: Layout, q: RawSnippetQuery): Promise<StoredRawSnippet[]> {
  const limit = q.limit ?? DEFAULT_RAW_LIMIT;
  const range = q.alert === undefined ? {} : { gte: `${q.alert}\u0000`, lt: `${q.alert}\u0000${END}` };
  const out: StoredRawSnippet[] = [];
  for await (const chunk of layout.raw.chunks(range, 500)) {
    for (const [, v] of chunk) {
      const s = json<StoredRawSnippet>(v);
      if (rawMatches(s, q)) out.push(s);
      if (out.length >= limit) return out;
    }
  }
  return out;
}
