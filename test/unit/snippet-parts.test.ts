// Cutting a flight-recorder snippet into parts: under the size limit, in order, deterministic ids,
// and valid raw items by the protocol's own schema.

import { describe, expect, it } from 'vitest';
import type { Reading } from '../../edge/decode/reading.js';
import { snippetPartsText } from '../../edge/outbox/snippet-parts.js';
import { rawSnippetId, validators } from '../../edge/uplink/protocol.js';
import { rawRow, snippetParts } from '../helpers/snippet-parts.js';

const range = { gateway: 'gw-7', device: 'pump-1', alert: 'c'.repeat(32), from: 1_000, to: 9_000 };
const reading = (i: number, metrics = 3): Reading => ({
  device: 'pump-1', ts: 1_000 + i, receivedAt: 1_005 + i, tsFromArrival: i % 2 === 1,
  values: Object.fromEntries(Array.from({ length: metrics }, (_, m) => [`m${m}`, i + m / 10])),
});

describe('snippetPartsText', () => {
  it.each([
    ['no readings', 0, 4096, 1],
    ['one part', 10, 4096, 1],
    ['several parts', 500, 4096, undefined],
  ])('%s', (_name, n, max, expectedParts) => {
    const readings = Array.from({ length: n }, (_, i) => reading(i));
    const parts = snippetParts(range, readings, max);
    if (expectedParts !== undefined) expect(parts).toHaveLength(expectedParts);
    else expect(parts.length).toBeGreaterThan(5);
    parts.forEach((p, i) => {
      expect(validators.items.raw(p)).toBe(true);
      expect(p).toMatchObject({ id: rawSnippetId('gw-7', 'pump-1', range.alert, i), part: i, parts: parts.length, from: 1_000, to: 9_000 });
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(max);
    });
    expect(parts.flatMap((p) => p.readings).map((r) => r.ts)).toEqual(readings.map((r) => r.ts));
    expect(snippetParts(range, readings, max)).toEqual(parts); // the same readings, the same items
    // Each part's text, with its id and revision in front, is the item's own JSON: what the size limit measured.
    const texts = snippetPartsText(range, readings.map(rawRow), max);
    expect(texts.map(({ id, revision, json }) => `{"id":${JSON.stringify(id)},"revision":${revision},${json.slice(1)}`)).toEqual(parts.map((p) => JSON.stringify(p)));
  });

  it('gives a reading bigger than the limit a part of its own rather than losing it', () => {
    const parts = snippetParts(range, [reading(0), reading(1, 400), reading(2)], 2048);
    expect(parts.map((p) => p.readings.length)).toEqual([1, 1, 1]);
  });
});
