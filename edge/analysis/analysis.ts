// The analysis stage: window summaries → device observations → model scores → detectors and
// alert rules → scored summaries and alert events for the outbox. The gateway and `tributary eval`
// both run readings through this one stage, so what eval measures is what the gateway does.
//
// Summaries emitted in one turn of the event loop form one batch: every device whose windows
// closed at that instant is scored in one inference per model. Batches are processed one after
// another, so each device's windows reach the rules in event-time order; while one batch is being
// scored the next one gathers, which is what keeps batches large under load.
//
// Summaries may be handed on in slices, one per turn of the event loop (summarySlice): alert
// events go on at once, while a whole fleet's summaries (the outbox encodes each) leave room
// between slices for ingest-log commits and sockets, so a reading that closes a window is not held
// behind the encoding of every other device's. settle() and idle count the slices still waiting, so
// a checkpoint never covers a summary not yet in the outbox.
//
// Models and rules change only between two batches (between()): a config or model push never has
// one batch scored or judged half by the old and half by the new.
//
// Rules judged on each reading (`reading-threshold`) are not batched: reading() judges one reading
// at once, synchronously, with the rules in charge at that moment, and its events go out like any.
// The caller decides when a reading counts (the gateway: once the ingest log has taken it, in log
// order, and on a replay after a crash those after the checkpoint's last judged seq).
//
// Devices no model scores do not wait for the models: their windows are judged and handed on in
// the turn they close, ahead of the batches waiting to be scored, so an alert of such a device is
// not held behind inference of the whole fleet. Only when that keeps each device's order: a device
// with an observation still waiting in the chain, or any observation while a swap waits, goes
// through the chain like the rest.

import type { AlertEvent, DetectorResult, ModelScore, WindowObservation } from '../alert/alert.js';
import type { Reading } from '../decode/reading.js';
import type { Summary } from '../features/summary.js';
import type { Logger } from '../observe/log.js';
import type { AnalysisMetrics } from './metrics.js';
import { ObservationAssembler, type Observation } from './observations.js';
import type { Scorer } from './scorer.js';
import { SliceLane } from './slice-lane.js';

/** The alert rules and detectors, as the analysis stage drives them. */
export interface AlertRules {
  /** Judge one device's closed window: run its detectors, then its rules. */
  observe(obs: WindowObservation): { readonly detectors: readonly DetectorResult[]; readonly events: readonly AlertEvent[] };
  /** Judge one reading by the rules judged per reading; the events it caused (none, for most readings). */
  reading(reading: Reading): readonly AlertEvent[];
  /** A reading from `device` arrived at `at` (gateway clock), for the silent rule. */
  seen(device: string, at: number): void;
  /** Check clock-driven rules (silent devices). */
  tick(): readonly AlertEvent[];
}

/** What happened to one observation, for callers that follow every window (eval). */
export interface Judged {
  readonly observation: Observation;
  readonly score?: ModelScore;
  readonly detectors: readonly DetectorResult[];
  readonly events: readonly AlertEvent[];
}

export interface AnalysisOptions {
  readonly scorer: Scorer;
  readonly rules?: AlertRules;
  /** How long after its end a window can still be revised (ms of event time). */
  readonly retainMs: number;
  readonly log: Logger;
  readonly metrics: AnalysisMetrics;
  /** Summaries of a batch, scores attached where a model applies, in emission order. */
  readonly onSummaries: (summaries: Summary[]) => void;
  /** Hand summaries on this many per turn of the event loop (see above); without it, all at once. */
  readonly summarySlice?: number;
  /** Alert events of a batch; called before onSummaries so alerts reach the outbox first. */
  readonly onAlerts: (events: readonly AlertEvent[]) => void;
  readonly onJudged?: (judged: Judged) => void;
}

export class Analysis {
  readonly #assembler: ObservationAssembler;
  #rules: AlertRules | undefined;
  #chain: Promise<void> = Promise.resolve();
  #scheduled = false;
  #queued = 0;
  /** device → its observations waiting in the chain (to be scored, or behind a swap). */
  readonly #inChain = new Map<string, number>();
  /** between() calls whose function has not run yet. */
  #swaps = 0;
  readonly #lane: SliceLane<Summary> | undefined;

  constructor(private readonly o: AnalysisOptions) {
    this.#assembler = new ObservationAssembler(o.retainMs, (device, window) => o.scorer.scores(device, window));
    this.#rules = o.rules;
    this.#lane = o.summarySlice === undefined ? undefined : new SliceLane(o.summarySlice, o.onSummaries, (err) => o.log.error({ err }, 'handing on summaries failed; the slice is skipped'));
  }

  /** Batches cut but not yet scored and handed on. */
  get queued(): number {
    return this.#queued;
  }

  /** Summaries judged and waiting for their slice (summarySlice). */
  get pendingSummaries(): number {
    return this.#lane?.size ?? 0;
  }

  /** Windows kept so that a revision can be scored with every metric's features. */
  get retained(): number {
    return this.#assembler.retained;
  }

  /** Nothing gathered and nothing being scored: every summary handed in has been passed on. */
  get idle(): boolean {
    return this.#queued === 0 && this.#assembler.pending === 0 && this.pendingSummaries === 0;
  }

  /** A summary from the window engine. */
  summary(summary: Summary): void {
    this.#assembler.add(summary);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#cut());
    }
  }

  seen(device: string, at: number): void {
    this.#rules?.seen(device, at);
  }

  /** Judge one reading by the per-reading rules in charge now; their events go straight to onAlerts. */
  reading(reading: Reading): void {
    if (!this.#rules) return;
    let events: readonly AlertEvent[];
    try {
      events = this.#rules.reading(reading);
    } catch (err) {
      this.o.log.error({ err, device: reading.device }, 'alert rules failed on a reading');
      return;
    }
    if (events.length) this.#emitEvents(events);
  }

  /** Run clock-driven rules; their events go straight to onAlerts. */
  tick(): void {
    const events = this.#rules?.tick() ?? [];
    if (events.length) this.#emitEvents(events);
  }

  /**
   * Run `fn` between two batches: once every summary handed in so far has been scored, judged and
   * passed on, and before any summary handed in later is. Resolves (or rejects) with its result.
   */
  between<T>(fn: () => T): Promise<T> {
    this.#cut();
    this.#swaps++;
    const run = this.#chain.then(fn).finally(() => this.#swaps--);
    this.#chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Judge with `rules` from now on (call it inside between()); `carried` are events the hand-over made, passed on like any. */
  replaceRules(rules: AlertRules, carried: readonly AlertEvent[] = []): void {
    this.#rules = rules;
    if (carried.length) this.#emitEvents(carried);
  }

  /** Resolves once every summary handed in so far has been scored, judged and passed on. */
  settle(): Promise<void> {
    this.#cut();
    const lane = this.#lane;
    return lane ? this.#chain.then(() => lane.drained()) : this.#chain;
  }

  #cut(): void {
    this.#scheduled = false;
    if (this.#assembler.pending === 0) return;
    const batch: Observation[] = [];
    const now: Observation[] = [];
    for (const obs of this.#assembler.drain()) {
      if (this.#swaps === 0 && !this.#inChain.has(obs.device) && this.o.scorer.modelFor(obs.device) === undefined) now.push(obs);
      else batch.push(obs);
    }
    if (now.length > 0) this.#hand(now, new Map());
    if (batch.length === 0) return;
    for (const obs of batch) this.#inChain.set(obs.device, (this.#inChain.get(obs.device) ?? 0) + 1);
    this.#queued++;
    this.#chain = this.#chain
      .then(() => this.#process(batch))
      .finally(() => {
        this.#queued--;
        for (const obs of batch) {
          const n = this.#inChain.get(obs.device)! - 1;
          if (n === 0) this.#inChain.delete(obs.device);
          else this.#inChain.set(obs.device, n);
        }
      });
  }

  async #process(batch: Observation[]): Promise<void> {
    let scores = new Map<number, ModelScore>();
    try {
      scores = await this.o.scorer.score(batch);
    } catch (err) {
      this.o.log.error({ err }, 'scoring failed; the batch goes on unscored');
    }
    this.#hand(batch, scores);
  }

  /** Judge the observations of a batch (scores by index) and pass on its alert events, then its summaries. */
  #hand(batch: readonly Observation[], scores: ReadonlyMap<number, ModelScore>): void {
    const events: AlertEvent[] = [];
    const out: Summary[] = [];
    batch.forEach((obs, i) => {
      const score = scores.get(i);
      const judged = this.#judge(obs, score);
      events.push(...judged.events);
      for (const s of obs.summaries) out.push(score !== undefined && !s.retracted ? { ...s, score } : s);
      this.o.onJudged?.(judged);
    });
    if (events.length) this.#emitEvents(events);
    if (this.#lane) this.#lane.push(out);
    else this.o.onSummaries(out);
  }

  #judge(obs: Observation, score: ModelScore | undefined): Judged {
    const m = this.o.metrics;
    m.observations.labels(String(obs.revised)).inc();
    if (score !== undefined && score.value > score.threshold) m.anomalous.labels(score.model).inc();
    // Rules judge a window once, when it first closes; a revision re-scores it but does not count twice.
    if (obs.revised || this.#rules === undefined || obs.summaries.every((s) => s.retracted)) return { observation: obs, ...(score ? { score } : {}), detectors: [], events: [] };
    try {
      const r = this.#rules.observe({ device: obs.device, window: obs.window, features: obs.features, ...(score ? { score } : {}) });
      for (const d of r.detectors) if (d.fired) m.detectorsFired.labels(d.detector).inc();
      return { observation: obs, ...(score ? { score } : {}), detectors: r.detectors, events: r.events };
    } catch (err) {
      this.o.log.error({ err, device: obs.device }, 'alert rules failed on a window');
      return { observation: obs, ...(score ? { score } : {}), detectors: [], events: [] };
    }
  }

  #emitEvents(events: readonly AlertEvent[]): void {
    for (const e of events) this.o.metrics.alertEvents.labels(e.rule, e.state).inc();
    this.o.onAlerts(events);
  }
}
