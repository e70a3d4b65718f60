// The flight recorder's upload side on a real ingest log and outbox (one LevelDB): a raised alert
// queues its device's raw readings from beforeMs before to afterMs after it, once that time has
// passed, in parts under the size limit with deterministic ids; a restart in between still cuts
// it; cutting the same alert again queues nothing new.

import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../edge/alert/alert.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { FlightRecorderConfig } from '../../edge/config/uplink-schema.js';
import { codedError } from '../../edge/errors/catalogue.js';
import { silentLogger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { FlightRecorder, MAX_CUTS_PER_PASS, PASS_GAP_MS, type ReadingSource } from '../../edge/outbox/flight-recorder.js';
import { IngestLog } from '../../edge/store/ingest-log.js';
import { rawSnippetId, type RawSnippet } from '../../edge/uplink/protocol.js';
import { metric, Teardown } from '../helpers/mqtt.js';
import { openTestOutbox, type TestOutbox } from '../helpers/outbox.js';
import { tempDir } from '../helpers/temp-dir.js';
import { exampleAlert } from '../helpers/uplink-items.js';
import { waitFor } from '../helpers/wait.js';

const GW = 'gw-7';
const T = Date.UTC(2024, 10, 24, 12, 0, 0);
const CONFIG: FlightRecorderConfig = { enabled: true, beforeMs: 60_000, afterMs: 30_000, settleMs: 5_000, maxPartBytes: 2048, maxReadings: 50_000 };

const teardown = new Teardown();
afterEach(() => teardown.run());

interface Setup {
  readonly clock: FakeClock;
  readonly box: TestOutbox;
  readonly log: IngestLog;
  recorder: FlightRecorder;
  /** The running recorder's metrics. */
  metrics: Registry;
  /** A recorder on the log (or on `readings`, e.g. the log behind a counter). */
  startRecorder(readings?: ReadingSource): Promise<FlightRecorder>;
}

async function setup(): Promise<Setup> {
  const dir = tempDir('tributary-recorder-');
  teardown.defer(() => dir[Symbol.dispose]());
  const clock = new FakeClock(T);
  const box = await openTestOutbox(dir.path, { clock });
  teardown.defer(() => box.close());
  const log = teardown.add(new IngestLog({ db: box.db, clock, log: silentLogger(), metrics: new Registry(), retentionMs: 600_000 }));
  await log.open();
  const s: Setup = {
    clock, box, log,
    recorder: undefined as unknown as FlightRecorder,
    metrics: new Registry(),
    async startRecorder(readings: ReadingSource = log) {
      s.metrics = new Registry();
      s.recorder = teardown.add(new FlightRecorder({ gateway: GW, config: CONFIG, readings, outbox: box.outbox, db: box.db, writer: box.writer, clock, log: silentLogger(), metrics: s.metrics }));
      await s.recorder.open();
      return s.recorder;
    },
  };
  await s.startRecorder();
  return s;
}

/** One reading a second from two pumps, second `from` to `to` (the clock follows). */
function feed(s: Setup, from: number, to: number, during?: (second: number) => void): void {
  for (let i = from; i < to; i++) {
    s.clock.set(T + i * 1000);
    for (const device of ['pump-1', 'pump-2']) {
      void s.log.append({ device, ts: T + i * 1000, tsFromArrival: false, receivedAt: T + i * 1000, values: { temp: 60 + (i % 10) / 10, vib_rms: 0.41, current: i } }, { durable: false });
    }
    during?.(i);
  }
}

const raised = (at: number): AlertEvent => ({ ...exampleAlert(GW, 'pump-1'), raisedAt: at, at, emittedAt: at + 1000 });

async function snippets(s: Setup): Promise<RawSnippet[]> {
  return (await s.box.outbox.list('raw', 1000, 'oldest')).map((e) => e.item);
}

/** Restart the recorder on the log behind a counter: each pass's start (gateway clock) and queries, and how many have ended. */
async function countPasses(s: Setup): Promise<Array<{ at: number; queries: number }> & { finished: number }> {
  await s.recorder.close();
  const passes = Object.assign([] as Array<{ at: number; queries: number }>, { finished: 0 });
  await s.startRecorder({
    findAround: async (queries) => {
      passes.push({ at: s.clock.now(), queries: queries.length });
      try {
        return await s.log.findAround(queries);
      } finally {
        passes.finished++;
      }
    },
  });
  return passes;
}

describe('FlightRecorder', () => {
  it('queues the raw readings around a raised alert once its range has passed, in parts', async () => {
    const s = await setup();
    const alert = raised(T + 120_000);
    feed(s, 0, 200, (i) => {
      if (i === 121) s.recorder.alert(alert);
      if (i === 130) expect(s.recorder.pending).toBe(1); // the "after" part is not there yet
    });
    await waitFor(() => s.recorder.pending === 0, 'the cut');
    const parts = await snippets(s);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.map((p) => [p.id, p.part, p.parts])).toEqual(parts.map((_, i) => [rawSnippetId(GW, 'pump-1', alert.id, i), i, parts.length]));
    for (const p of parts) {
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThanOrEqual(CONFIG.maxPartBytes);
      expect(p).toMatchObject({ device: 'pump-1', alert: alert.id, from: T + 60_000, to: T + 150_000 });
    }
    const readings = parts.flatMap((p) => p.readings);
    expect(readings.map((r) => r.ts)).toEqual(Array.from({ length: 91 }, (_, i) => T + 60_000 + i * 1000));
    expect(readings[0]).toEqual({ ts: T + 60_000, receivedAt: T + 60_000, values: { temp: 60, vib_rms: 0.41, current: 60 } });
    expect([metric(s.metrics, 'tributary_flight_recorder_snippets_total'), metric(s.metrics, 'tributary_flight_recorder_readings_total')]).toEqual([1, 91]);
  });

  it('cuts the snippets of alerts due together in one pass over the log (an alert storm)', async () => {
    const s = await setup();
    await s.recorder.close();
    const passes: number[] = [];
    await s.startRecorder({ findAround: (queries) => (passes.push(queries.length), s.log.findAround(queries)) });
    const storm = ['pump-1', 'pump-2', 'pump-1', 'pump-2', 'pump-1', 'pump-2'].map((device, n) => ({ ...raised(T + 100_000), device, id: (n + 1).toString(16).padStart(32, '0') }));
    feed(s, 0, 160, (i) => i === 101 && storm.forEach((a) => s.recorder.alert(a)));
    await waitFor(() => s.recorder.pending === 0, 'the cuts');
    expect(passes).toEqual([6]);
    const parts = await snippets(s);
    for (const a of storm) {
      const mine = parts.filter((p) => p.alert === a.id);
      expect(mine.every((p) => p.device === a.device)).toBe(true);
      expect(mine.flatMap((p) => p.readings).map((r) => r.ts)).toEqual(Array.from({ length: 91 }, (_, i) => T + 40_000 + i * 1000));
    }
    expect(metric(s.metrics, 'tributary_flight_recorder_snippets_total')).toBe(6);
  });

  it('cuts a storm larger than one pass takes in passes of MAX_CUTS_PER_PASS, PASS_GAP_MS apart, each snippet once', async () => {
    const s = await setup();
    const passes = await countPasses(s);
    const n = MAX_CUTS_PER_PASS + 7;
    const storm = Array.from({ length: n }, (_, k) => ({ ...raised(T + 100_000), device: k % 2 === 0 ? 'pump-1' : 'pump-2', id: (k + 1).toString(16).padStart(32, '0') }));
    feed(s, 0, 160, (i) => i === 101 && storm.forEach((a) => s.recorder.alert(a)));
    await waitFor(() => passes.finished === 1 && s.recorder.pending === 7, 'the first pass');
    expect([...passes]).toEqual([{ at: T + 159_000, queries: MAX_CUTS_PER_PASS }]);
    s.clock.advance(PASS_GAP_MS);
    await waitFor(() => s.recorder.pending === 0, 'the second pass');
    expect(passes.map((p) => p.queries)).toEqual([MAX_CUTS_PER_PASS, 7]);
    expect(passes[1]!.at - passes[0]!.at).toBeGreaterThanOrEqual(PASS_GAP_MS);
    const parts = await snippets(s);
    expect(new Set(parts.map((p) => p.alert))).toEqual(new Set(storm.map((a) => a.id)));
    expect(metric(s.metrics, 'tributary_flight_recorder_snippets_total')).toBe(n);
  });

  it('coalesces cuts falling due one by one into a pass a second, still cutting every snippet', async () => {
    const s = await setup();
    const passes = await countPasses(s);
    // 20 alerts 200 ms apart: their cuts fall due 200 ms apart, from T + 135 s on.
    const alerts = Array.from({ length: 20 }, (_, n) => ({ ...raised(T + 100_000 + 200 * n), device: n % 2 === 0 ? 'pump-1' : 'pump-2', id: (n + 1).toString(16).padStart(32, '0') }));
    feed(s, 0, 135, (i) => i === 101 && alerts.forEach((a) => s.recorder.alert(a)));
    expect([...passes]).toEqual([]);
    // Step the clock 100 ms at a time, letting whatever pass starts run to its end before moving on.
    for (let t = T + 134_100; t <= T + 142_000; t += 100) {
      s.clock.set(t);
      await new Promise((resolve) => setImmediate(resolve));
      await waitFor(() => passes.finished === passes.length && !s.recorder.passing, 'the pass to end');
    }
    await waitFor(() => s.recorder.pending === 0, 'every cut');
    expect(passes.reduce((n, p) => n + p.queries, 0)).toBe(20);
    expect(passes.length).toBeLessThanOrEqual(6); // one pass per cut would be 20
    passes.slice(1).forEach((p, i) => expect(p.at - passes[i]!.at).toBeGreaterThanOrEqual(PASS_GAP_MS));
    const parts = await snippets(s);
    for (const a of alerts) {
      const mine = parts.filter((p) => p.alert === a.id);
      expect(mine.every((p) => p.device === a.device)).toBe(true);
      const fed = Array.from({ length: 135 }, (_, i) => T + i * 1000); // pump-1 and pump-2 each read once a second
      expect(mine.flatMap((p) => p.readings).map((r) => r.ts)).toEqual(fed.filter((ts) => ts >= a.raisedAt - CONFIG.beforeMs && ts <= a.raisedAt + CONFIG.afterMs));
    }
    expect(metric(s.metrics, 'tributary_flight_recorder_snippets_total')).toBe(20);
  });

  it('keeps cutting the others when one cut\'s readings cannot be decoded, and tries that one again later', async () => {
    const s = await setup();
    await s.recorder.close();
    let damaged = 1;
    await s.startRecorder({
      findAround: async (queries) =>
        (await s.log.findAround(queries)).map((found, k) => ({
          rowsJson: () => {
            if (queries[k]!.device === 'pump-2' && damaged-- > 0) throw codedError('ERR_STORE_CORRUPT', ['ingest-log', 'test', 'a damaged record']);
            return found.rowsJson();
          },
        })),
    });
    const two = ['pump-1', 'pump-2'].map((device, n) => ({ ...raised(T + 100_000), device, id: (n + 1).toString(16).padStart(32, '0') }));
    feed(s, 0, 160, (i) => i === 101 && two.forEach((a) => s.recorder.alert(a)));
    await waitFor(async () => (await snippets(s)).some((p) => p.device === 'pump-1') && !s.recorder.passing, 'pump-1\'s snippet and the end of the pass');
    expect(metric(s.metrics, 'tributary_flight_recorder_failures_total')).toBe(1);
    expect(s.recorder.pending).toBe(1); // pump-2's, waiting for its retry
    s.clock.set(T + 200_000); // past the retry's 30 s
    await waitFor(() => s.recorder.pending === 0, 'pump-2\'s second try');
    expect((await snippets(s)).filter((p) => p.device === 'pump-2').flatMap((p) => p.readings)).toHaveLength(91);
  });

  it('cuts nothing for updated or cleared events', async () => {
    const s = await setup();
    feed(s, 0, 60, (i) => {
      if (i === 10) {
        s.recorder.alert({ ...raised(T + 5_000), revision: 1, state: 'updated' });
        s.recorder.alert({ ...raised(T + 5_000), revision: 2, state: 'cleared' });
      }
    });
    expect(s.recorder.pending).toBe(0);
    expect(await snippets(s)).toEqual([]);
  });

  it('still cuts after a restart between the alert and the end of its range, and only once', async () => {
    const s = await setup();
    const alert = raised(T + 30_000);
    feed(s, 0, 40, (i) => i === 31 && s.recorder.alert(alert));
    await s.recorder.close();
    await s.startRecorder();
    expect(s.recorder.pending).toBe(1);
    feed(s, 40, 80);
    await waitFor(() => s.recorder.pending === 0, 'the cut after the restart');
    const first = await snippets(s);
    expect(first.flatMap((p) => p.readings)).toHaveLength(61); // T+0 .. T+60 s
    // The alert raised again (a replay after a crash): the same items, queued once.
    s.recorder.alert(alert);
    feed(s, 80, 100);
    await waitFor(() => s.recorder.pending === 0, 'the second cut');
    expect(await snippets(s)).toEqual(first);
    expect(metric(s.box.metrics, 'tributary_outbox_duplicates_total', 'raw')).toBe(first.length);
  });
});
