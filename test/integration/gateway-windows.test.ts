// The gateway end to end over a real broker: MQTT.js devices publish readings over TCP, and each
// table row checks the summaries that reach the outbox and the per-stage counters.

import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Summary, WindowKind } from '../../edge/features/summary.js';
import type { WindowSpec } from '../../edge/window/contract.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

// Event times are offsets from T0, a 10-second boundary one minute before the fake clock's "now".
const NOW = Math.floor(Date.now() / 10_000) * 10_000;
const T0 = NOW - 60_000;

type Step = { device?: string; at: number; v: number } | { advance: number };
interface Expected {
  kind: WindowKind;
  device?: string;
  start: number;
  end: number;
  revision: number;
  values: number[]; // the readings in the window, in event-time order: features are checked against them
  retracted?: boolean;
}
interface Case {
  name: string;
  windows: WindowSpec[];
  maxOutOfOrdernessMs: number;
  allowedLatenessMs: number;
  idleTimeoutMs?: number;
  steps: Step[];
  summaries: Expected[];
  counters: { decoded: number; lateAccepted: number; late: number };
}

const cases: Case[] = [
  {
    name: 'tumbling: windows close as the watermark passes their end',
    windows: [{ kind: 'tumbling', sizeMs: 1000 }],
    maxOutOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    steps: [{ at: 0, v: 10 }, { at: 500, v: 20 }, { at: 999, v: 30 }, { at: 1000, v: 40 }, { at: 2100, v: 50 }],
    summaries: [
      { kind: 'tumbling', start: 0, end: 1000, revision: 0, values: [10, 20, 30] },
      { kind: 'tumbling', start: 1000, end: 2000, revision: 0, values: [40] },
    ],
    counters: { decoded: 5, lateAccepted: 0, late: 0 },
  },
  {
    name: 'tumbling: out-of-order readings within the bound land in their windows',
    windows: [{ kind: 'tumbling', sizeMs: 1000 }],
    maxOutOfOrdernessMs: 500,
    allowedLatenessMs: 0,
    steps: [{ at: 0, v: 1 }, { at: 600, v: 2 }, { at: 300, v: 3 }, { at: 1400, v: 4 }, { at: 1600, v: 5 }, { at: 2600, v: 6 }],
    summaries: [
      { kind: 'tumbling', start: 0, end: 1000, revision: 0, values: [1, 3, 2] },
      { kind: 'tumbling', start: 1000, end: 2000, revision: 0, values: [4, 5] },
    ],
    counters: { decoded: 6, lateAccepted: 0, late: 0 },
  },
  {
    name: 'tumbling: late within allowed lateness re-emits with revision + 1; beyond it goes to the late store',
    windows: [{ kind: 'tumbling', sizeMs: 1000 }],
    maxOutOfOrdernessMs: 0,
    allowedLatenessMs: 1000,
    steps: [{ at: 0, v: 1 }, { at: 1000, v: 2 }, { at: 500, v: 3 }, { at: 2500, v: 4 }, { at: 900, v: 5 }],
    summaries: [
      { kind: 'tumbling', start: 0, end: 1000, revision: 0, values: [1] },
      { kind: 'tumbling', start: 0, end: 1000, revision: 1, values: [1, 3] },
      { kind: 'tumbling', start: 1000, end: 2000, revision: 0, values: [2] },
    ],
    counters: { decoded: 5, lateAccepted: 1, late: 1 },
  },
  {
    name: 'hopping 2 s / 1 s: each reading lands in two windows',
    windows: [{ kind: 'hopping', sizeMs: 2000, slideMs: 1000 }],
    maxOutOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    steps: [{ at: 0, v: 1 }, { at: 1500, v: 2 }, { at: 2500, v: 3 }, { at: 4000, v: 4 }],
    summaries: [
      { kind: 'hopping', start: -1000, end: 1000, revision: 0, values: [1] },
      { kind: 'hopping', start: 0, end: 2000, revision: 0, values: [1, 2] },
      { kind: 'hopping', start: 1000, end: 3000, revision: 0, values: [2, 3] },
      { kind: 'hopping', start: 2000, end: 4000, revision: 0, values: [3] },
    ],
    counters: { decoded: 4, lateAccepted: 0, late: 0 },
  },
  {
    name: 'session: a gap of event-time silence ends a session',
    windows: [{ kind: 'session', gapMs: 1500 }],
    maxOutOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    steps: [{ at: 0, v: 1 }, { at: 1000, v: 2 }, { at: 2000, v: 3 }, { at: 5000, v: 4 }, { at: 6000, v: 5 }, { at: 9000, v: 6 }],
    summaries: [
      { kind: 'session', start: 0, end: 3500, revision: 0, values: [1, 2, 3] },
      { kind: 'session', start: 5000, end: 7500, revision: 0, values: [4, 5] },
    ],
    counters: { decoded: 6, lateAccepted: 0, late: 0 },
  },
  {
    name: 'session: a late reading bridging two emitted sessions merges them and retracts the later one',
    windows: [{ kind: 'session', gapMs: 1000 }],
    maxOutOfOrdernessMs: 0,
    allowedLatenessMs: 5000,
    steps: [{ at: 0, v: 1 }, { at: 1500, v: 2 }, { at: 3000, v: 3 }, { at: 750, v: 4 }],
    summaries: [
      { kind: 'session', start: 0, end: 1000, revision: 0, values: [1] },
      { kind: 'session', start: 1500, end: 2500, revision: 0, values: [2] },
      // The absorbed session is retracted before the merged one is re-emitted.
      { kind: 'session', start: 1500, end: 2500, revision: 1, values: [2], retracted: true },
      { kind: 'session', start: 0, end: 2500, revision: 1, values: [1, 4, 2] },
    ],
    counters: { decoded: 4, lateAccepted: 1, late: 0 },
  },
  {
    name: 'a device that goes silent: the idle timeout closes its windows while another keeps publishing',
    windows: [{ kind: 'tumbling', sizeMs: 1000 }],
    maxOutOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    idleTimeoutMs: 5000,
    steps: [
      { device: 'quiet', at: 0, v: 1 },
      { device: 'quiet', at: 200, v: 2 },
      { device: 'busy', at: 0, v: 7 },
      { advance: 3000 },
      { device: 'busy', at: 1200, v: 8 },
      { advance: 3000 },
    ],
    summaries: [
      { kind: 'tumbling', device: 'busy', start: 0, end: 1000, revision: 0, values: [7] },
      { kind: 'tumbling', device: 'quiet', start: 0, end: 1000, revision: 0, values: [1, 2] },
    ],
    counters: { decoded: 4, lateAccepted: 0, late: 0 },
  },
];

let current: TestGateway | undefined;
afterEach(async () => {
  await current?.[Symbol.asyncDispose]();
  current = undefined;
});

describe('gateway windows over MQTT', () => {
  it.each(cases)('$name', async (c) => {
    const clock = new FakeClock(NOW);
    current = await startGateway(
      {
        windows: {
          definitions: c.windows,
          maxOutOfOrdernessMs: c.maxOutOfOrdernessMs,
          // The tables are the watermark's semantics: no stagger (window-stagger.test.ts has it).
          staggerMs: 0,
          allowedLatenessMs: c.allowedLatenessMs,
          idleTimeoutMs: c.idleTimeoutMs ?? 600_000,
        },
      },
      clock,
    );
    const gw = current;
    const clients = new Map<string, Awaited<ReturnType<TestGateway['connect']>>>();
    let sent = 0;
    for (const step of c.steps) {
      if ('advance' in step) {
        clock.advance(step.advance);
        continue;
      }
      const device = step.device ?? 'pump-7';
      let client = clients.get(device);
      if (!client) {
        client = await gw.connect({ clientId: device });
        clients.set(device, client);
      }
      await client.publishAsync(`sensors/${device}`, JSON.stringify({ ts: T0 + step.at, temp: step.v }), { qos: 1 });
      sent++;
      await waitFor(() => gw.metric('tributary_readings_decoded_total') === sent, `reading ${sent} decoded`);
    }
    // Summaries pass through the analysis stage (scoring, rules) before the outbox: let it finish.
    await gw.gateway.flush();

    const got = gw.summaries.map((s) => ({
      kind: s.window.kind,
      device: s.device,
      start: s.window.start - T0,
      end: s.window.end - T0,
      revision: s.revision,
      retracted: s.retracted ?? false,
    }));
    expect(got).toEqual(
      c.summaries.map((e) => ({ kind: e.kind, device: e.device ?? 'pump-7', start: e.start, end: e.end, revision: e.revision, retracted: e.retracted ?? false })),
    );
    c.summaries.forEach((e, i) => expectFeatures(gw.summaries[i]!, e));
    expect(gw.summaries.every((s) => s.gateway === 'gw-test' && s.metric === 'temp' && /^[0-9a-f]{32}$/.test(s.id))).toBe(true);

    expect(gw.metric('tributary_readings_decoded_total')).toBe(c.counters.decoded);
    expect(gw.metric('tributary_readings_late_accepted_total')).toBe(c.counters.lateAccepted);
    expect(gw.metric('tributary_readings_late_total')).toBe(c.counters.late);
    expect(gw.metric('tributary_summaries_total{kind="' + c.windows[0]!.kind + '"}')).toBe(c.summaries.length);

    // What waits in the outbox is the newest revision of each window, in the order those were
    // emitted (a newer revision replaces an unsent older one); late readings are kept, not lost.
    const newest = new Map<string, Summary>();
    for (const s of gw.summaries) {
      newest.delete(s.id);
      newest.set(s.id, s);
    }
    const outbox = await gw.gateway.inspect('outbox', 100, 'oldest');
    expect(outbox!.entries.map((e) => { const { item } = e as { item: Summary }; return `${item.id}@${item.revision}`; })).toEqual([...newest.values()].map((s) => `${s.id}@${s.revision}`));
    const late = await gw.gateway.inspect('late-data', 100, 'oldest');
    expect(late!.size).toBe(c.counters.late);
  });

  it('gives a re-emitted window the same id and a merged session the id of its start', async () => {
    const [, , lateCase] = cases;
    expect(lateCase!.summaries[0]!.start).toBe(lateCase!.summaries[1]!.start);
    const clock = new FakeClock(NOW);
    current = await startGateway({ windows: { definitions: [{ kind: 'tumbling', sizeMs: 1000 }], maxOutOfOrdernessMs: 0, staggerMs: 0, allowedLatenessMs: 1000 } }, clock);
    const client = await current.connect({ clientId: 'pump-7' });
    for (const at of [0, 1000, 500]) await client.publishAsync('sensors/pump-7', JSON.stringify({ ts: T0 + at, temp: 1 }), { qos: 1 });
    await waitFor(() => current!.summaries.length === 2, 'two summaries');
    const [first, second] = current.summaries;
    expect(second!.id).toBe(first!.id);
    expect([first!.revision, second!.revision]).toEqual([0, 1]);
  });
});

/** Features computed here from the raw values, independently of the gateway's partials code. */
function expectFeatures(s: Summary, e: Expected): void {
  const v = e.values;
  const n = v.length;
  const sum = v.reduce((a, b) => a + b, 0);
  const mean = sum / n;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const rms = Math.sqrt(v.reduce((a, b) => a + b * b, 0) / n);
  expect(s.features.count).toBe(n);
  expect(s.features.sum).toBeCloseTo(sum, 9);
  expect(s.features.mean).toBeCloseTo(mean, 9);
  expect(s.features.min).toBe(Math.min(...v));
  expect(s.features.max).toBe(Math.max(...v));
  expect(s.features.peakToPeak).toBe(Math.max(...v) - Math.min(...v));
  expect(s.features.std).toBeCloseTo(std, 9);
  expect(s.features.rms).toBeCloseTo(rms, 9);
  expect(s.features.first).toBe(v[0]);
  expect(s.features.last).toBe(v[n - 1]);
  expect(s.partials.count).toBe(n);
  expect(s.partials.sumSq).toBeCloseTo(v.reduce((a, b) => a + b * b, 0), 9);
}
