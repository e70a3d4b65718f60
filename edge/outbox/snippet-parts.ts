// Cutting a flight-recorder snippet into raw items: the readings of one device around one alert,
// split into parts whose JSON stays under a size limit, each part its own item with a
// deterministic id (rawSnippetId), so cutting the same readings again gives the same items.
// The readings come as the JSON text of raw readings (ReadingCodec.rowJson) and the parts go out
// as text (Outbox.addRawText): no object is made per reading between the log and the outbox.

import { rawSnippetId } from '../uplink/ids.js';
import type { RawSnippet } from '../uplink/schemas.js';

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

/**
 * The snippet's parts, oldest readings first, one part (maybe empty) at least, each as its item's
 * text; `rows` are the readings' JSON text, oldest first, as FoundReadings.rowsJson gives them.
 */
export function snippetPartsText(range: SnippetRange, rows: readonly string[], maxPartBytes: number): RawSnippetText[] {
  const starts = partStarts(range, rows.length, (i) => Buffer.byteLength(rows[i]!), maxPartBytes);
  return starts.map((start, part) => {
    const { id, revision, ...rest } = head(range, part, starts.length);
    // `readings` is the last key: the text ends `"readings":[]}`, and the rows go between the brackets.
    const json = `${JSON.stringify(rest).slice(0, -2)}${rows.slice(start, starts[part + 1] ?? rows.length).join(',')}]}`;
    return { id, revision, json };
  });
}

/** A part without its readings. */
function head(range: SnippetRange, part: number, parts: number): RawSnippet {
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
    readings: [],
  };
}

/** Where each part begins (indexes into the rows; the first is 0): a part's JSON stays under maxPartBytes, a row bigger than that gets a part of its own. */
function partStarts(range: SnippetRange, count: number, rowBytes: (i: number) => number, maxPartBytes: number): number[] {
  // The envelope with the widest part numbers it can have, so every part fits whatever its number.
  const overhead = Buffer.byteLength(JSON.stringify(head(range, count, count + 1)));
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
