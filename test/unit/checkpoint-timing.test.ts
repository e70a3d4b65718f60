// Checkpoint timing: half-way between the instants windows close (epoch-aligned windows, closed
// maxOutOfOrdernessMs after their end, spread over a further staggerMs), and the next checkpoint
// moved to that phase.

import { describe, expect, it } from 'vitest';
import { nextCheckpointAt, quietPhase, type Phase } from '../../edge/gateway/checkpoint-timing.js';
import type { WindowSpec } from '../../edge/window/contract.js';

const tumbling = (sizeMs: number): WindowSpec => ({ kind: 'tumbling', sizeMs });
const hopping = (sizeMs: number, slideMs: number): WindowSpec => ({ kind: 'hopping', sizeMs, slideMs });

describe('quietPhase', () => {
  it.each<[string, WindowSpec[], number, Phase | undefined]>([
    ['the default windows: 10 s tumbling, 60 s hopping by 10 s, 2 s out of order', [tumbling(10_000), hopping(60_000, 10_000)], 2_000, { periodMs: 10_000, offsetMs: 7_000 }],
    ['no out-of-orderness', [tumbling(10_000)], 0, { periodMs: 10_000, offsetMs: 5_000 }],
    ['out-of-orderness past half the period wraps', [tumbling(10_000)], 8_000, { periodMs: 10_000, offsetMs: 3_000 }],
    ['sizes of 6 s and 4 s close on multiples of 2 s', [tumbling(6_000), hopping(12_000, 4_000)], 0, { periodMs: 2_000, offsetMs: 1_000 }],
    ['session windows close at no fixed instant', [{ kind: 'session', gapMs: 30_000 }], 2_000, undefined],
  ])('%s', (_name, windows, outOfOrderness, phase) => {
    expect(quietPhase(windows, outOfOrderness)).toEqual(phase);
  });

  it.each<[string, number, Phase | undefined]>([
    ['a 5-s stagger: closings from 2 to 7 s, the middle of the rest at 9.5 s', 5_000, { periodMs: 10_000, offsetMs: 9_500 }],
    ['a 7-s stagger: closings from 2 to 9 s, the rest centred on 0.5 s', 7_000, { periodMs: 10_000, offsetMs: 500 }],
    ['a stagger of the whole period: no quiet instant', 10_000, undefined],
  ])('%s', (_name, staggerMs, phase) => {
    expect(quietPhase([tumbling(10_000), hopping(60_000, 10_000)], 2_000, staggerMs)).toEqual(phase);
  });
});

describe('nextCheckpointAt', () => {
  const phase: Phase = { periodMs: 10_000, offsetMs: 7_000 };
  it.each<[string, number, number, Phase | undefined, number]>([
    ['without a phase: the interval later', 1_234, 10_000, undefined, 11_234],
    ['on the phase already: the interval later', 17_000, 10_000, phase, 27_000],
    ['due at 22.1 s: the nearest quiet instant, 27 s', 12_100, 10_000, phase, 27_000],
    ['due at 20.5 s: the nearest quiet instant, 17 s', 10_500, 10_000, phase, 17_000],
    ['due half a period off: the sooner one', 12_000, 10_000, phase, 17_000],
    ['an interval of several periods', 9_000, 30_000, phase, 37_000],
    ['more often than the period: the phase is not kept', 12_000, 1_000, phase, 13_000],
  ])('%s', (_name, from, interval, p, next) => {
    expect(nextCheckpointAt(from, interval, p)).toBe(next);
  });

  it('keeps every checkpoint on the phase and the interval on average', () => {
    let at = 3_333;
    const taken: number[] = [];
    for (let i = 0; i < 5; i++) taken.push((at = nextCheckpointAt(at, 10_000, phase)));
    expect(taken.every((t) => t % 10_000 === 7_000)).toBe(true);
    expect(taken[4]! - taken[0]!).toBe(40_000);
  });
});
