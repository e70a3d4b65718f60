// The gateway's durable intake: accepted readings go to the ingest log, enter the window engine
// only once on disk, and are checkpointed with the engine's and the alert rules' state; at start
// the engine is restored from the last checkpoint and the log after it replayed, and the resend
// guard is built from the log's tail. See gateway.ts for where it sits in the pipeline.
//
// Per-reading alert rules (`reading-threshold`) judge each reading the moment it is appended to the
// log, before its group commit (a few ms), so a threshold alert does not wait for the disk. A
// checkpoint records the last seq they judged beside the windows' position, and that seq is on disk
// before the checkpoint is saved; the replay judges only the readings after it. Their state is so
// always that of the readings logged up to a seq, and a crash's replay re-creates the same events,
// same ids: a reading judged and then lost by a crash before its commit is one a QoS 1 device sends
// again (no PUBACK yet) and a QoS 0 one never promised.

import type { AlertEvent } from '../alert/alert.js';
import type { AlertStateCut } from '../alert/engine.js';
import { systemClock, type Clock } from '../clock/clock.js';
import type { EdgeConfig } from '../config/schema.js';
import type { Reading } from '../decode/reading.js';
import { codedError, TributaryError } from '../errors/catalogue.js';
import { Resource } from '../lifecycle/resource.js';
import type { Logger } from '../observe/log.js';
import type { Registry } from '../observe/metrics.js';
import { CheckpointStore } from '../store/checkpoint.js';
import type { Db } from '../store/db.js';
import { IngestLog, type LoggedReading } from '../store/ingest-log.js';
import type { WindowEngine, WindowEngineOptions } from '../window/contract.js';
import { quietPhase } from './checkpoint-timing.js';
import { Checkpointer } from './checkpointer.js';
import { recover } from './recovery.js';
import { ResendGuard } from './resend-guard.js';

export interface IntakeOptions {
  readonly db: Db;
  readonly config: Readonly<EdgeConfig['durability']>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  readonly engine: WindowEngineOptions;
  /** The analysis stage: checkpoints wait until it has passed on everything; reading() judges each reading as it is appended (or replayed). */
  readonly analysis: { settle(): Promise<void>; readonly idle: boolean; reading(reading: Reading): void };
  /** The alert rules, whose state is checkpointed with the windows'. */
  readonly rules: { cut(): AlertStateCut; restore(state: unknown): AlertEvent[] };
  /** Events a restore produced (alerts of rules no longer configured, cleared). */
  readonly onRestoredAlerts: (events: readonly AlertEvent[]) => void;
  /** Write every store's pending writes before a checkpoint is saved. */
  readonly flushStores: () => Promise<void>;
  /** Called after each reading entered the windows. */
  readonly onWindowed?: (reading: Reading) => void;
}

export class Intake extends Resource {
  readonly name = 'intake';
  #log: IngestLog | undefined;
  #engine: WindowEngine | undefined;
  #guard: ResendGuard | undefined;
  #checkpointer: Checkpointer | undefined;
  /** The newest log seq fed into the engine. */
  #fed = -1;
  /** The newest log seq the per-reading rules have judged (≥ #fed). */
  #judged = -1;
  /** Logged readings waiting while a checkpoint is taken (undefined: feeding). */
  #held: LoggedReading[] | undefined;

  constructor(private readonly o: IntakeOptions) {
    super();
  }

  get engine(): WindowEngine {
    if (!this.#engine) throw new TypeError('intake is not open');
    return this.#engine;
  }

  get ingestLog(): IngestLog {
    if (!this.#log) throw new TypeError('intake is not open');
    return this.#log;
  }

  /** Whether the log has fallen behind (pause the sources until drained()). */
  get full(): boolean {
    return this.#log?.full ?? false;
  }

  drained(): Promise<void> {
    return this.#log?.drained() ?? Promise.resolve();
  }

  /** After a restart: whether `reading` is a resend of one already logged (its acknowledgement was lost). */
  isResend(reading: Reading, now: number): boolean {
    return this.#guard?.isResend(reading, now) ?? false;
  }

  /**
   * Log a reading; resolves once on disk (durable) or at once. The per-reading rules judge it now,
   * once the log has taken it; it enters the windows once on disk either way.
   */
  append(reading: Reading, durable: boolean): Promise<void> {
    const log = this.#log!;
    const before = log.appendedSeq;
    const appended = log.append(reading, { durable });
    if (log.appendedSeq > before) {
      this.#judged = log.appendedSeq;
      this.o.analysis.reading(reading);
    }
    return appended.then(() => undefined);
  }

  checkpoint(): Promise<void> {
    return this.#checkpointer?.checkpoint() ?? Promise.resolve();
  }

  protected async _open(): Promise<void> {
    const d = this.o.config;
    // The log's commit pacing is I/O timing, on the real clock even when operators run on a test clock.
    const log = (this.#log = new IngestLog({
      db: this.o.db,
      clock: systemClock,
      log: this.o.log,
      metrics: this.o.metrics,
      commitIntervalMs: d.commitIntervalMs,
      highWater: d.highWater,
      retentionMs: d.flightRecorderMs,
      onCommitted: (entries) => {
        if (this.#held) this.#held.push(...entries);
        else this.#feed(entries);
      },
    }));
    await log.open();
    const checkpoints = new CheckpointStore({ db: this.o.db, committedSeq: () => log.committedSeq });
    const recovered = await recover({
      log,
      checkpoints,
      engine: this.o.engine,
      logger: this.o.log,
      onCheckpoint: (checkpoint) => {
        // The replay judges the readings the restored rules have not (all after the position when none are restored).
        this.#judged = checkpoint?.position ?? -1;
        if (checkpoint?.analysis && this.#restoreRules(checkpoint.analysis)) this.#judged = checkpoint.judged ?? checkpoint.position;
      },
      replay: (engine, entry) => this.#enter(engine, entry),
    });
    this.#engine = recovered.engine;
    this.#fed = recovered.position;
    const tail: Reading[] = [];
    if (d.resendGuardReadings > 0 && log.committedSeq >= 0) {
      for await (const e of log.readFrom(Math.max(0, log.committedSeq - d.resendGuardReadings + 1))) tail.push(e.reading);
    }
    this.#guard = new ResendGuard(tail, d.resendGuardPerDevice, this.o.clock.now() + d.resendGuardMs);
    const phase = quietPhase(this.o.engine.windows, this.o.engine.maxOutOfOrdernessMs, this.o.engine.staggerMs);
    this.#checkpointer = new Checkpointer({
      store: checkpoints,
      log,
      flush: this.o.flushStores,
      clock: this.o.clock,
      logger: this.o.log,
      metrics: this.o.metrics,
      intervalMs: d.checkpointIntervalMs,
      ...(phase ? { phase } : {}),
      pause: () => (this.#held ??= []),
      resume: () => {
        const held = this.#held ?? [];
        this.#held = undefined;
        if (held.length) this.#feed(held);
      },
      quiesce: async () => {
        await this.o.analysis.settle();
        return this.o.analysis.idle;
      },
      take: () => ({ position: this.#fed, judged: this.#judged, engine: this.#engine!.snapshot(), analysis: this.o.rules.cut() }),
    });
    this.#checkpointer.start();
    if (recovered.replayed > 0 || recovered.checkpoint) this.o.log.info({ replayed: recovered.replayed, position: recovered.position, resendGuard: this.#guard.size }, 'recovered from the ingest log');
  }

  /** Everything logged into the windows, a last checkpoint (open windows carry on after a restart), then the engine and the log. */
  protected async _close(): Promise<void> {
    this.#checkpointer?.stop();
    if (this.#log?.status === 'open') await this.#log.flush();
    if (this.#checkpointer && this.#engine) await this.#checkpointer.checkpoint().catch((err: unknown) => this.o.log.error({ err }, 'final checkpoint failed; the next start replays more of the log'));
    this.#engine?.close();
    await this.o.analysis.settle();
  }

  /** Close the log last, after everything that reads it (the flight recorder). */
  async closeLog(): Promise<void> {
    await this.#log?.close();
  }

  /** Whether the rules' state was restored. */
  #restoreRules(blob: Uint8Array): boolean {
    try {
      this.o.onRestoredAlerts(this.o.rules.restore(JSON.parse(Buffer.from(blob).toString('utf8'))));
      return true;
    } catch (err) {
      // Detector histories and hysteresis start afresh; windows and the log are unaffected.
      this.o.log.warn({ err: err instanceof TributaryError ? err : codedError('ERR_ALERT_RESTORE', [(err as Error).message], { cause: err }) }, 'alert state in the checkpoint set aside');
      return false;
    }
  }

  /**
   * One logged reading enters the windows, and the per-reading rules unless they judged it already
   * (live, on append), and becomes the engine's log position: the same step live and on the
   * replay, so a replay re-creates what the live run did.
   */
  #enter(engine: WindowEngine, entry: LoggedReading): void {
    engine.add(entry.reading);
    if (entry.seq > this.#judged) {
      this.#judged = entry.seq;
      this.o.analysis.reading(entry.reading);
    }
    this.#fed = entry.seq;
  }

  /** Readings now on disk enter the windows, in log order. */
  #feed(entries: readonly LoggedReading[]): void {
    const engine = this.#engine;
    if (!engine) return;
    for (const e of entries) {
      if (e.seq <= this.#fed) continue;
      this.#enter(engine, e);
      this.o.onWindowed?.(e.reading);
    }
  }
}
