// The fleet run loop: advances simulated time at `speedup` × real time and, in small real-time
// ticks, pulls every device's due readings and hands them to its transport.
//
// Timestamps are simulated event time, consistent across devices: a reading due `x` simulated ms
// into the run carries startTime + x, whenever it is actually sent. A device whose transport is
// not writable generates nothing until it is, then catches up (it lags; `lagMs` in the progress);
// nothing queues in memory, and no reading is skipped.
//
// Lifecycle: open() opens the transports; run() resolves with the summary once durationMs of
// simulated time has been sent (or stop() was called), the held messages flushed and the
// in-flight ones confirmed; close() closes the transports. Time comes from the injected clock.

import type { Clock, TimerHandle } from '../edge/clock/clock.js';
import { Resource } from '../edge/lifecycle/resource.js';
import { FleetCounts, type DeviceCounts } from './counts.js';
import type { DeviceMessage } from './message.js';
import type { ReadingStream } from './stream.js';
import type { Endpoint, Transport } from './transport/contract.js';

export interface FleetOptions {
  readonly clock: Clock;
  /** Simulated time ÷ real time (> 0). */
  readonly speedup: number;
  /** Simulated time at the start of the run (ms since the epoch). */
  readonly startTime: number;
  /** Simulated length of the run (ms); undefined runs until stop(). */
  readonly durationMs?: number;
  /** Real time between scheduling rounds (ms, default 10). */
  readonly tickMs?: number;
  /** Most readings one device makes in one round, so one device cannot starve the rest (default 64). */
  readonly maxPerDevicePerTick?: number;
  /** Real time between progress reports (ms, default 1000). */
  readonly progressMs?: number;
  readonly onProgress?: (progress: FleetProgress) => void;
  /** At the end, how long to wait for in-flight messages to be confirmed (real ms, default 10000). */
  readonly settleTimeoutMs?: number;
}

export interface FleetProgress {
  readonly realMs: number;
  readonly simulatedMs: number;
  /** Messages confirmed per real second since the last report. */
  readonly ratePerSec: number;
  readonly devices: number;
  readonly connected: number;
  /** Transport errors: lost connections and failed messages. */
  readonly errors: number;
  /** How far the slowest device was behind simulated time at the last round (simulated ms). */
  readonly lagMs: number;
}

export interface FleetSummary {
  /** Simulated time at the start (ms since the epoch). */
  readonly startTime: number;
  /** Simulated time covered (ms). */
  readonly simulatedMs: number;
  readonly realMs: number;
  readonly speedup: number;
  /** True when stop() ended the run before durationMs. */
  readonly stopped: boolean;
  readonly totals: DeviceCounts;
  /** Messages still unconfirmed when the settle timeout ran out (counted in no device's numbers). */
  readonly unconfirmed: number;
  readonly devices: Readonly<Record<string, DeviceCounts>>;
}

/** A device of the fleet: where its readings come from and where they go. */
export interface FleetDevice {
  readonly stream: ReadingStream;
  readonly transport: Transport;
}

interface Bound {
  readonly stream: ReadingStream;
  readonly endpoint: Endpoint;
}

export class Fleet extends Resource {
  readonly name = 'fleet';
  readonly counts: FleetCounts;
  readonly #o: FleetOptions;
  readonly #devices: Bound[];
  readonly #transports: Transport[];
  #realStart = 0;
  #timer: TimerHandle | undefined;
  #progressTimer: TimerHandle | undefined;
  #stopRequested = false;
  #stoppedAtMs: number | undefined;
  #lastReport = { at: 0, sent: 0 };
  #finish: ((summary: FleetSummary) => void) | undefined;
  #ended = false;
  #lastTickSim = 0;

  constructor(devices: readonly FleetDevice[], options: FleetOptions) {
    super();
    if (!(options.speedup > 0)) throw new TypeError(`speedup must be positive, got ${options.speedup}`);
    this.#o = options;
    this.#devices = devices.map((d) => ({ stream: d.stream, endpoint: d.transport.endpoint(d.stream.device) }));
    this.#transports = [...new Set(devices.map((d) => d.transport))];
    this.counts = new FleetCounts(devices.map((d) => d.stream.device));
  }

  /** Simulated ms since the start of the run, by the clock (capped at durationMs). */
  get simulatedMs(): number {
    const ms = (this.#o.clock.now() - this.#realStart) * this.#o.speedup;
    return Math.min(ms, this.#stoppedAtMs ?? this.#o.durationMs ?? Infinity);
  }

  /** Run until durationMs of simulated time is sent, or stop(). Call once, after open(). */
  run(): Promise<FleetSummary> {
    this.assertOpen();
    if (this.#finish) throw new TypeError('Fleet.run() was already called');
    const { clock } = this.#o;
    this.#realStart = clock.now();
    this.#lastReport = { at: this.#realStart, sent: 0 };
    if (this.#o.onProgress) {
      const report = this.#o.onProgress;
      this.#progressTimer = clock.setInterval(() => report(this.progress()), this.#o.progressMs ?? 1000);
    }
    const done = new Promise<FleetSummary>((resolve) => (this.#finish = resolve));
    this.#schedule(0);
    return done;
  }

  /** End the run at the current simulated time: held messages are flushed and in-flight ones settled. */
  stop(): void {
    if (this.#stopRequested) return;
    // Stopped before run(): the run, when it starts, ends at once, having covered nothing.
    this.#stoppedAtMs = this.#finish ? this.simulatedMs : 0;
    this.#stopRequested = true;
  }

  /** What the transports say an operator needs (e.g. the pty path for the gateway's config). */
  describe(): string[] {
    return this.#transports.flatMap((t) => t.describe());
  }

  /** Where the run is; `ratePerSec` covers the time since the previous call (the reporter calls it every progressMs). */
  progress(): FleetProgress {
    const now = this.#o.clock.now();
    const sim = this.simulatedMs;
    // Measured at the last round, so the time since it (at most a tick) does not count as lag.
    const at = this.#lastTickSim;
    let lagMs = 0;
    for (const d of this.#devices) if (d.stream.nextAt <= at) lagMs = Math.max(lagMs, at - d.stream.nextAt);
    let connected = 0;
    let transportErrors = 0;
    for (const t of this.#transports) {
      const h = t.health();
      connected += h.connected;
      transportErrors += h.errors;
    }
    const elapsed = now - this.#lastReport.at;
    const ratePerSec = elapsed > 0 ? ((this.counts.sent - this.#lastReport.sent) * 1000) / elapsed : 0;
    this.#lastReport = { at: now, sent: this.counts.sent };
    return { realMs: now - this.#realStart, simulatedMs: sim, ratePerSec, devices: this.#devices.length, connected, errors: transportErrors + this.counts.errors, lagMs };
  }

  protected async _open(): Promise<void> {
    await Promise.all(this.#transports.map((t) => t.open()));
  }

  protected async _close(): Promise<void> {
    // Closed mid-run: the run still resolves, as if stopped, before the transports go.
    if (this.#finish && !this.#ended) {
      this.stop();
      await this.#end();
    }
    this.#clearTimers();
    await Promise.all(this.#transports.map((t) => t.close()));
  }

  #schedule(ms: number): void {
    this.#timer = this.#o.clock.setTimeout(() => this.#tick(), ms);
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.status !== 'open') return;
    const sim = this.simulatedMs;
    this.#lastTickSim = sim;
    const cap = this.#o.maxPerDevicePerTick ?? 64;
    const end = this.#o.durationMs ?? Infinity;
    let capped = false;
    let done = true;
    for (const d of this.#devices) {
      for (let n = 0; d.stream.nextAt <= sim && d.endpoint.writable; n++) {
        if (n === cap) {
          capped = true;
          break;
        }
        for (const m of d.stream.take()) this.#send(d, m);
      }
      if (d.stream.nextAt < end) done = false;
    }
    if (this.#stopRequested || done) {
      void this.#end();
      return;
    }
    // Devices held back only by the per-round cap go again at once; the others wait a tick.
    this.#schedule(capped ? 0 : (this.#o.tickMs ?? 10));
  }

  #send(d: Bound, m: DeviceMessage): void {
    this.counts.pending++;
    d.endpoint.send(m, (err) => {
      this.counts.pending--;
      if (err) this.counts.failed(m.device);
      else this.counts.delivered(m.device, m.kind);
    });
  }

  async #end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    const { clock } = this.#o;
    const simulatedMs = this.#stoppedAtMs ?? this.#o.durationMs ?? this.simulatedMs;
    // Messages a failure still holds (an unfinished out-of-order burst) go out now, writable or not.
    for (const d of this.#devices) for (const m of d.stream.flush()) this.#send(d, m);
    const deadline = clock.now() + (this.#o.settleTimeoutMs ?? 10_000);
    while (this.counts.pending > 0 && clock.now() < deadline && this.status === 'open') {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 5));
    }
    this.#clearTimers();
    for (const d of this.#devices) this.counts.setDropout(d.stream.device, d.stream.suppressed);
    this.#finish?.({
      startTime: this.#o.startTime,
      simulatedMs,
      realMs: clock.now() - this.#realStart,
      speedup: this.#o.speedup,
      stopped: this.#stopRequested,
      totals: this.counts.totals(),
      unconfirmed: this.counts.pending,
      devices: this.counts.toJSON(),
    });
  }

  #clearTimers(): void {
    if (this.#timer) this.#o.clock.clear(this.#timer);
    if (this.#progressTimer) this.#o.clock.clear(this.#progressTimer);
    this.#timer = this.#progressTimer = undefined;
  }
}
