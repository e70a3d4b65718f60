// The edge gateway: sources → decode → ingest log → windows → analysis (models, detectors, alert
// rules) → outbox, with dead-letter and late-data stores, checkpoints, metrics and health.
//
// A reading counts as accepted once it is in the ingest log on disk (an MQTT QoS 1 PUBACK waits
// for that); it enters the windows only then, so no summary holds a reading a crash could lose.
// Window and alert state are checkpointed with the log position; a restart restores them and
// replays the log after it, so every accepted reading lands in exactly one window, once. One Resource that opens its children in order and closes them together.
// Alert rules on raw readings (`reading-threshold`) judge each reading at that same point, as it
// enters the windows (intake.ts), so their alerts need not wait for a window to close.
//
// Config and model pushes from the cloud (edge/push/) change the live keys — models, device kinds,
// detectors, alert rules, decode limits — between two batches of the analysis stage, without a
// restart; `config` is what runs: the config file with the applied push merged over it.

import type { AlertEvent } from '../alert/alert.js';
import { AlertEngine } from '../alert/engine.js';
import { Analysis } from '../analysis/analysis.js';
import { deviceKinds } from '../analysis/device-kinds.js';
import { analysisMetrics } from '../analysis/metrics.js';
import { Scorer } from '../analysis/scorer.js';
import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { readSecretFile } from '../config/read-file.js';
import type { EdgeConfig } from '../config/schema.js';
import { Decoder, reasonOf } from '../decode/decode.js';
import type { Reading } from '../decode/reading.js';
import type { TributaryError } from '../errors/catalogue.js';
import type { Summary } from '../features/summary.js';
import { Resource } from '../lifecycle/resource.js';
import type { ScoringModel } from '../model/contract.js';
import { ModelSet } from '../model/model-set.js';
import { ObservabilityServer } from '../observe/http-server.js';
import { silentLogger, type Logger } from '../observe/log.js';
import { Registry, type CounterChild } from '../observe/metrics.js';
import { FlightRecorder } from '../outbox/flight-recorder.js';
import { Outbox } from '../outbox/outbox.js';
import type { RawMessage, Source, SourceContext } from '../source/contract.js';
import { createSources } from '../source/registry.js';
import { withoutPacketNumberCache } from '../source/mqtt-broker/packet-writer.js';
import { PushAgent, type LiveSwap } from '../push/agent.js';
import { PushStore } from '../push/push-store.js';
import { BatchWriter } from '../store/batch-writer.js';
import { BoundedLog } from '../store/bounded-log.js';
import { openDb, type Db } from '../store/db.js';
import { nextEpoch, REVISION_EPOCH } from '../store/epoch.js';
import { Uplink } from '../uplink/client.js';
import type { DeadLetter, LateReading } from '../store/records.js';
import type { WindowEngine, WindowEngineOptions } from '../window/contract.js';
import type { KindOf } from '../analysis/device-kinds.js';
import { DeviceStats } from './device-stats.js';
import { Intake } from './intake.js';
import { pipelineMetrics, type PipelineMetrics } from './pipeline-metrics.js';

/** Batches of closed windows waiting for the analysis stage beyond which the sources pause. */
const MAX_ANALYSIS_BATCHES = 64;
/**
 * Summaries go to the outbox this many per turn of the event loop (Analysis' summarySlice): about
 * 2–3 ms of encoding on x86, so a window-boundary burst of 6,000 leaves the loop to ingest-log
 * commits and alerts between slices.
 */
const SUMMARY_SLICE = 128;
/** Summaries waiting for their slice beyond which the sources pause (about three boundaries of 1,000 devices). */
const MAX_PENDING_SUMMARIES = 20_000;

export interface GatewayOptions {
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Called after each reading entered its windows (benchmarks measure latency here). */
  readonly onWindowed?: (reading: Reading) => void;
  /** Called for every summary written to the outbox. */
  readonly onSummary?: (summary: Summary) => void;
  /** Called for every alert event written to the outbox. */
  readonly onAlert?: (event: AlertEvent) => void;
}

export class Gateway extends Resource {
  readonly name: string;
  readonly metrics = new Registry();
  /** The config file as loaded. */
  readonly file: Readonly<EdgeConfig>;
  readonly #m: PipelineMetrics;
  readonly #clock: Clock;
  readonly #log: Logger;
  #running: Readonly<EdgeConfig>;
  #decoder: Decoder;
  readonly #models: ModelSet;
  #push: PushAgent | undefined;
  #db: Db | undefined;
  #writer: BatchWriter | undefined;
  #deadLetters: BoundedLog<DeadLetter> | undefined;
  #late: BoundedLog<LateReading> | undefined;
  #outbox: Outbox | undefined;
  #uplink: Uplink | undefined;
  #recorder: FlightRecorder | undefined;
  #scorer: Scorer | undefined;
  #rules: AlertEngine | undefined;
  #analysis: Analysis | undefined;
  #intake: Intake | undefined;
  /** Added to every revision emitted in this run (see store/epoch.ts). */
  #revisionBase = 0;
  #paused = false;
  #tick: TimerHandle | undefined;
  #sources: Source[] = [];
  #http: ObservabilityServer | undefined;
  readonly #devices: DeviceStats;
  /** tributary_messages_received_total's child per source, resolved once (hot path). */
  readonly #receivedBy = new Map<string, CounterChild>();
  #startedAt = 0;

  constructor(
    config: Readonly<EdgeConfig>,
    private readonly options: GatewayOptions = {},
  ) {
    super();
    this.file = this.#running = config;
    this.name = `gateway ${config.gateway.id}`;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger();
    this.#m = pipelineMetrics(this.metrics);
    this.#devices = new DeviceStats(config.windows.maxKeys);
    this.#decoder = decoderFor(config);
    this.#models = new ModelSet(config.windows.definitions);
  }

  /** The config the gateway runs: the file, with the applied config push merged over it (edge/push/). */
  get config(): Readonly<EdgeConfig> {
    return this.#running;
  }

  /** Config and model push, once open. */
  get push(): PushAgent | undefined {
    return this.#push;
  }

  /** Sources by name (e.g. `mqtt-broker`), for their bound ports. */
  source<T extends Source = Source>(name: string): T | undefined {
    return this.#sources.find((s) => s.name === name) as T | undefined;
  }

  get httpPort(): number | undefined {
    return this.#http?.port;
  }

  get outbox(): Outbox {
    if (!this.#outbox) throw new TypeError('gateway is not open');
    return this.#outbox;
  }

  get windows(): WindowEngine {
    if (!this.#intake) throw new TypeError('gateway is not open');
    return this.#intake.engine;
  }

  /** Per-device counts: readings decoded, dead letters, last seen. */
  get devices(): DeviceStats {
    return this.#devices;
  }

  /** What a store holds: `outbox`, `alerts`, `dead-letter` or `late-data` (undefined for any other name). */
  async inspect(store: string, limit = 100, order: 'newest' | 'oldest' = 'newest'): Promise<{ size: number; entries: unknown[] } | undefined> {
    const cls = ({ outbox: 'summary', alerts: 'alert', raw: 'raw', status: 'status' } as const)[store as 'outbox'];
    if (cls && this.#outbox) return { size: this.#outbox.stats().classes[cls].items, entries: await this.#outbox.list(cls, limit, order) };
    const log = store === 'dead-letter' ? this.#deadLetters : store === 'late-data' ? this.#late : undefined;
    return log && { size: log.size, entries: await log.list(limit, order) };
  }

  /** Write everything batched so far to LevelDB, after the analysis stage has handed on what it holds. */
  async flush(): Promise<void> {
    await this.#analysis?.settle();
    await this.#writer?.flush();
  }

  health(): { ok: boolean; [k: string]: unknown } {
    const sources = Object.fromEntries(this.#sources.map((s) => [s.name, s.health ? { status: s.status, ...s.health() } : { status: s.status, ok: s.status === 'open' }]));
    const ok = this.status === 'open' && Object.values(sources).every((s) => s.ok);
    const stats = this.#intake?.status === 'open' ? this.#intake.engine.stats : undefined;
    return {
      ok,
      gateway: this.config.gateway.id,
      status: this.status,
      uptimeSeconds: Math.round((this.#clock.now() - this.#startedAt) / 1000),
      sources,
      devices: stats?.devices ?? 0,
      windowsOpen: stats?.windowsOpen ?? 0,
      outbox: this.#outbox?.stats().classes.summary.items ?? 0,
      alerts: this.#outbox?.stats().classes.alert.items ?? 0,
      outboxBytes: this.#outbox?.used ?? 0,
      uplink: this.#uplink?.health() ?? null,
      models: this.#scorer?.models.map((m) => ({ name: m.manifest.name, version: m.manifest.version })) ?? [],
      push: this.#push?.applied() ?? null,
      deadLetters: this.#deadLetters?.size ?? 0,
      lateReadings: this.#late?.size ?? 0,
    };
  }

  protected async _open(): Promise<void> {
    const c = this.config;
    this.#startedAt = this.#clock.now();
    // Before the uplink or a broker writes its first MQTT packet, which would build the cache.
    withoutPacketNumberCache();
    this.#db = await openDb(c.dataDir);
    this.#revisionBase = (await nextEpoch(this.#db)) * REVISION_EPOCH;
    this.#writer = new BatchWriter({ db: this.#db, clock: this.#clock, log: this.#log, flushIntervalMs: c.stores.flushIntervalMs, writeErrors: this.#m.writeErrors });
    const evicted = (store: string) => this.#m.evicted.labels(store);
    this.#deadLetters = await BoundedLog.open(this.#db, 'dead-letter', this.#writer, c.stores.deadLetterMaxEntries, evicted('dead-letter'));
    this.#late = await BoundedLog.open(this.#db, 'late-data', this.#writer, c.stores.lateDataMaxEntries, evicted('late-data'));
    const classes = c.outbox.classes;
    this.#outbox = new Outbox({
      db: this.#db, writer: this.#writer, clock: this.#clock, log: this.#log, metrics: this.metrics,
      maxBytes: c.outbox.maxBytes, expireIntervalMs: c.outbox.expireIntervalMs,
      ttlMs: { alert: classes.alert.ttlMs, summary: classes.summary.ttlMs, raw: classes.raw.ttlMs, status: classes.status.ttlMs },
    });
    await this.#outbox.open();
    // The applied push, merged over the file, decides what the analysis stage is built from.
    const push = (this.#push = new PushAgent({
      file: c, store: new PushStore(this.#db), models: this.#models, prepare: (config, models) => this.#prepareLive(config, models),
      clock: this.#clock, log: this.#log, metrics: this.metrics,
    }));
    this.#running = await push.start();
    this.#decoder = decoderFor(this.#running);
    this.#analysis = this.#createAnalysis();
    this.#scorer!.replace(await push.loadModels());
    if (c.uplink) {
      const uplink = (this.#uplink = new Uplink({
        gateway: c.gateway.id, config: c.uplink, outbox: this.#outbox, clock: this.#clock, log: this.#log, metrics: this.metrics,
        priority: { alert: classes.alert.priority, summary: classes.summary.priority, raw: classes.raw.priority, status: classes.status.priority },
        onDown: (kind, payload, topic) => push.receive(kind, payload, topic),
        applied: () => push.applied(),
      }));
      // The cloud hears at once what became of a push, not at the next periodic report.
      push.onHandled = () => void uplink.reportStatus().catch((err: unknown) => this.#log.error({ err }, 'status report after a push failed'));
      await uplink.open();
    }
    this.#intake = new Intake({
      db: this.#db,
      config: c.durability,
      clock: this.#clock,
      log: this.#log,
      metrics: this.metrics,
      engine: this.#engineOptions(),
      analysis: this.#analysis,
      // The rules in charge at the time: a config push may have replaced them.
      rules: { cut: () => this.#rules!.cut(), restore: (state) => this.#rules!.restore(state) },
      onRestoredAlerts: (events) => {
        for (const e of events) this.#outbox!.add('alert', { ...e, revision: this.#revisionBase + e.revision });
      },
      flushStores: () => this.#outbox!.flush(),
      ...(this.options.onWindowed ? { onWindowed: this.options.onWindowed } : {}),
    });
    await this.#intake.open();
    if (c.flightRecorder.enabled) {
      this.#recorder = new FlightRecorder({ gateway: c.gateway.id, config: c.flightRecorder, readings: this.#intake.ingestLog, outbox: this.#outbox, db: this.#db, writer: this.#writer, clock: this.#clock, log: this.#log, metrics: this.metrics });
      await this.#recorder.open();
    }
    this.#tick = this.#clock.setInterval(() => this.#analysis?.tick(), 1000);
    this.#tick.unref();
    this.#registerGauges();

    const ctx: SourceContext = {
      clock: this.#clock,
      log: this.#log,
      metrics: this.metrics,
      emit: (msg) => {
        const reading = this.#accept(msg);
        if (reading) void this.#append(reading, false, msg);
      },
      emitDurable: (msg) => {
        const reading = this.#accept(msg);
        return reading ? this.#append(reading, true, msg) : Promise.resolve();
      },
      reject: (msg, error) => {
        this.#received(msg.source).inc();
        this.#deadLetter(error, msg);
      },
    };
    this.#sources = createSources(c, ctx);
    for (const source of this.#sources) await source.open();

    if (c.http.enabled) {
      this.#http = new ObservabilityServer({
        host: c.http.host,
        port: c.http.port,
        ...(c.http.tokenFile ? { token: await readSecretFile(c.http.tokenFile, 'HTTP token') } : {}),
        ...(c.http.tls ? { tls: c.http.tls } : {}),
        metrics: () => this.metrics.render(),
        health: () => this.health(),
        inspect: (store, limit, order) => this.inspect(store, limit, order),
        devices: () => this.#devices.toJSON(),
      });
      await this.#http.open();
    }
    this.#log.info({ gateway: c.gateway.id, sources: this.#sources.map((s) => s.name), httpPort: this.#http?.port }, 'gateway open');
  }

  protected async _close(): Promise<void> {
    // Sources first so nothing new arrives; everything logged into the windows; a last checkpoint
    // (open windows carry on after a restart); then pending writes and the database.
    await Promise.allSettled(this.#sources.map((s) => s.close()));
    await this.#http?.close();
    if (this.#tick) this.#clock.clear(this.#tick);
    await this.#push?.close();
    await this.#intake?.close();
    await Promise.allSettled(this.#models.all().map((m) => m.close()));
    await this.#recorder?.close();
    await this.#uplink?.close();
    await this.#outbox?.close();
    await this.#intake?.closeLog();
    await this.#writer?.close();
    await this.#db?.close();
    this.#m.lag.disable();
    this.#log.info({ gateway: this.config.gateway.id }, 'gateway closed');
  }

  #engineOptions(): WindowEngineOptions {
    const w = this.config.windows;
    return {
      gateway: this.config.gateway.id,
      windows: w.definitions,
      maxOutOfOrdernessMs: w.maxOutOfOrdernessMs,
      staggerMs: w.staggerMs,
      allowedLatenessMs: w.allowedLatenessMs,
      idleTimeoutMs: w.idleTimeoutMs,
      maxKeys: w.maxKeys,
      clock: this.#clock,
      onSummary: (s) => this.#analysis!.summary(s),
      onLate: (reading, watermark) => {
        this.#m.late.inc();
        this.#late!.append({ reading, watermark, source: 'ingest-log' });
      },
      onRejected: (reading, metric, error) => this.#deadLetter(error, { source: 'ingest-log', topic: '', device: reading.device, payload: Buffer.from(JSON.stringify({ ts: reading.ts, [metric]: reading.values[metric] })), receivedAt: reading.receivedAt }),
    };
  }

  /** Decode and count a message; the reading to log, or undefined when it was refused or is a resend. */
  #accept(msg: RawMessage): Reading | undefined {
    this.#received(msg.source).inc();
    const result = this.#decoder.decode(msg);
    if (!result.ok) {
      this.#deadLetter(result.error, { ...msg, ...(result.device !== undefined ? { device: result.device } : {}) });
      return undefined;
    }
    this.#m.decoded.inc();
    this.#devices.reading(result.reading.device, msg.receivedAt);
    this.#analysis!.seen(result.reading.device, msg.receivedAt);
    if (this.#intake!.isResend(result.reading, msg.receivedAt)) {
      this.#m.resent.inc();
      return undefined;
    }
    return result.reading;
  }

  /**
   * Log a reading; resolves once it is on disk (durable) or at once. When the log or the analysis
   * stage falls behind, the sources pause (sockets and serial streams stop being read) until it has
   * caught up, rather than memory growing.
   */
  #append(reading: Reading, durable: boolean, msg: RawMessage): Promise<void> {
    const intake = this.#intake!;
    const appended = intake.append(reading, durable);
    if (!this.#paused) {
      if (intake.full) this.#pauseUntil('log', intake.drained());
      else if (this.#analysis!.queued > MAX_ANALYSIS_BATCHES || this.#analysis!.pendingSummaries > MAX_PENDING_SUMMARIES) this.#pauseUntil('analysis', this.#analysis!.settle());
    }
    // A non-durable append that fails (the log is past its hard limit) is kept as a dead letter: never lost silently.
    if (!durable) appended.catch((err: unknown) => this.#deadLetter(err as TributaryError, msg));
    return appended;
  }

  #pauseUntil(reason: 'log' | 'analysis', caughtUp: Promise<void>): void {
    this.#paused = true;
    this.#m.pauses.labels(reason).inc();
    for (const s of this.#sources) s.pause();
    void caughtUp.then(() => {
      this.#paused = false;
      for (const s of this.#sources) s.resume();
    });
  }

  #received(source: string): CounterChild {
    let child = this.#receivedBy.get(source);
    if (!child) {
      child = this.#m.received.labels(source);
      this.#receivedBy.set(source, child);
    }
    return child;
  }

  #deadLetter(error: TributaryError, msg: { source: string; topic: string; device?: string; payload: Buffer; receivedAt: number }): void {
    const reason = reasonOf(error.code);
    this.#m.deadLettered.labels(reason).inc();
    if (msg.device !== undefined) this.#devices.deadLetter(msg.device, msg.receivedAt);
    // Keep at most maxPayloadBytes of the payload so an oversized flood cannot fill the disk.
    const cap = this.config.decode.maxPayloadBytes;
    const payload = msg.payload.length > cap ? msg.payload.subarray(0, cap) : msg.payload;
    this.#deadLetters!.append({
      code: error.code,
      reason,
      message: error.message,
      source: msg.source,
      topic: msg.topic,
      ...(msg.device !== undefined ? { device: msg.device } : {}),
      payload: payload.toString('base64'),
      ...(payload !== msg.payload ? { truncatedFrom: msg.payload.length } : {}),
      receivedAt: msg.receivedAt,
    });
    this.#log.debug({ code: error.code, topic: msg.topic, device: msg.device }, 'dead-lettered');
  }

  /** Alert rules and detectors for `c`. Throws TypeError on rules it cannot run (the config loader's checks come first). */
  #createRules(c: Readonly<EdgeConfig>, kindOf: KindOf): AlertEngine {
    return new AlertEngine({
      gateway: c.gateway.id,
      rules: c.alerts.rules,
      detectors: c.detectors,
      defaultWindow: c.windows.definitions[0]!,
      clock: this.#clock,
      kindOf,
      forgetAfterMs: c.alerts.forgetAfterMs,
      maxDevices: c.alerts.maxDevices,
    });
  }

  /**
   * A push's change, built now (rules, kinds, decoder: what can fail, fails here); the swap it
   * returns runs between two analysis batches: models, kinds and rules change together, alert
   * state carries over to the rules still configured, and the decoder's limits apply to the next
   * reading.
   */
  #prepareLive(config: Readonly<EdgeConfig>, models: readonly ScoringModel[]): LiveSwap {
    const kindOf = deviceKinds(config.devices.kinds);
    const rules = this.#createRules(config, kindOf);
    const decoder = decoderFor(config);
    return () =>
      this.#analysis!.between(() => {
        this.#scorer!.replace(models, kindOf);
        const carried = rules.takeOver(this.#rules!);
        this.#rules = rules;
        this.#analysis!.replaceRules(rules, carried);
        this.#decoder = decoder;
        this.#running = config;
      });
  }

  #createAnalysis(): Analysis {
    const c = this.config;
    const metrics = analysisMetrics(this.metrics);
    const longest = Math.max(...c.windows.definitions.map((w) => (w.kind === 'session' ? w.gapMs : w.sizeMs)));
    const kindOf = deviceKinds(c.devices.kinds);
    this.#scorer = new Scorer({ models: [], kindOf, log: this.#log, metrics });
    const rules = (this.#rules = this.#createRules(c, kindOf));
    return new Analysis({
      scorer: this.#scorer,
      rules,
      retainMs: c.windows.allowedLatenessMs + c.windows.maxOutOfOrdernessMs + c.windows.staggerMs + longest,
      log: this.#log,
      metrics,
      summarySlice: SUMMARY_SLICE,
      onSummaries: (summaries) => {
        for (const s of summaries) this.#onSummary(s);
      },
      onAlerts: (events) => {
        for (const raw of events) {
          const e = this.#revisionBase === 0 ? raw : { ...raw, revision: this.#revisionBase + raw.revision };
          this.#outbox!.add('alert', e);
          this.#recorder?.alert(e);
          this.options.onAlert?.(e);
        }
      },
    });
  }

  #onSummary(raw: Summary): void {
    this.#m.summaries.labels(raw.window.kind).inc();
    if (raw.revision > 0) this.#m.revisions.inc();
    const summary = this.#revisionBase === 0 ? raw : { ...raw, revision: this.#revisionBase + raw.revision };
    this.#outbox!.add('summary', summary);
    this.options.onSummary?.(summary);
  }

  #registerGauges(): void {
    const engine = this.#intake!.engine;
    const lateAccepted = this.#m.lateAccepted.labels();
    // engine.stats walks every key (windows open): once per scrape, not once per gauge.
    let stats = engine.stats;
    this.metrics.onRender(() => {
      stats = engine.stats;
      lateAccepted.inc(stats.lateAccepted - lateAccepted.value);
    });
    this.metrics.gauge('tributary_windows_open', 'Windows not yet closed, over all devices, metrics and window definitions', [], (g) => g.set(stats.windowsOpen));
    this.metrics.gauge('tributary_window_keys', '(device, metric) keys held by the window engine', [], (g) => g.set(stats.keys));
    this.metrics.gauge('tributary_devices', 'Devices with state in the window engine', [], (g) => g.set(stats.devices));
    this.metrics.gauge('tributary_store_entries', 'Entries held per store (dead-letter, late-data)', ['store'], (g) => {
      g.set(this.#deadLetters?.size ?? 0, 'dead-letter');
      g.set(this.#late?.size ?? 0, 'late-data');
    });
    this.metrics.gauge('tributary_store_pending_writes', 'Writes batched but not yet in LevelDB', [], (g) => g.set(this.#writer?.pending ?? 0));
    this.metrics.gauge('tributary_analysis_queue_batches', 'Batches of closed windows waiting to be scored and judged', [], (g) => g.set(this.#analysis?.queued ?? 0));
  }
}

function decoderFor(config: Readonly<EdgeConfig>): Decoder {
  const d = config.decode;
  return new Decoder({
    topicPrefix: config.mqtt.topicPrefix,
    maxPayloadBytes: d.maxPayloadBytes,
    maxClockSkewMs: d.maxClockSkewMs,
    maxMetricsPerReading: d.maxMetricsPerReading,
    ...(d.knownDevices ? { knownDevices: new Set(d.knownDevices) } : {}),
  });
}
