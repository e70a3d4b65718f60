// Periodic checkpoints: the window engine's state, the alert rules' state and the ingest-log
// position they include, taken together at a quiet instant, written after everything they
// produced is on its way to disk, so a restart replays exactly the log after them.
//
// Taken consistently: hold the feed of logged readings into the engine (they wait in memory for
// the few milliseconds this takes), wait until the analysis stage holds nothing (every summary
// emitted so far has been scored, judged and handed to the outbox), snapshot the engine and cut the
// rules' state (its text is made afterwards, copy on write: edge/alert/state-cut.ts) with the
// position in one synchronous step, release the feed; then flush the stores' pending writes (and
// the log's, up to the last reading the per-reading rules judged: they judge a reading when it is
// appended, before its commit), write the rules' text, save, and let the log drop what the
// checkpoint now covers.
//
// With a phase (checkpoint-timing.ts) each checkpoint is timed half-way between two instants the
// windows close, so holding the feed never holds the summaries and alerts of a whole fleet.

import type { AlertStateCut } from '../alert/engine.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { Logger } from '../observe/log.js';
import type { Registry } from '../observe/metrics.js';
import type { CheckpointStore } from '../store/checkpoint.js';
import type { IngestLog } from '../store/ingest-log.js';
import type { WindowSnapshot } from '../window/snapshot.js';
import { nextCheckpointAt, type Phase } from './checkpoint-timing.js';

export interface CheckpointState {
  /** The newest log seq fed to the engine. */
  readonly position: number;
  /** The newest log seq the per-reading rules have judged (≥ position: they judge on append). */
  readonly judged: number;
  readonly engine: WindowSnapshot;
  /** The analysis state at the same instant; its text is made after the feed runs again. */
  readonly analysis?: AlertStateCut;
}

export interface CheckpointerOptions {
  readonly store: CheckpointStore;
  readonly log: IngestLog;
  /** Write every store's pending writes (the outbox with its loss ledger, dead letters, ...). */
  readonly flush: () => Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly intervalMs: number;
  /** Time each checkpoint to this phase (see checkpoint-timing.ts); default: every intervalMs from start(). */
  readonly phase?: Phase;
  /** Stop feeding logged readings into the engine until resume(). */
  readonly pause: () => void;
  readonly resume: () => void;
  /** Let the analysis stage finish what it holds; resolves true when it holds nothing. */
  readonly quiesce: () => Promise<boolean>;
  /** Snapshot the state (and cut the analysis state), synchronously. */
  readonly take: () => CheckpointState;
}

export class Checkpointer {
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;
  readonly #count;
  readonly #bytes;
  readonly #failures;

  constructor(private readonly o: CheckpointerOptions) {
    this.#count = o.metrics.counter('tributary_checkpoints_total', 'Checkpoints written (window and alert state with the log position)');
    this.#failures = o.metrics.counter('tributary_checkpoint_failures_total', 'Checkpoints that could not be written (retried at the next interval)');
    this.#bytes = o.metrics.gauge('tributary_checkpoint_bytes', 'Size of the last checkpoint written');
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(this.o.clock.now());
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) this.o.clock.clear(this.#timer);
    this.#timer = undefined;
  }

  #schedule(from: number): void {
    if (this.#stopped) return;
    const at = nextCheckpointAt(from, this.o.intervalMs, this.o.phase);
    this.#timer = this.o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.checkpoint().catch((err: unknown) => this.o.logger.error({ err }, 'checkpoint failed; will retry at the next interval'));
      this.#schedule(at);
    }, Math.max(0, at - this.o.clock.now()));
    this.#timer.unref();
  }

  /** Take and write a checkpoint now (one at a time: a second call shares the running one). */
  checkpoint(): Promise<void> {
    this.#running ??= this.#take().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #take(): Promise<void> {
    let state: CheckpointState;
    this.o.pause();
    try {
      // With the feed held only the engine's idle timer can add work, so this ends.
      while (!(await this.o.quiesce()));
      state = this.o.take();
    } finally {
      this.o.resume();
    }
    try {
      await this.o.flush();
      // The rules have judged readings still waiting for their commit: those go to disk first.
      if (state.judged > this.o.log.committedSeq) await this.o.log.flush();
      const analysis = state.analysis && Buffer.from(await state.analysis.text());
      const { bytes } = await this.o.store.save({
        position: state.position,
        judged: state.judged,
        takenAt: this.o.clock.now(),
        engine: state.engine,
        ...(analysis ? { analysis } : {}),
      });
      this.o.log.truncateBefore(state.position + 1);
      this.#count.inc();
      this.#bytes.set(bytes);
    } catch (err) {
      this.#failures.inc();
      throw err;
    } finally {
      state.analysis?.close();
    }
  }
}
