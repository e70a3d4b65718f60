// Benchmark `e2e`: the whole system as a user feels it. A simulated fleet (devices/, its own
// process, real MQTT) → a gateway (`tributary edge`, its own process, as its systemd unit runs it:
// the committed motor model loaded, an alert rule, an uplink; node's flags and environment read
// from edge/deploy/tributary-edge.service) → a cloud (`tributary cloud`, its own process,
// embedded broker and LevelDB, node's flags and environment read from
// cloud/deploy/tributary-cloud.service), read by a viewer on the cloud's live stream (SSE).
// One row per offered rate, each on fresh processes and data.
//
// What is timed (one machine, one clock: performance.timeOrigin + now in every process):
// - alert: from the publish of a reading whose `load` crosses a `reading-threshold` rule's limit
//   (one crossing per window length on each probe device, each probe at its own moment) to the
//   alert event (raised or cleared) on the live stream: the cloud's store has decided it and its
//   write is on its way to disk (the live stream announces an alert before it is durable; the
//   gateway's ack waits for it). (`alert*Ms`)
// - window alert: a `threshold` rule on a window feature (vib_rms.mean, high in every other window
//   of each probe, all at the same boundary): from the publish of the reading that CLOSES the
//   window — the device's first reading stamped at or after the window's end +
//   maxOutOfOrdernessMs + the device's share of windows.staggerMs (its watermark passes the end);
//   until it is sent the window may still change and nobody can know its alert — to the event on
//   the live stream. (`windowAlert*Ms`)
// - summary: that closing publish → the window's summary arrives on the live stream, i.e. it is
//   durable in the cloud's store (`summary*Ms`; 200 devices followed, every metric, both default windows).
// - summary after window end: from the moment the device's clock read the window's end to the
//   summary's arrival = summary latency + (closing reading's timestamp − window end), which holds
//   the maxOutOfOrdernessMs and stagger the watermark waits. The target: ≤ allowedLatenessMs + 100 ms.
// Only crossings and closing readings published inside the measured interval count; one whose
// alert or summary never arrived is counted as missing, never left out silently.
//
// Knobs (environment): BENCH_E2E_RATES (readings/s, comma-separated; default 5000,10000,20000),
// BENCH_E2E_MEASURE_MS (default 60000), BENCH_E2E_GATEWAY_FLAGS and BENCH_E2E_CLOUD_FLAGS (node
// flags for the gateway, the cloud, after their units'),
// BENCH_E2E_EDGE_CONFIG (JSON over the gateway's config sections, e.g. '{"flightRecorder":{"enabled":false}}'),
// BENCH_E2E_PROBES (alerting devices, default 200: an alert storm at every boundary; fewer: sparse alerts),
// BENCH_E2E_STAGGER_MS (the gateway's windows.staggerMs; default the config's),
// BENCH_E2E_SAMPLES (a file: every alert's latency and its parts as JSON lines, to see where the tail sits;
// a reading alert's line has receivedMs too: publish → the gateway's broker has the reading),
// BENCH_E2E_REPEAT (runs per rate, default 1; with more, a last row per rate pools their alerts: a
// run's p99 rests on its few worst moments, so the target is better judged over several).

import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../../edge/auth/password.js';
import { EdgeConfigSchema } from '../../edge/config/schema.js';
import { freePort } from '../helpers/free-port.js';
import { scrape, total } from '../helpers/scrape.js';
import { cloudServiceUnit, edgeServiceUnit, nodeLaunch, type NodeLaunch } from '../helpers/systemd-unit.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import type { Closing, Crossing, E2eFleetArgs, FromE2eFleet } from './e2e/fleet.js';
import { openLiveStream, login, type LiveStream, type TimedEvent } from './e2e/live-stream.js';
import { idleWorkMs, PaceProbe, type MachinePace } from './e2e/machine-pace.js';
import { procUsage, startCli, type CliProcess, type ProcUsage } from './e2e/processes.js';
import { child, next, stop } from './ingest/harness.js';
import type { BenchResult } from './run.js';
import { preciseNow, quantile, round } from './stats.js';

const RATES = (process.env.BENCH_E2E_RATES ?? '5000,10000,20000').split(',').map(Number);
const MEASURE_MS = Number(process.env.BENCH_E2E_MEASURE_MS ?? 60_000);
/** Warm-up (connections, the first windows, JIT): until this many window boundaries' alerts have reached the live stream. */
const WARMUP_BOUNDARIES = 2;
/** After the measured interval: what it closed has at most this long to arrive (then it counts as missing). */
const SETTLE_MS = 5_000;
const WINDOW_MS = 10_000;
const OUT_OF_ORDERNESS_MS = 2_000;
const ALLOWED_LATENESS_MS = 30_000;
/** BENCH_E2E_STAGGER_MS: windows.staggerMs of the gateway (default: the config's default). */
const STAGGER_MS = Number(process.env.BENCH_E2E_STAGGER_MS ?? EdgeConfigSchema.properties.windows.properties.staggerMs.default);
/**
 * BENCH_E2E_PROBES (default 200, at most 200): probe devices, each raising or clearing an alert in
 * every window, all at the same window boundary — an alert storm. Fewer probes measure sparser
 * alerts under the same load: environment sensors take the probes' place, so the fleet stays
 * 1,000 devices at the same rate.
 */
const PROBES = Math.min(200, Math.max(1, Number(process.env.BENCH_E2E_PROBES ?? 200)));
const GROUPS: E2eFleetArgs['groups'] = [
  { kind: 'motor', count: 500, idPrefix: 'm-' },
  { kind: 'pump', count: 200, idPrefix: 'p-' },
  { kind: 'environment', count: 100 + (200 - PROBES), idPrefix: 'env-' },
];
const DEVICES = GROUPS.reduce((n, g) => n + g.count, 0) + PROBES;
/** The window rule (vib_rms.mean) and the reading rule (load) on every probe. */
const WINDOW_RULE = 'probe-vibration';
const READING_RULE = 'probe-load';
/** Followed on the live stream for summaries: 50 devices per stream (the stream's limit). */
const FOLLOWED = [
  ids('m-', 500, 50),
  ids('p-', 200, 50),
  ids('env-', 100, 50),
  Array.from({ length: Math.min(50, PROBES) }, (_, i) => `probe-${String(i).padStart(3, '0')}`),
];
/** As tributary-edge.service runs the gateway: its node flags and environment, read from the unit. */
const SERVICE = nodeLaunch(edgeServiceUnit());
/** As tributary-cloud.service runs the cloud. */
const CLOUD_SERVICE = nodeLaunch(cloudServiceUnit());
/** A unit's node flags, then those of the environment variable `name` (e.g. --cpu-prof). */
const flags = (unit: NodeLaunch, name: string): string[] => [...unit.nodeOptions, ...(process.env[name]?.split(' ').filter(Boolean) ?? [])];
const GATEWAY_NODE_OPTIONS = flags(SERVICE, 'BENCH_E2E_GATEWAY_FLAGS');
const CLOUD_NODE_OPTIONS = flags(CLOUD_SERVICE, 'BENCH_E2E_CLOUD_FLAGS');
/** BENCH_E2E_EDGE_CONFIG: JSON put over the gateway's config, section by section (experiments). */
const EDGE_OVERRIDES = JSON.parse(process.env.BENCH_E2E_EDGE_CONFIG ?? '{}') as Record<string, unknown>;
/** BENCH_E2E_SAMPLES: where to write every alert sample (JSON lines), for finding where the tail sits. */
const SAMPLES_FILE = process.env.BENCH_E2E_SAMPLES;
/** BENCH_E2E_REPEAT: runs per rate; with more than one, a row pooling their reading alerts follows (pooled()). */
const REPEAT = Math.max(1, Math.floor(Number(process.env.BENCH_E2E_REPEAT ?? 1)));
/** Issue #8's target for a reading alert at 5,000 readings/s (p99, ms): the pooled row counts the alerts and runs on each side of it. */
const ALERT_TARGET_MS = 50;
const MOTOR_MODEL = fileURLToPath(new URL('../../../edge/models/motor-baseline.onnx', import.meta.url));

/** The p-quantile of `values`, to 0.1 ms. */
const q = (values: readonly number[], p: number): number => round(quantile(values, p), 1);

function ids(prefix: string, count: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(String(count).length, '0')}`);
}

export async function run(): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  for (const rate of RATES) {
    const runs: Measured[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const m = await measure(rate);
      runs.push(m);
      rows.push(m.row);
    }
    if (REPEAT > 1) rows.push(pooled(rate, runs));
  }
  return rows;
}

interface Measured {
  readonly row: BenchResult;
  /** The run's reading alerts, for pooling. */
  readonly alert: AlertLatencies;
}

/** One row for `runs` at one rate: their reading alerts together (alertFields), and how many runs met the target on their own. */
function pooled(offered: number, runs: readonly Measured[]): BenchResult {
  const all: AlertLatencies = {
    total: runs.flatMap((r) => r.alert.total),
    inGateway: runs.flatMap((r) => r.alert.inGateway),
    toCloudStore: runs.flatMap((r) => r.alert.toCloudStore),
    inCloud: runs.flatMap((r) => r.alert.inCloud),
    missing: runs.reduce((n, r) => n + r.alert.missing, 0),
    samples: [],
  };
  const p99s = runs.map((r) => Number(r.row.alertP99Ms));
  return {
    offeredPerSec: offered,
    pooledRuns: runs.length,
    ...alertFields('alert', all),
    alertsOver50Ms: all.total.filter((ms) => ms > ALERT_TARGET_MS).length,
    runsAlertP99AtMost50Ms: p99s.filter((ms) => ms <= ALERT_TARGET_MS).length,
    runsAlertP99MinMs: Math.min(...p99s),
    runsAlertP99MaxMs: Math.max(...p99s),
    // How fast the machine ran each of them (machine-pace.ts): a slow hour shows here.
    runsMachineWorkP50MinMs: Math.min(...runs.map((r) => Number(r.row.machineWorkP50Ms))),
    runsMachineWorkP50MaxMs: Math.max(...runs.map((r) => Number(r.row.machineWorkP50Ms))),
  };
}

async function measure(offered: number): Promise<Measured> {
  using dir = tempDir('tributary-bench-e2e-');
  // The hour's speed, before any process of the run starts (machine-pace.ts).
  const idleWork = idleWorkMs();
  const [cloudMqtt, cloudHttp, gwMqtt, gwHttp] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const token = 'e2e-gateway-token';
  const viewerPassword = 'e2e-viewer-password';
  const opsPassword = 'e2e-ops-password';
  writeFileSync(join(dir.path, 'token'), token);
  const cloud = await startCli(dir.path, 'cloud', 'cloud', {
    cloud: { id: 'cloud-e2e' },
    dataDir: join(dir.path, 'cloud'),
    gateways: { 'gw-e2e': { tokenHash: await hashPassword(token, { logN: 8 }) } },
    mqtt: { broker: { host: '127.0.0.1', port: cloudMqtt } },
    http: { host: '127.0.0.1', port: cloudHttp },
    users: {
      viewer: { passwordHash: await hashPassword(viewerPassword, { logN: 8 }), role: 'viewer' },
      // Reads the cloud's /metrics (admin only) once a second, as the benchmark reads the gateway's.
      ops: { passwordHash: await hashPassword(opsPassword, { logN: 8 }), role: 'admin' },
    },
    log: { level: 'warn' },
  }, CLOUD_NODE_OPTIONS, CLOUD_SERVICE.environment);
  const processes: CliProcess[] = [cloud];
  const streams: LiveStream[] = [];
  try {
    const gateway = await startCli(
      dir.path,
      'edge',
      'edge',
      {
        gateway: { id: 'gw-e2e' },
        dataDir: join(dir.path, 'edge'),
        mqtt: { broker: { host: '127.0.0.1', port: gwMqtt } },
        auth: { allowAnonymous: true },
        windows: { maxOutOfOrdernessMs: OUT_OF_ORDERNESS_MS, allowedLatenessMs: ALLOWED_LATENESS_MS, staggerMs: STAGGER_MS },
        devices: { kinds: { motor: ['m-*'], pump: ['p-*'], environment: ['env-*'], probe: ['probe-*'] } },
        models: [{ path: MOTOR_MODEL }],
        alerts: {
          rules: [
            { name: WINDOW_RULE, type: 'threshold', feature: 'vib_rms.mean', above: 2.8, kinds: ['probe'], raiseAfter: 1, clearAfter: 1, severity: 'warning' },
            { name: READING_RULE, type: 'reading-threshold', metric: 'load', above: 2.8, kinds: ['probe'], raiseAfter: 1, clearAfter: 1, severity: 'warning' },
          ],
        },
        uplink: { url: `mqtt://127.0.0.1:${cloudMqtt}`, username: 'gw-e2e', tokenFile: join(dir.path, 'token') },
        http: { host: '127.0.0.1', port: gwHttp },
        log: { level: 'warn' },
        ...EDGE_OVERRIDES,
      },
      GATEWAY_NODE_OPTIONS,
      SERVICE.environment,
    );
    processes.unshift(gateway);
    const api = `http://127.0.0.1:${cloudHttp}`;
    const session = await login(api, 'viewer', viewerPassword);
    const cloudMetrics = { url: `${api}/metrics`, headers: { authorization: `Bearer ${await login(api, 'ops', opsPassword)}` } };
    const alerts = await openLiveStream(api, session, 'events=alert');
    streams.push(alerts);
    for (const devices of FOLLOWED) streams.push(await openLiveStream(api, session, `events=summaries&devices=${devices.join(',')}`));

    const fleetArgs: E2eFleetArgs = {
      url: `mqtt://127.0.0.1:${gwMqtt}`,
      groups: GROUPS,
      probes: PROBES,
      ratePerSec: offered / DEVICES,
      seed: 8,
      windowMs: WINDOW_MS,
      outOfOrdernessMs: OUT_OF_ORDERNESS_MS,
      staggerMs: STAGGER_MS,
      probeValues: [1.0, 4.0],
    };
    const fleet = child('../e2e/fleet', [JSON.stringify(fleetArgs)]);
    try {
      await next<Extract<FromE2eFleet, { type: 'ready' }>>(fleet, 'ready');
      const metricsUrl = `http://127.0.0.1:${gwHttp}/metrics`;
      const load0 = loadavg()[0]!;
      fleet.send({ cmd: 'go' });
      const boundaries = () => new Set(alerts.events.flatMap((e) => ((e.data as { event: { rule: string; at: number } }).event.rule === WINDOW_RULE ? [(e.data as { event: { at: number } }).event.at] : []))).size;
      await waitFor(() => boundaries() >= WARMUP_BOUNDARIES, `alerts of ${WARMUP_BOUNDARIES} window boundaries on the live stream (warm-up)`, 120_000, 100);
      const t0 = preciseNow();
      // Both loop-delay gauges start over at this scrape: the polls below cover the interval.
      const [m0] = await Promise.all([scrape(metricsUrl), scrape(cloudMetrics.url, cloudMetrics.headers)]);
      const g0 = procUsage(gateway.pid);
      const c0 = procUsage(cloud.pid);
      const f0 = procUsage(fleet.pid!);
      const pace = new PaceProbe();
      pace.start();
      // The gateway's RSS sampled every second; a process that dies ends the run with its stderr.
      const rss: ProcUsage[] = [g0];
      let died: Error | undefined;
      const sampler = setInterval(() => {
        for (const p of processes) if (p.child.exitCode !== null || p.child.signalCode !== null) died ??= new Error(`${p.name} exited (${p.child.exitCode ?? p.child.signalCode}) during the run: ${p.stderr().slice(-3000)}`);
        if (!died) rss.push(procUsage(gateway.pid));
      }, 1000);
      // The measured interval ends once the gateway has decoded MEASURE_MS' worth of readings at the offered rate.
      const decoded0 = total(m0, 'tributary_readings_decoded_total');
      // Each process's loop delay is reported since its previous scrape: every poll's share is kept.
      const gatewayLag = new LoopDelayPolls('tributary_event_loop_lag_seconds');
      const cloudLag = new LoopDelayPolls('tributary_cloud_event_loop_lag_seconds');
      const measured = async () => {
        if (died) throw died;
        const [m, c] = await Promise.all([scrape(metricsUrl), scrape(cloudMetrics.url, cloudMetrics.headers)]);
        gatewayLag.add(m);
        cloudLag.add(c);
        return total(m, 'tributary_readings_decoded_total') - decoded0 >= (offered * MEASURE_MS) / 1000;
      };
      let machine: MachinePace;
      try {
        await waitFor(measured, `${(offered * MEASURE_MS) / 1000} readings decoded by the gateway`, MEASURE_MS * 3, 1000);
      } finally {
        clearInterval(sampler);
        machine = pace.stop();
      }
      const t1 = preciseNow();
      const m1 = await scrape(metricsUrl);
      const g1 = procUsage(gateway.pid);
      const peak = rss.reduce((a, b) => (b.rssMB > a.rssMB ? b : a));
      const c1 = procUsage(cloud.pid);
      const f1 = procUsage(fleet.pid!);
      const load1 = loadavg()[0]!;
      const done = next<Extract<FromE2eFleet, { type: 'done' }>>(fleet, 'done');
      fleet.send({ cmd: 'stop' });
      const report = await done;
      // What the interval closed arrives, or after SETTLE_MS counts as missing.
      const events = () => latencies(report, t0, t1, alerts.events, streams.slice(1).flatMap((s) => s.events));
      const arrived = () => {
        const l = events().fields;
        return l.alertsMissing === 0 && l.windowAlertsMissing === 0 && l.summaryWindowsMissing === 0;
      };
      await waitFor(arrived, 'every window closed in the interval on the live stream', SETTLE_MS, 100).catch(() => undefined); // the rest is reported missing
      const seconds = (t1 - t0) / 1000;
      const readings = total(m1, 'tributary_readings_decoded_total') - total(m0, 'tributary_readings_decoded_total');
      const mem = (kind: string) => round((m1.get(`tributary_process_memory_bytes{kind="${kind}"}`) ?? Number.NaN) / 2 ** 20, 1);
      const { samples, fields: lat, alert } = events();
      if (SAMPLES_FILE) writeFileSync(SAMPLES_FILE, samples.map((l) => `${l}\n`).join(''), { flag: 'a' });
      const row: BenchResult = {
        offeredPerSec: offered,
        devices: DEVICES,
        staggerMs: STAGGER_MS,
        probes: PROBES,
        readingsPerSec: Math.round(readings / seconds),
        ...lat,
        summaryTargetMs: ALLOWED_LATENESS_MS + 100,
        gatewayCpuPct: round(((g1.cpuMs - g0.cpuMs) / (t1 - t0)) * 100, 1),
        gatewayCpuUsPerReading: round(((g1.cpuMs - g0.cpuMs) * 1000) / readings, 1),
        gatewayRssMB: round(peak.rssMB, 1),
        // What the peak sample was made of: file-backed pages (node's and onnxruntime's code, LevelDB's
        // mapped table files) and anonymous memory (V8's heap, malloc, stacks).
        gatewayRssPeakFileMB: round(peak.fileMB, 1),
        gatewayRssPeakAnonMB: round(peak.anonMB, 1),
        gatewayRssStartMB: round(g0.rssMB, 1),
        gatewayRssEndMB: round(g1.rssMB, 1),
        // The gateway's event loop over the measured interval: how long work waited for it.
        // Over the interval, from the once-a-second polls: the worst second's p99, and the max.
        gatewayLoopLagP99Ms: gatewayLag.worstP99Ms,
        gatewayLoopLagMaxMs: gatewayLag.maxMs,
        gatewayHeapUsedMB: mem('heap_used'),
        gatewayHeapTotalMB: mem('heap_total'),
        gatewayExternalMB: mem('external'),
        cloudCpuPct: round(((c1.cpuMs - c0.cpuMs) / (t1 - t0)) * 100, 1),
        cloudRssMB: round(c1.rssMB, 1),
        // The cloud's event loop, polled as the gateway's is: the worst second's p99, and the max.
        cloudLoopLagP99Ms: cloudLag.worstP99Ms,
        cloudLoopLagMaxMs: cloudLag.maxMs,
        fleetCpuPct: round(((f1.cpuMs - f0.cpuMs) / (t1 - t0)) * 100, 1),
        fleetErrors: report.errors,
        // Other work on the machine shows here (2 cores: above ~2 the processes queue for CPU).
        loadAvgStart: round(load0, 2),
        loadAvgEnd: round(load1, 2),
        // The machine's pace in this run (machine-pace.ts): a fixed piece of work idle before the
        // run and during it, and the delay of this process's loop, which stamps the arrivals.
        machineWorkIdleMs: round(idleWork, 2),
        machineWorkP50Ms: machine.workP50Ms,
        machineWorkP99Ms: machine.workP99Ms,
        viewerLoopLagP99Ms: machine.lagP99Ms,
        viewerLoopLagMaxMs: machine.lagMaxMs,
        measuredSeconds: round(seconds, 1),
      };
      return { row, alert };
    } finally {
      await stop(fleet).catch(() => {});
    }
  } finally {
    for (const s of streams) await s.close();
    for (const p of processes) await p.stop();
  }
}

/** A process's loop-delay gauge (quantiles 0.99 and 1, each covering the time since the previous scrape), polled: the worst poll's p99, and the max (ms). */
class LoopDelayPolls {
  readonly #p99: number[] = [];
  readonly #max: number[] = [];
  constructor(private readonly metric: string) {}

  add(series: ReadonlyMap<string, number>): void {
    this.#p99.push(series.get(`${this.metric}{quantile="0.99"}`) ?? Number.NaN);
    this.#max.push(series.get(`${this.metric}{quantile="1"}`) ?? Number.NaN);
  }

  get worstP99Ms(): number {
    return round(Math.max(...this.#p99) * 1000, 1);
  }

  get maxMs(): number {
    return round(Math.max(...this.#max) * 1000, 1);
  }
}

/** The latencies of the crossings and of the windows closed by readings published in [t0, t1). */
function latencies(report: { readonly closings: readonly Closing[]; readonly crossings: readonly Crossing[] }, t0: number, t1: number, alertEvents: readonly TimedEvent[], summaryEvents: readonly TimedEvent[]): { samples: readonly string[]; fields: Record<string, number>; alert: AlertLatencies } {
  const closed = new Map<string, Closing>();
  for (const c of report.closings) if (c[2] >= t0 && c[2] < t1) closed.set(`${c[0]}|${c[1]}`, c);
  const crossed = report.crossings.filter((c) => c[2] >= t0 && c[2] < t1);
  const probeWindows = [...closed.values()].filter((c) => c[0].startsWith('probe-'));
  const alert = alertLatencies(alertEvents, READING_RULE, crossed.map((c) => [`${c[0]}|${c[1]}`, c[2]]));
  const windowAlert = alertLatencies(alertEvents, WINDOW_RULE, probeWindows.map((c) => [`${c[0]}|${c[1]}`, c[2]]));

  // Every summary's first arrival (revision 0), by window end.
  const summaryAt = new Map<string, number[]>();
  const seen = new Set<string>();
  for (const e of summaryEvents) {
    for (const s of e.data as Array<{ id: string; device: string; window: { end: number } }>) {
      if (seen.has(s.id)) continue;
      seen.add(s.id);
      const key = `${s.device}|${s.window.end}`;
      let list = summaryAt.get(key);
      if (!list) summaryAt.set(key, (list = []));
      list.push(e.arrivedAt);
    }
  }
  const followed = new Set(FOLLOWED.flat());
  const summary: number[] = [];
  const afterEnd: number[] = [];
  let summaryWindowsExpected = 0;
  let summaryWindowsMissing = 0;
  for (const [key, c] of closed) {
    if (!followed.has(c[0])) continue;
    summaryWindowsExpected++;
    const arrivals = summaryAt.get(key);
    if (!arrivals) {
      summaryWindowsMissing++;
      continue;
    }
    for (const at of arrivals) {
      summary.push(at - c[2]);
      afterEnd.push(at - c[2] + (c[3] - c[1]));
    }
  }
  const fields = {
    ...alertFields('alert', alert),
    ...alertFields('windowAlert', windowAlert),
    summaryP50Ms: q(summary, 0.5),
    summaryP99Ms: q(summary, 0.99),
    summaryP999Ms: q(summary, 0.999),
    summaries: summary.length,
    summaryWindowsMissing,
    summaryWindows: summaryWindowsExpected,
    summaryAfterWindowEndP99Ms: q(afterEnd, 0.99),
  };
  return { samples: [...alert.samples, ...windowAlert.samples], fields, alert };
}

interface AlertLatencies {
  /** Publish of the reading that made the alert knowable → the event on the stream. */
  readonly total: number[];
  /** → emitted by the gateway's rules (event.emittedAt). */
  readonly inGateway: number[];
  /** → the cloud's store began writing it (outbox, uplink, cloud broker and ingest queue). */
  readonly toCloudStore: number[];
  /** → on the stream (write, bus, SSE). */
  readonly inCloud: number[];
  readonly missing: number;
  /** One JSON line per alert (BENCH_E2E_SAMPLES), else none. */
  readonly samples: readonly string[];
}

/**
 * Where each expected alert's time went, by the system's own stamps (Date.now(), ms): `starts` are
 * [device|event time, publish time] of the readings that made an event of `rule` knowable.
 */
function alertLatencies(events: readonly TimedEvent[], rule: string, starts: ReadonlyArray<readonly [string, number]>): AlertLatencies {
  const alertAt = new Map<string, { arrivedAt: number; emittedAt: number; storingAt: number; receivedAt?: number }>();
  for (const e of events) {
    const a = e.data as { updatedAt: number; event: { device: string; rule: string; at: number; emittedAt: number; evidence: { reading?: { receivedAt: number } } } };
    const key = `${a.event.device}|${a.event.at}`;
    if (a.event.rule === rule && !alertAt.has(key)) alertAt.set(key, { arrivedAt: e.arrivedAt, emittedAt: a.event.emittedAt, storingAt: a.updatedAt, receivedAt: a.event.evidence.reading?.receivedAt });
  }
  const out = { total: [] as number[], inGateway: [] as number[], toCloudStore: [] as number[], inCloud: [] as number[], missing: 0 };
  const samples: string[] = [];
  for (const [key, publishedAt] of starts) {
    const at = alertAt.get(key);
    if (at === undefined) {
      out.missing++;
      continue;
    }
    out.total.push(at.arrivedAt - publishedAt);
    out.inGateway.push(at.emittedAt - publishedAt);
    out.toCloudStore.push(at.storingAt - at.emittedAt);
    out.inCloud.push(at.arrivedAt - at.storingAt);
    if (SAMPLES_FILE) samples.push(JSON.stringify({ rule, key, publishedAt, windowPhaseMs: Math.round(publishedAt) % WINDOW_MS, totalMs: at.arrivedAt - publishedAt, gatewayMs: at.emittedAt - publishedAt, ...(at.receivedAt === undefined ? {} : { receivedMs: at.receivedAt - publishedAt }), uplinkMs: at.storingAt - at.emittedAt, cloudMs: at.arrivedAt - at.storingAt }));
  }
  return { ...out, samples };
}

/** `<prefix>P50Ms` … `<prefix>s`, `<prefix>sMissing`, and the parts of the p99. */
function alertFields(prefix: string, l: AlertLatencies): Record<string, number> {
  return {
    [`${prefix}P50Ms`]: q(l.total, 0.5),
    [`${prefix}P99Ms`]: q(l.total, 0.99),
    [`${prefix}P999Ms`]: q(l.total, 0.999),
    [`${prefix}MaxMs`]: q(l.total, 1),
    [`${prefix}s`]: l.total.length,
    [`${prefix}sMissing`]: l.missing,
    [`${prefix}GatewayP99Ms`]: q(l.inGateway, 0.99),
    [`${prefix}UplinkP99Ms`]: q(l.toCloudStore, 0.99),
    [`${prefix}CloudP99Ms`]: q(l.inCloud, 0.99),
  };
}
