// Cutting a flight-recorder snippet into raw items: the readings of one device around one alert,
// split into parts whose JSON stays under a size limit, each part its own item with a
// deterministic id (rawSnippetId), so cutting the same readings again gives the same items.

import type { Reading } from '../decode/reading.js';
import { rawSnippetId } from '../uplink/ids.js';
import type { RawReading, RawSnippet } from '../uplink/schemas.js';

export interface SnippetRange {
  readonly gateway: string;
  readonly device: string;
  /** The alert's id. */
  readonly alert: string;
  /** Event-time range asked for (inclusive, ms); every part carries the whole range. */
  readonly from: number;
  readonly to: number;
}

/** The snippet's parts, oldest readings first; one part (maybe empty) at least. */
export function snippetParts(range: SnippetRange, readings: readonly Reading[], maxPartBytes: number): RawSnippet[] {
  const head = (part: number, parts: number, rows: RawReading[]): RawSnippet => ({
    id: rawSnippetId(range.gateway, range.device, range.alert, part),
    revision: 0,
    gateway: range.gateway,
    device: range.device,
    alert: range.alert,
    part,
    parts,
    from: range.from,
    to: range.to,
    readings: rows,
  });
  // The envelope with the widest part numbers it can have, so every part fits whatever its number.
  const overhead = Buffer.byteLength(JSON.stringify(head(readings.length, readings.length + 1, [])));
  const groups: RawReading[][] = [[]];
  let size = overhead;
  for (const r of readings) {
    const row: RawReading = { ts: r.ts, receivedAt: r.receivedAt, ...(r.tsFromArrival ? { tsFromArrival: true as const } : {}), values: { ...r.values } };
    const bytes = Buffer.byteLength(JSON.stringify(row)) + 1; // and a comma
    const current = groups[groups.length - 1]!;
    if (current.length > 0 && size + bytes > maxPartBytes) {
      groups.push([row]);
      size = overhead + bytes;
    } else {
      current.push(row);
      size += bytes;
    }
  }
  return groups.map((rows, part) => head(part, groups.length, rows));
}
