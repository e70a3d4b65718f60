// Retention in a running worker: the store's applyRetention() on the worker's clock, every
// `store.retention.intervalMs`, so a long-running cloud does not grow without bound. Every worker
// may run it: deleting what is already deleted is a no-op.

import type { TimerHandle } from '../../edge/clock/clock.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import type { CloudContext } from '../service/context.js';
import type { RetentionReport } from './contract.js';

export class RetentionRunner extends Resource {
  readonly name = 'retention';
  #timer: TimerHandle | undefined;
  #running: Promise<RetentionReport | undefined> | undefined;
  #last: RetentionReport | undefined;
  readonly #runs;
  readonly #deleted;
  readonly #failures;

  constructor(
    private readonly ctx: CloudContext,
    private readonly intervalMs: number,
  ) {
    super();
    this.#runs = ctx.metrics.counter('tributary_cloud_retention_runs_total', 'Retention passes run');
    this.#failures = ctx.metrics.counter('tributary_cloud_retention_failures_total', 'Retention passes that failed (retried at the next interval)');
    this.#deleted = ctx.metrics.counter('tributary_cloud_retention_deleted_total', 'Records deleted by retention, by what (summaries, buckets, dead_letters, alerts, raw_snippets)', ['what']);
  }

  /** The last pass's report, for /healthz. */
  health(): { ok: boolean; last?: RetentionReport } {
    return { ok: true, ...(this.#last ? { last: this.#last } : {}) };
  }

  /** Run a pass now (one at a time). */
  run(): Promise<RetentionReport | undefined> {
    this.#running ??= this.#pass().finally(() => (this.#running = undefined));
    return this.#running;
  }

  protected async _open(): Promise<void> {
    this.#timer = this.ctx.clock.setInterval(() => void this.run(), this.intervalMs);
    this.#timer.unref();
  }

  protected async _close(): Promise<void> {
    if (this.#timer) this.ctx.clock.clear(this.#timer);
    await this.#running;
  }

  async #pass(): Promise<RetentionReport | undefined> {
    try {
      const r = await this.ctx.store.applyRetention(this.ctx.clock.now());
      this.#runs.inc();
      this.#deleted.labels('summaries').inc(r.summaries);
      this.#deleted.labels('buckets').inc(Object.values(r.buckets).reduce((a, b) => a + b, 0));
      this.#deleted.labels('dead_letters').inc(r.deadLetters);
      this.#deleted.labels('alerts').inc(r.alerts);
      this.#deleted.labels('raw_snippets').inc(r.rawSnippets);
      this.#last = r;
      return r;
    } catch (err) {
      this.#failures.inc();
      this.ctx.log.error({ err }, 'retention pass failed; will retry at the next interval');
      return undefined;
    }
  }
}
