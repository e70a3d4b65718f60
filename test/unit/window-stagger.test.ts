// Window stagger: each device's watermark lags its newest reading by maxOutOfOrdernessMs plus a
// fixed share of staggerMs taken from its id, so a fleet's aligned windows close spread over
// staggerMs instead of in one instant — and the windows themselves do not move.

import { describe, expect, it } from 'vitest';
import { staggerOf } from '../../edge/window/stagger.js';
import { runSteps, T0 } from './window-harness.js';

describe('staggerOf', () => {
  it('is 0 without a stagger', () => {
    expect(staggerOf('sensor-0001', 0)).toBe(0);
  });

  it('gives every device an integer share in [0, staggerMs), the same every time', () => {
    for (const id of ['a', 'sensor-0001', 'm-0007', 'ünïcödé/line-3', 'x'.repeat(300)]) {
      const share = staggerOf(id, 5000);
      expect(Number.isInteger(share)).toBe(true);
      expect(share).toBeGreaterThanOrEqual(0);
      expect(share).toBeLessThan(5000);
      expect(staggerOf(id, 5000)).toBe(share);
    }
  });

  it("spreads a fleet's sequential ids evenly over the stagger", () => {
    const counts = new Array<number>(10).fill(0);
    for (let i = 1; i <= 1000; i++) counts[Math.floor(staggerOf(`m-${String(i).padStart(4, '0')}`, 10_000) / 1000)]!++;
    // 100 expected per tenth; a uniform draw stays within ±40 of it with overwhelming odds.
    for (const c of counts) expect(c).toBeGreaterThan(60);
    for (const c of counts) expect(c).toBeLessThan(140);
  });
});

describe('window engine with a stagger', () => {
  // Two devices with different shares (found, not assumed), ooo 200 ms, windows of 1 s.
  const STAGGER = 800;
  const ids = Array.from({ length: 50 }, (_, i) => `dev-${i}`);
  const early = ids.reduce((a, b) => (staggerOf(a, STAGGER) <= staggerOf(b, STAGGER) ? a : b));
  const late = ids.reduce((a, b) => (staggerOf(a, STAGGER) >= staggerOf(b, STAGGER) ? a : b));

  it.each([early, late])('closes %s\'s window once a reading reaches end + out-of-orderness + its share, not before', (device) => {
    const lag = 200 + staggerOf(device, STAGGER);
    const run = runSteps({ staggerMs: STAGGER }, [
      { device, ts: 100, values: { x: 1 } },
      { device, ts: 1000 + lag - 1, values: { x: 2 } },
    ]);
    expect(run.summaries).toEqual([]);
    expect(run.engine.watermark(device)).toBe(T0 + 1000 - 1);
    run.engine.add({ device, ts: T0 + 1000 + lag, tsFromArrival: false, receivedAt: 0, values: { x: 3 } });
    // The window itself is where it always was: [0, 1000), one reading.
    expect(run.summaries.map((s) => [s.window.start - T0, s.window.end - T0, s.features.count, s.revision])).toEqual([[0, 1000, 1, 0]]);
    run.engine.close();
  });

  it('spreads the closing of one aligned window over the devices: each closes at its own reading', () => {
    // Far enough apart that many readings of both devices come between the two closings.
    expect(staggerOf(late, STAGGER) - staggerOf(early, STAGGER)).toBeGreaterThan(100);
    const steps = [];
    // Both devices report every 10 ms from 0 to 2 s; windows [0, 1000) close at different readings.
    for (let ts = 0; ts <= 2000; ts += 10) for (const device of [early, late]) steps.push({ device, ts, values: { x: ts } });
    const run = runSteps({ staggerMs: STAGGER }, steps);
    const closedBy = (device: string) => run.summaries.find((s) => s.device === device && s.window.start === T0)!;
    // emittedAt is the fake clock, which does not move: the order of emission tells the story.
    const order = run.summaries.filter((s) => s.window.start === T0).map((s) => s.device);
    expect(order).toEqual([early, late]);
    // Not late: a reading before the stagger passed joined its window as an ordinary reading.
    expect(closedBy(early).features.count).toBe(100);
    expect(closedBy(late).features.count).toBe(100);
    expect(closedBy(late).revision).toBe(0);
    run.engine.close();
  });

  it('a silent device: its watermark follows the clock minus the same lag', () => {
    const run = runSteps({ staggerMs: STAGGER, idleTimeoutMs: 5000, allowedLatenessMs: 10_000 }, [{ device: late, ts: 0, values: { x: 1 } }, { advance: 5000 }]);
    expect(run.engine.watermark(late)).toBe(T0 + 5000 - 200 - staggerOf(late, STAGGER));
    run.engine.close();
  });

  it('refuses a negative stagger', () => {
    expect(() => runSteps({ staggerMs: -1 }, [])).toThrow(/staggerMs must be a non-negative number/);
  });
});
