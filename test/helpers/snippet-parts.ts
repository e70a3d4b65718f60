// Raw snippet items as objects, for tests that hand them to a cloud store or check them against
// the protocol's schema: the gateway's own cut (snippetPartsText) on the readings' JSON, parsed.

import type { Reading } from '../../edge/decode/reading.js';
import { snippetPartsText, type SnippetRange } from '../../edge/outbox/snippet-parts.js';
import type { RawSnippet } from '../../edge/uplink/schemas.js';

/** The raw reading a gateway sends for `r` (RawReadingSchema). */
export const rawRow = (r: Reading): string => JSON.stringify({ ts: r.ts, receivedAt: r.receivedAt, ...(r.tsFromArrival ? { tsFromArrival: true } : {}), values: r.values });

/** The parts the flight recorder would queue for `readings`, as items. */
export function snippetParts(range: SnippetRange, readings: readonly Reading[], maxPartBytes: number): RawSnippet[] {
  return snippetPartsText(range, readings.map(rawRow), maxPartBytes).map(({ id, revision, json }) => ({ id, revision, ...(JSON.parse(json) as Omit<RawSnippet, 'id' | 'revision'>) }));
}
