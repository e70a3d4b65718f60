// Cutting a flight-recorder snippet into raw items: the readings of one device around one alert,
// split into parts whose JSON stays under a size limit, each part its own item with a
// deterministic id (rawSnippetId), so cutting the same readings again gives the same items.
//
// Two forms of one cut: `snippetParts` from readings (objects), and `snippetPartsText` from the
// readings' JSON text (ReadingCodec.rowJson), which the flight recorder uses so that no object is
// made per reading between the log's records and the outbox. Both split at the same places.

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

/** A part as text for Outbox.addRawText: `json` is the item without `id` and `revision` (what the outbox stores). */
export interface RawSnippetText {
  readonly id: string;
  readonly revision: number;
  readonly json: string;
}

/** The snippet's parts, oldest readings first; one part (maybe empty) at least. */
export function snippetParts(range: SnippetRange, readings: readonly Reading[], maxPartBytes: number): RawSnippet[] {
  const rows = readings.map((r): RawReading => ({ ts: r.ts, receivedAt: r.receivedAt, ...(r.tsFromArrival ? { tsFromArrival: true as const } : {}), values: { ...r.values } }));
  const starts = partStarts(range, rows.length, (i) => Buffer.byteLength(JSON.stringify(rows[i])), maxPartBytes);
  return starts.map((start, part) => head(range, part, starts.length, rows.slice(start, starts[part + 1] ?? rows.length)));
}

/**
 * snippetParts for readings as the JSON text of raw readings (`rows`, oldest first, as
 * FoundReadings.rowsJson gives them): the same parts, each as its item's text.
 */
export function snippetPartsText(range: SnippetRange, rows: readonly string[], maxPartBytes: number): RawSnippetText[] {
  const starts = partStarts(range, rows.length, (i) => Buffer.byteLength(rows[i]!), maxPartBytes);
  return starts.map((start, part) => {
    const { id, revision, ...rest } = head(range, part, starts.length, []);
    // `readings` is the last key: the text ends `"readings":[]}`, and the rows go between the brackets.
    const json = `${JSON.stringify(rest).slice(0, -2)}${rows.slice(start, starts[part + 1] ?? rows.length).join(',')}]}`;
    return { id, revision, json };
  });
}

function head(range: SnippetRange, part: number, parts: number, readings: RawReading[]): RawSnippet {
  return {
    id: rawSnippetId(range.gateway, range.device, range.alert, part),
    revision: 0,
    gateway: range.gateway,
    device: range.device,
    alert: range.alert,
    part,
    parts,
    from: range.from,
    to: range.to,
    readings,
  };
}

/** Where each part begins (indexes into the rows; the first is 0): a part's JSON stays under maxPartBytes, a row bigger than that gets a part of its own. */
function partStarts(range: SnippetRange, count: number, rowBytes: (i: number) => number, maxPartBytes: number): number[] {
  // The envelope with the widest part numbers it can have, so every part fits whatever its number.
  const overhead = Buffer.byteLength(JSON.stringify(head(range, count, count + 1, [])));
  const starts = [0];
  let size = overhead;
  for (let i = 0; i < count; i++) {
    const bytes = rowBytes(i) + 1; // and a comma
    if (i > starts[starts.length - 1]! && size + bytes > maxPartBytes) {
      starts.push(i);
      size = overhead + bytes;
    } else {
      size += bytes;
    }
  }
  return starts;
}
