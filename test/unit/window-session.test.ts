// Session windows as pipeline tables: joining, emission at last + gap, late extension, an earlier
// start (new id, old one retracted), bridging two sessions, and the counters. Times are ms after T0.

import { describe, expect, it } from 'vitest';
import { expectCase, S, type Case } from './window-harness.js';

const x = (v: number) => ({ x: v });
/** Gap 1 s, out-of-orderness 200 ms, allowed lateness 5 s. */
const session = { windows: [{ kind: 'session', gapMs: 1000 }], allowedLatenessMs: 5000 } as const;

const cases: Case[] = [
  {
    name: 'readings closer than the gap form one session, emitted once W >= last + gap',
    config: session,
    // 2000 is 1200 after 800: a new session; W = 1800 = 800 + gap closes the first.
    steps: [{ ts: 0, values: x(1) }, { ts: 300, values: x(2) }, { ts: 800, values: x(3) }, { ts: 2000, values: x(4) }],
    summaries: [S('session', 0, 1800, 0, [[0, 1], [300, 2], [800, 3]])],
    stats: { readingsIn: 4, valuesIn: 4, summariesOut: 1, windowsOpen: 1, keys: 1 },
  },
  {
    name: 'readings exactly one gap apart are separate sessions',
    config: session,
    steps: [{ ts: 0, values: x(1) }, { ts: 1000, values: x(2) }, { ts: 3000, values: x(3) }],
    summaries: [S('session', 0, 1000, 0, { count: 1, sum: 1 }), S('session', 1000, 2000, 0, { count: 1, sum: 2 })],
    stats: { summariesOut: 2, windowsOpen: 1 },
  },
  {
    name: 'an out-of-order reading within the bound joins before emission',
    config: session,
    // After 1000, W = 800; 850 is out of order but not late.
    steps: [{ ts: 0, values: x(1) }, { ts: 500, values: x(2) }, { ts: 1000, values: x(3) }, { ts: 850, values: x(4) }, { ts: 5000, values: x(0) }],
    summaries: [S('session', 0, 2000, 0, [[0, 1], [500, 2], [1000, 3], [850, 4]])],
    stats: { lateAccepted: 0, summariesOut: 1, revisionsOut: 0 },
  },
  {
    name: 'an in-bound reading bridging two open sessions merges them silently',
    config: session,
    // 1100 starts a second session (1100 − 0 >= gap) with W = 900 < 1000, so neither is emitted; 950 joins both.
    steps: [{ ts: 0, values: x(1) }, { ts: 1100, values: x(2) }, { ts: 950, values: x(3) }, { ts: 5000, values: x(0) }],
    summaries: [S('session', 0, 2100, 0, [[0, 1], [1100, 2], [950, 3]])],
    stats: { lateAccepted: 0, summariesOut: 1, revisionsOut: 0, windowsOpen: 1 },
  },
  {
    name: 'a late reading extends an emitted session: same id, revision + 1',
    config: session,
    // 3000 → W = 2800 closes [0, 1500). 1200 is late, joins it, and the new end 2200 <= W: re-emitted at once.
    steps: [{ ts: 0, values: x(1) }, { ts: 500, values: x(2) }, { ts: 3000, values: x(5) }, { ts: 1200, values: x(3) }],
    summaries: [S('session', 0, 1500, 0, [[0, 1], [500, 2]]), S('session', 0, 2200, 1, [[0, 1], [500, 2], [1200, 3]])],
    stats: { lateAccepted: 1, summariesOut: 2, revisionsOut: 1, windowsOpen: 1 },
  },
  {
    name: 'a late extension past the watermark is re-emitted when W passes the new end',
    config: session,
    // Metric y moves the device watermark. 2300 → W = 2100 closes x's [0, 1900); late 1850 makes it end at 2850 > W;
    // 3100 → W = 2900 passes it.
    steps: [{ ts: 0, values: x(1) }, { ts: 900, values: x(2) }, { ts: 2300, values: { y: 1 } }, { ts: 1850, values: x(3) }, { ts: 3100, values: { y: 2 } }],
    summaries: [S('session', 0, 1900, 0, [[0, 1], [900, 2]]), S('session', 0, 2850, 1, [[0, 1], [900, 2], [1850, 3]])],
    stats: { lateAccepted: 1, summariesOut: 2, revisionsOut: 1, keys: 2, windowsOpen: 1 },
  },
  {
    name: 'a late reading before the start: the session gets a new id and the old one is retracted',
    config: session,
    // -400 > 0 − gap joins [0, 1500), moving its start: retract id(start 0) as revision 1, emit id(start −400) as revision 0.
    steps: [{ ts: 0, values: x(1) }, { ts: 500, values: x(2) }, { ts: 3000, values: x(5) }, { ts: -400, values: x(3) }],
    summaries: [
      S('session', 0, 1500, 0, [[0, 1], [500, 2]]),
      S('session', 0, 1500, 1, [[0, 1], [500, 2]], { retracted: true }),
      S('session', -400, 1500, 0, [[-400, 3], [0, 1], [500, 2]]),
    ],
    stats: { lateAccepted: 1, summariesOut: 3, revisionsOut: 1, windowsOpen: 1 },
  },
  {
    name: 'a late reading bridging two emitted sessions merges them into the earlier; the later is retracted',
    config: session,
    // 5000 → W = 4800 closes [0, 1200) and [1500, 2500). 800 is within the gap of both.
    steps: [{ ts: 0, values: x(1) }, { ts: 200, values: x(2) }, { ts: 1500, values: x(3) }, { ts: 5000, values: x(9) }, { ts: 800, values: x(4) }],
    summaries: [
      S('session', 0, 1200, 0, [[0, 1], [200, 2]]),
      S('session', 1500, 2500, 0, [[1500, 3]]),
      S('session', 1500, 2500, 1, [[1500, 3]], { retracted: true }),
      S('session', 0, 2500, 1, [[0, 1], [200, 2], [1500, 3], [800, 4]]),
    ],
    stats: { lateAccepted: 1, summariesOut: 4, revisionsOut: 2, windowsOpen: 1 },
  },
  {
    name: 'a reading beyond allowed lateness goes to onLate and joins no session',
    config: session,
    // W = 9800: 4000 + 5000 < W. 4800 + 5000 = W is still accepted: a new session, emitted at once.
    steps: [{ ts: 0, values: x(1) }, { ts: 10_000, values: x(2) }, { ts: 4000, values: x(3) }, { ts: 4800, values: x(4) }],
    summaries: [S('session', 0, 1000, 0, [[0, 1]]), S('session', 4800, 5800, 0, [[4800, 4]])],
    late: [{ device: 'd1', ts: 4000, watermark: 9800 }],
    stats: { readingsIn: 4, valuesIn: 3, lateAccepted: 1, lateRejected: 1, summariesOut: 2 },
  },
  {
    name: 'a silent device: the idle timeout closes its last session',
    config: { ...session, idleTimeoutMs: 5000 },
    // At T0+5000: W = 300 + 5000 − 200 = 5100 >= 1300.
    steps: [{ ts: 0, values: x(1) }, { ts: 300, values: x(2) }, { advance: 4000 }, { advance: 1000 }],
    summaries: [S('session', 0, 1300, 0, [[0, 1], [300, 2]])],
    stats: { summariesOut: 1, windowsOpen: 0, keys: 1 },
  },
  {
    name: 'every window spec sees every metric',
    config: { windows: [{ kind: 'tumbling', sizeMs: 1000 }, { kind: 'hopping', sizeMs: 2000, slideMs: 1000 }, { kind: 'session', gapMs: 500 }] },
    // 1800 → W = 1600: tumbling [0, 1000), hopping [−1000, 1000) and session [0, 800) close.
    steps: [{ ts: 0, values: { x: 1, y: 10 } }, { ts: 300, values: { x: 2, y: 20 } }, { ts: 1800, values: { x: 3, y: 30 } }],
    summaries: [
      S('tumbling', 0, 1000, 0, [[0, 1], [300, 2]]),
      S('hopping', -1000, 1000, 0, [[0, 1], [300, 2]]),
      S('session', 0, 800, 0, [[0, 1], [300, 2]]),
      S('tumbling', 0, 1000, 0, [[0, 10], [300, 20]], { metric: 'y' }),
      S('hopping', -1000, 1000, 0, [[0, 10], [300, 20]], { metric: 'y' }),
      S('session', 0, 800, 0, [[0, 10], [300, 20]], { metric: 'y' }),
    ],
    // Per key: tumbling [1000, 2000), hopping [0, 2000) and [1000, 3000), session at 1800.
    stats: { summariesOut: 6, keys: 2, windowsOpen: 8 },
  },
];

describe('window engine: session tables', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => expectCase(c));
});
