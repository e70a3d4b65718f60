// The flight recorder's upload side: when an alert is raised, the raw readings of its device from
// `beforeMs` before to `afterMs` after it (event time) are read from the ingest log once the
// gateway clock has passed the end of that range (plus `settleMs` for stragglers), cut into raw
// snippet parts and queued in the outbox, so an engineer can see what the machine did.
//
// Cuts run one pass at a time, and a pass takes every cut due by then: one read of the log serves
// them all (ingest-log.ts findAround), up to MAX_CUTS_PER_PASS. An alert storm (hundreds of alerts
// raised within seconds) thus costs a few passes over the log instead of one per alert, which had
// the gateway reading the log at full speed and holding the reads' buffers until it ran out of
// memory; nor does one pass hold the finds of the whole storm. Alerts raised
// one by one (~20 a second in a busy fleet) fall due one by one, so a pass starts no sooner than
// PASS_GAP_MS after the previous one ended: each pass then takes the second's worth of cuts, and
// the log is read about once a second instead of once per alert. Snippets are cut ~35 s after
// their alert anyway; a second more costs nothing. The pass's finds stay undecoded (record bytes
// off the JS heap) until their snippet's turn comes: only one snippet's readings exist at a time,
// and then as the text of the uplink's raw readings made from the records (ReadingCodec.rowJson),
// not as reading objects.
//
// A cut waiting for its "after" part is kept in LevelDB (sublevel `obf`), so a restart in between
// still makes it: the ingest log keeps readings by arrival for its retention, which must cover
// beforeMs + afterMs + settleMs. Ids are deterministic (rawSnippetId), so a cut made twice queues
// the same items, which the outbox and the cloud keep once.

import type { AlertEvent } from '../alert/alert.js';
import { BACKGROUND_REST_MS, Turn, TURN_BUDGET_MS } from '../analysis/turn.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { FlightRecorderConfig } from '../config/uplink-schema.js';
import { Resource } from '../lifecycle/resource.js';
import type { Logger } from '../observe/log.js';
import type { CounterChild, Registry } from '../observe/metrics.js';
import type { BatchWriter } from '../store/batch-writer.js';
import { sublevel, type Db, type Sublevel } from '../store/db.js';
import type { Outbox } from './outbox.js';
import { snippetPartsText } from './snippet-parts.js';

/** What the recorder needs of the ingest log: several devices' readings by event-time range, in one pass, made into text when asked. */
export interface ReadingSource {
  findAround(queries: ReadonlyArray<{ device: string; from: number; to: number; limit?: number }>, options?: { readonly restMs?: number }): Promise<readonly Found[]>;
}

/** One cut's readings, as the JSON text of raw readings by `rowsJson()` (which throws ERR_STORE_CORRUPT for a damaged record). */
export interface Found {
  rowsJson(): string[];
}

export interface FlightRecorderOptions {
  readonly gateway: string;
  readonly config: FlightRecorderConfig;
  readonly readings: ReadingSource;
  readonly outbox: Pick<Outbox, 'addRawText'>;
  /** Pending cuts are kept in the gateway's database, written through its batch writer. */
  readonly db: Db;
  readonly writer: BatchWriter;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
}

interface Cut {
  readonly alert: string;
  readonly device: string;
  readonly from: number;
  readonly to: number;
  /** Gateway clock at which to cut (ms). */
  readonly due: number;
}

/** Wait before trying a failed cut again (ms). */
const RETRY_MS = 30_000;
/** Least time from the end of a pass to the start of the next (ms, gateway clock): cuts falling due meanwhile join one pass. */
export const PASS_GAP_MS = 1000;
/**
 * Cuts one pass takes at most, the earliest due first; the rest wait for the next pass. A pass holds
 * all its finds until it has cut them (~35 KB a 90-s snippet at 10 readings a second, off the heap,
 * plus their seqs on it), so a storm's pass held them all at once: in the e2e benchmark at 10,000
 * readings/s (its probes raise up to 200 window alerts at once) the gateway's anonymous memory at
 * its highest was ~6 MB lower with passes of 50 (README, Memory).
 */
export const MAX_CUTS_PER_PASS = 50;

export class FlightRecorder extends Resource {
  readonly name = 'flight-recorder';
  readonly #o: FlightRecorderOptions;
  readonly #sub: Sublevel;
  readonly #timers = new Map<string, TimerHandle>();
  /** Cuts whose time has come, waiting for the next pass. */
  #due: Cut[] = [];
  /** The pass running now, if any. */
  #pass: Promise<void> | undefined;
  /** Set while the next pass waits out PASS_GAP_MS. */
  #gap: TimerHandle | undefined;
  /** Gateway clock when the last pass ended. */
  #lastPassEnd = -Infinity;
  readonly #m: { snippets: CounterChild; parts: CounterChild; readings: CounterChild; failures: CounterChild };

  constructor(options: FlightRecorderOptions) {
    super();
    this.#o = options;
    this.#sub = sublevel(options.db, 'obf');
    const r = options.metrics;
    const p = 'tributary_flight_recorder';
    r.gauge(`${p}_pending`, 'Alerts whose raw snippet waits for its "after" part', [], (g) => g.set(this.#timers.size));
    this.#m = {
      snippets: r.counter(`${p}_snippets_total`, 'Raw snippets cut and queued (one per raised alert)').labels(),
      parts: r.counter(`${p}_parts_total`, 'Raw snippet parts queued (raw items)').labels(),
      readings: r.counter(`${p}_readings_total`, 'Raw readings queued in snippets').labels(),
      failures: r.counter(`${p}_failures_total`, 'Cuts that failed (retried after 30 s)').labels(),
    };
  }

  /** Cuts waiting for their time. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Whether a pass is cutting snippets now (it rests between them, so a pass takes a while). */
  get passing(): boolean {
    return this.#pass !== undefined;
  }

  /** Every alert event goes here; a `raised` one schedules its device's snippet. */
  alert(event: AlertEvent): void {
    const c = this.#o.config;
    if (!c.enabled || event.state !== 'raised' || this.status !== 'open' || this.#timers.has(event.id)) return;
    const to = event.raisedAt + c.afterMs;
    const cut: Cut = { alert: event.id, device: event.device, from: event.raisedAt - c.beforeMs, to, due: to + c.settleMs };
    this.#o.writer.put(this.#sub, cut.alert, JSON.stringify(cut));
    this.#schedule(cut, cut.due - this.#o.clock.now());
  }

  protected async _open(): Promise<void> {
    for await (const [, value] of this.#sub.iterator()) {
      const cut = JSON.parse(value) as Cut;
      this.#schedule(cut, cut.due - this.#o.clock.now());
    }
  }

  protected async _close(): Promise<void> {
    // Waiting cuts stay on disk for the next start; running ones finish first.
    for (const t of this.#timers.values()) this.#o.clock.clear(t);
    this.#timers.clear();
    if (this.#gap) this.#o.clock.clear(this.#gap);
    this.#gap = undefined;
    this.#due = [];
    await this.#pass;
    await this.#o.writer.flush();
  }

  #schedule(cut: Cut, delayMs: number): void {
    const timer = this.#o.clock.setTimeout(() => {
      this.#due.push(cut);
      this.#next();
    }, Math.max(0, delayMs));
    timer.unref();
    this.#timers.set(cut.alert, timer);
  }

  /** Start a pass over what is due, unless one runs or waits: at once, or PASS_GAP_MS after the last one ended. */
  #next(): void {
    if (this.#pass !== undefined || this.#gap !== undefined || this.#due.length === 0 || this.status !== 'open') return;
    const wait = this.#lastPassEnd + PASS_GAP_MS - this.#o.clock.now();
    if (wait > 0) {
      this.#gap = this.#o.clock.setTimeout(() => {
        this.#gap = undefined;
        this.#next();
      }, wait);
      this.#gap.unref();
      return;
    }
    this.#pass = this.#onePass().finally(() => {
      this.#pass = undefined;
      this.#lastPassEnd = this.#o.clock.now();
      this.#next();
    });
  }

  /** Cut what is due, up to MAX_CUTS_PER_PASS. */
  async #onePass(): Promise<void> {
    // A yield, not a timer: every cut falling due at this instant joins the pass.
    await new Promise((resolve) => setImmediate(resolve));
    if (this.status !== 'open') return;
    await this.#cut(this.#due.splice(0, MAX_CUTS_PER_PASS));
  }

  async #cut(cuts: readonly Cut[]): Promise<void> {
    const c = this.#o.config;
    let found: Array<Found | undefined>;
    try {
      found = [...(await this.#o.readings.findAround(cuts.map((cut) => ({ device: cut.device, from: cut.from, to: cut.to, limit: c.maxReadings })), { restMs: BACKGROUND_REST_MS }))];
    } catch (err) {
      this.#m.failures.inc(cuts.length);
      for (const cut of cuts) this.#timers.delete(cut.alert);
      if (this.status !== 'open') return; // shutting down: the cuts stay on disk for the next start
      this.#o.log.error({ err, cuts: cuts.length }, 'flight recorder: cutting snippets failed; retrying');
      for (const cut of cuts) this.#schedule(cut, RETRY_MS);
      return;
    }
    // Background work (Turn): the readings and the alerts go through the same event loop.
    const turn = new Turn(TURN_BUDGET_MS, BACKGROUND_REST_MS);
    for (const [i, cut] of cuts.entries()) {
      // One snippet at a time, resting between them: a pass of hundreds of snippets (JSON for every
      // reading) must not hold the loop (README, Performance: the flight recorder works in the background).
      if (i > 0) await turn.next();
      if (this.status !== 'open' && this.status !== 'closing') return;
      let rows: string[];
      try {
        rows = found[i]!.rowsJson();
        found[i] = undefined; // its records' bytes can go before the pass ends
      } catch (err) {
        // A record the codec cannot read: this cut waits and tries again, the others go on.
        this.#m.failures.inc();
        this.#timers.delete(cut.alert);
        this.#o.log.error({ err, alert: cut.alert, device: cut.device }, 'flight recorder: cutting a snippet failed; retrying');
        this.#schedule(cut, RETRY_MS);
        continue;
      }
      const parts = snippetPartsText({ gateway: this.#o.gateway, device: cut.device, alert: cut.alert, from: cut.from, to: cut.to }, rows, c.maxPartBytes);
      for (const part of parts) this.#o.outbox.addRawText(part);
      this.#o.writer.del(this.#sub, cut.alert);
      this.#timers.delete(cut.alert);
      this.#m.snippets.inc();
      this.#m.parts.inc(parts.length);
      this.#m.readings.inc(rows.length);
      this.#o.log.info({ alert: cut.alert, device: cut.device, readings: rows.length, parts: parts.length }, 'flight recorder: raw snippet queued');
    }
  }
}
