// The outbox's stored form of items: every class round-trips exactly, a summary takes a fraction
// of its JSON, and a summary with a field the codec does not know falls back to JSON, keeping it.

import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../edge/features/summary.js';
import { decodeItem, decodeItemText, encodeItem, encodeItemJson, itemKey, parseItemKey, readHeader } from '../../edge/outbox/item-codec.js';
import { ItemText, type UplinkClass, type UplinkItems } from '../../edge/uplink/protocol.js';
import { exampleAlert, exampleRaw, exampleStatus, exampleSummary, T } from '../helpers/uplink-items.js';

const GW = 'gw-7';
const AT = T + 90_000;

function roundTrip<C extends UplinkClass>(cls: C, item: UplinkItems[C]): { back: UplinkItems[C]; bytes: number } {
  const value = encodeItem(cls, item, AT);
  expect(readHeader(value)).toEqual({ id: item.id, rev: item.revision, queuedAt: AT });
  return { back: decodeItem(cls, value), bytes: value.length };
}

const summary = exampleSummary(GW, 'motor-17', 0, [71.2, 71.4, 70.9, 72.05, 71.3], 2);

const summaries: Array<[string, Summary]> = [
  ['a tumbling summary', summary],
  ['a hopping summary', { ...summary, window: { kind: 'hopping', start: summary.window.start, end: summary.window.start + 60_000, size: 60_000, slide: 10_000 } }],
  ['a retracted session', { ...summary, window: { kind: 'session', start: summary.window.start, end: summary.window.start + 4_000, size: 2_000 }, retracted: true }],
  ['a scored summary', { ...summary, score: { model: 'motor-baseline', version: '3', value: 0.731234, threshold: 0.5 } }],
  ['awkward numbers', { ...exampleSummary(GW, 'd', 0, [1e300, -0.1 + 0.3, 2 ** 53 + 2, -1e-300]), emittedAt: 2 ** 60 }],
  ['features not derived from the partials', { ...summary, features: { ...summary.features, mean: 12345.678 } }],
  ['a negative zero', { ...summary, partials: { ...summary.partials, min: -0 }, features: { ...summary.features, min: -0 } }],
];

describe('outbox item codec', () => {
  it.each(summaries)('round-trips %s exactly', (_name, s) => {
    const { back } = roundTrip('summary', s);
    expect(back).toStrictEqual(s);
    // Bit for bit, including -0, which toStrictEqual treats as equal to 0.
    for (const k of Object.keys(s.partials) as Array<keyof Summary['partials']>) expect(Object.is(back.partials[k], s.partials[k])).toBe(true);
    for (const k of Object.keys(s.features) as Array<keyof Summary['features']>) expect(Object.is(back.features[k], s.features[k])).toBe(true);
  });

  it('stores a summary in a fifth of its JSON (short decimals) or a quarter (full-precision values)', () => {
    const { bytes } = roundTrip('summary', summary);
    const json = Buffer.byteLength(JSON.stringify(summary));
    expect(json).toBeGreaterThan(600);
    expect(bytes).toBeLessThan(json / 5);
    const noisy = exampleSummary(GW, 'motor-17', 0, [71.23456789, 70.98765432, 72.11111113, 71.7777771, 70.123456789]);
    const noisyJson = Buffer.byteLength(JSON.stringify(noisy));
    expect(roundTrip('summary', noisy).bytes).toBeLessThan(noisyJson / 4);
  });

  it.each([
    ['the summary', (s: Summary) => ({ ...s, quality: 'good' })],
    ['its window', (s: Summary) => ({ ...s, window: { ...s.window, zone: 'utc' } })],
    ['its partials', (s: Summary) => ({ ...s, partials: { ...s.partials, sumCube: 1 } })],
    ['its features', (s: Summary) => ({ ...s, features: { ...s.features, median: 71 } })],
    ['its score', (s: Summary) => ({ ...s, score: { model: 'm', version: '1', value: 0.5, threshold: 0.9, calibrated: true } })],
  ])('keeps a field it does not know in %s by storing that summary as JSON', (_where, change) => {
    const odd = change(summary) as Summary;
    const { back, bytes } = roundTrip('summary', odd);
    expect(back).toStrictEqual(odd);
    expect(bytes).toBeGreaterThan(roundTrip('summary', summary).bytes);
  });

  it.each([
    ['alert', exampleAlert(GW, 'pump-1', 2)],
    ['raw', exampleRaw(GW, 'pump-1')],
    ['status', exampleStatus(GW, 42)],
  ] as const)('round-trips a %s item', (cls, item) => {
    expect(roundTrip(cls, item as never).back).toStrictEqual(item);
  });

  it('refuses an item without a proper id or revision (a programmer mistake)', () => {
    expect(() => encodeItem('alert', { ...exampleAlert(GW, 'p'), id: 'nope' }, AT)).toThrow(TypeError);
    expect(() => encodeItem('alert', { ...exampleAlert(GW, 'p'), revision: 1.5 }, AT)).toThrow(TypeError);
    expect(() => encodeItemJson('raw', 'nope', 0, '{}', AT)).toThrow(TypeError);
  });

  it('stores an item given as its JSON text as the same bytes as the item itself', () => {
    const raw = exampleRaw(GW, 'p');
    const { id, revision, ...rest } = raw;
    const bytes = encodeItemJson('raw', id, revision, JSON.stringify(rest), AT);
    expect(bytes).toEqual(encodeItem('raw', raw, AT));
    expect(decodeItem('raw', bytes)).toEqual(raw);
  });

  it('reads an item stored as JSON back as the text JSON.stringify gives for it, a summary as the object', () => {
    const items = [
      ['raw', exampleRaw(GW, 'pump-1')],
      ['status', exampleStatus(GW, 4)],
      ['alert', exampleAlert(GW, 'pump-1')],
      // No keys besides id and revision: `{"id":…,"revision":…}`, no stray comma.
      ['raw', { id: 'a'.repeat(32), revision: 3 } as unknown as UplinkItems['raw']],
    ] as const;
    for (const [cls, item] of items) {
      const value = encodeItem(cls, item, AT);
      const text = decodeItemText(cls, value);
      expect(text).toBeInstanceOf(ItemText);
      expect((text as ItemText).json).toBe(JSON.stringify(decodeItem(cls, value)));
    }
    expect(decodeItemText('summary', encodeItem('summary', summary, AT))).toStrictEqual(summary);
  });

  it('refuses to read as text a JSON body that does not parse, or is not an object', () => {
    const value = encodeItem('raw', exampleRaw(GW, 'p'), AT);
    value[value.length - 3]! ^= 0xff;
    expect(() => decodeItemText('raw', value)).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
    // A well-formed deflate stream of a JSON array where the item's other keys should be.
    const good = encodeItem('raw', { id: 'b'.repeat(32), revision: 0 } as unknown as UplinkItems['raw'], AT);
    const header = good.subarray(0, good.length - deflateRawSync('{}').length);
    expect(decodeItemText('raw', Buffer.concat([header, deflateRawSync('{"x":1}')]))).toEqual(new ItemText(`{"id":"${'b'.repeat(32)}","revision":0,"x":1}`));
    expect(() => decodeItemText('raw', Buffer.concat([header, deflateRawSync('[1]')]))).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT', message: expect.stringContaining('not a JSON object') }));
  });

  it('keys sort by class, then seq', () => {
    const keys = [itemKey('summary', 300), itemKey('alert', 5), itemKey('summary', 2)].sort(Buffer.compare);
    expect(keys.map(parseItemKey)).toEqual([{ cls: 'alert', seq: 5 }, { cls: 'summary', seq: 2 }, { cls: 'summary', seq: 300 }]);
  });

  it('reports a damaged record as ERR_STORE_CORRUPT', () => {
    const value = encodeItem('alert', exampleAlert(GW, 'p'), AT);
    value[value.length - 3]! ^= 0xff;
    expect(() => decodeItem('alert', value)).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
    expect(() => parseItemKey(Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
  });
});
