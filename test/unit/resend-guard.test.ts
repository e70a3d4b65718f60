// The resend guard: after a restart, a reading sent again that is among the newest logged readings
// of its device is recognised once per logged copy; anything else passes.

import { describe, expect, it } from 'vitest';
import type { Reading } from '../../edge/decode/reading.js';
import { readingKey, ResendGuard } from '../../edge/gateway/resend-guard.js';

const r = (device: string, ts: number, values: Record<string, number>, tsFromArrival = false): Reading => ({ device, ts, values, tsFromArrival, receivedAt: ts });

describe('resend guard', () => {
  it('keys a reading by device, time and every value, whatever the metric order', () => {
    expect(readingKey(r('a', 1, { x: 1, y: 2 }))).toBe(readingKey(r('a', 1, { y: 2, x: 1 })));
    expect(readingKey(r('a', 1, { x: 1 }))).not.toBe(readingKey(r('a', 1, { x: 2 })));
    expect(readingKey(r('a', 1, { x: 1 }))).not.toBe(readingKey(r('b', 1, { x: 1 })));
  });

  const table: Array<{ name: string; tail: Reading[]; perDevice: number; arriving: Array<[Reading, number]>; resends: boolean[] }> = [
    { name: 'a logged reading sent again is a resend, once', tail: [r('a', 1, { x: 1 })], perDevice: 4, arriving: [[r('a', 1, { x: 1 }), 0], [r('a', 1, { x: 1 }), 0]], resends: [true, false] },
    { name: 'the same reading logged twice is recognised twice', tail: [r('a', 1, { x: 1 }), r('a', 1, { x: 1 })], perDevice: 4, arriving: [[r('a', 1, { x: 1 }), 0], [r('a', 1, { x: 1 }), 0]], resends: [true, true] },
    { name: 'only the newest perDevice readings of a device are remembered', tail: [r('a', 1, { x: 1 }), r('a', 2, { x: 1 }), r('a', 3, { x: 1 })], perDevice: 2, arriving: [[r('a', 1, { x: 1 }), 0], [r('a', 3, { x: 1 }), 0]], resends: [false, true] },
    { name: 'a reading stamped on arrival is never a resend', tail: [r('a', 1, { x: 1 }, true)], perDevice: 4, arriving: [[r('a', 1, { x: 1 }, true), 0]], resends: [false] },
    { name: 'after the guard period everything passes', tail: [r('a', 1, { x: 1 })], perDevice: 4, arriving: [[r('a', 1, { x: 1 }), 101]], resends: [false] },
  ];
  it.each(table)('$name', ({ tail, perDevice, arriving, resends }) => {
    const guard = new ResendGuard(tail, perDevice, 100);
    expect(arriving.map(([reading, now]) => guard.isResend(reading, now))).toEqual(resends);
    expect(guard.resends).toBe(resends.filter(Boolean).length);
  });
});
