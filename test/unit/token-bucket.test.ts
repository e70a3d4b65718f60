// The uplink's bandwidth budget on a fake clock: the long-run rate holds whatever the message
// sizes, bulk sends leave the reserve for live ones, and live sends never wait for backlog.

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { TokenBucket } from '../../edge/uplink/token-bucket.js';

const RATE = 10_000;
const BURST = 20_000;

/** Send greedily for `seconds`, stepping 5 ms; returns bytes sent by each kind. */
function run(bucket: TokenBucket, clock: FakeClock, seconds: number, senders: Array<{ bulk: boolean; bytes: number; everyMs?: number }>): number[] {
  const sent = senders.map(() => 0);
  const due = senders.map(() => 0);
  for (let t = 0; t < seconds * 1000; t += 5) {
    senders.forEach((s, i) => {
      // A periodic sender has one message due per period; a greedy one always has one.
      if (s.everyMs !== undefined && t < due[i]!) return;
      if (!bucket.canSend(s.bulk)) return;
      bucket.spend(s.bytes);
      sent[i]! += s.bytes;
      if (s.everyMs !== undefined) due[i]! += s.everyMs;
    });
    clock.advance(5);
  }
  return sent;
}

describe('TokenBucket', () => {
  it.each([100, 1_500, 64_000])('holds the rate over a minute with %s-byte messages (at most rate·T + burst + one message)', (bytes) => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ clock, bytesPerSec: RATE, burstBytes: BURST, reserve: 0.25 });
    const [sent] = run(bucket, clock, 60, [{ bulk: false, bytes }]);
    expect(sent).toBeLessThanOrEqual(RATE * 60 + BURST + bytes);
    expect(sent).toBeGreaterThanOrEqual(RATE * 60 - bytes);
  });

  it('gives backlog the whole rate when nothing live waits, keeping the reserve', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ clock, bytesPerSec: RATE, burstBytes: BURST, reserve: 0.25 });
    const [bulk] = run(bucket, clock, 60, [{ bulk: true, bytes: 1_000 }]);
    expect(bulk).toBeGreaterThanOrEqual(RATE * 60 - 1_000);
    expect(bucket.level).toBeGreaterThan(0.25 * BURST - 1_000);
    expect(bucket.canSend(false)).toBe(true); // a live item finds tokens at once
    expect(bucket.canSend(true)).toBe(false);
  });

  it('sends live data on time while backlog takes the rest', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ clock, bytesPerSec: RATE, burstBytes: BURST, reserve: 0.25 });
    // Live: 3,000 bytes every second (30% of the rate), each due message sent in the step it is due.
    const [live, bulk] = run(bucket, clock, 60, [{ bulk: false, bytes: 3_000, everyMs: 1000 }, { bulk: true, bytes: 1_000 }]);
    expect(live).toBe(3_000 * 60);
    expect(live! + bulk!).toBeLessThanOrEqual(RATE * 60 + BURST + 1_000);
    expect(bulk).toBeGreaterThanOrEqual(RATE * 60 - live! - 2 * 1_000 - 0.25 * BURST);
  });

  it('says how long to wait, and has no limit at rate 0', () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket({ clock, bytesPerSec: RATE, burstBytes: BURST, reserve: 0.5 });
    bucket.spend(BURST + 5_000);
    expect(bucket.canSend(false)).toBe(false);
    expect(bucket.waitMs(false)).toBe(501);
    expect(bucket.waitMs(true)).toBe(1501);
    clock.advance(501);
    expect(bucket.canSend(false)).toBe(true);
    const free = new TokenBucket({ clock, bytesPerSec: 0, burstBytes: 1, reserve: 0 });
    free.spend(1e12);
    expect(free.canSend(true)).toBe(true);
    expect(() => new TokenBucket({ clock, bytesPerSec: 1, burstBytes: 1, reserve: 1 })).toThrow(TypeError);
  });
});
