// The uplink: drains the outbox to the cloud's MQTT broker and removes items only once the cloud
// acknowledges them. MQTT.js, QoS 1, a persistent session (clean: false, stable client id),
// messages of one class batched and optionally gzip-compressed (protocol.ts), acks and rejects
// read from `tributary/v1/<gateway>/ack`.
//
// What goes next is decided by lanes.ts (alerts, then live items newest first, then backlog
// oldest first) under the bandwidth budget of token-bucket.ts. Only items not in flight are sent;
// a message whose items are not all acknowledged within ackTimeoutMs has the rest sent again, and
// a lost connection puts everything in flight back in line, sent again once reconnected. Delivery
// is at least once: the cloud de-duplicates by (id, revision).
//
// The gateway works offline: open() does not wait for the broker. Each connection attempt uses a
// fresh MQTT.js client (so MQTT.js does not re-send its own copies on top of ours), after a
// backoff on the injected clock. Config and model pushes go to `onDown` (edge/push/), and every
// status report carries what the gateway runs (`applied`), so the cloud sees a push take effect.

import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { UplinkConfig } from '../config/uplink-schema.js';
import { codedError } from '../errors/catalogue.js';
import { Resource } from '../lifecycle/resource.js';
import type { Logger } from '../observe/log.js';
import type { Registry } from '../observe/metrics.js';
import type { Outbox, QueuedItem, SendItem, TakeOptions } from '../outbox/outbox.js';
import { reconnectDelay } from '../source/mqtt-client/backoff.js';
import { safeUrl } from '../source/mqtt-client/client-options.js';
import { keepNoDelay } from '../source/mqtt-client/no-delay.js';
import { uplinkClientOptions } from './connection.js';
import { InFlight } from './in-flight.js';
import { laneOrder, takeOptions, type Lane } from './lanes.js';
import { uplinkMetrics, type UplinkMetrics } from './metrics.js';
import { decodeAck, encodeBatchAsync, newBatchId, type Ack, type OutgoingBatch } from './protocol.js';
import type { AppliedReport } from './push-schemas.js';
import { statusReport } from './status-report.js';
import { TokenBucket } from './token-bucket.js';
import { parseTopic, uplinkTopics, type UplinkClass } from './topics.js';

/** The receiver's limit on a document once decompressed (protocol.ts DecodeLimits default). */
const MAX_DOCUMENT_BYTES = 16 << 20;

export type DownKind = 'config' | 'model';

/** What one pump sends: every lane, or only alert events (which do not linger). */
type PumpScope = 'all' | 'alerts';

export interface UplinkOptions {
  readonly gateway: string;
  readonly config: UplinkConfig;
  readonly outbox: Outbox;
  /** Sending order among the classes, lowest first (outbox.classes.<class>.priority). */
  readonly priority?: Readonly<Record<UplinkClass, number>>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /** Config and model pushes from the cloud. Without it they are counted and ignored. */
  readonly onDown?: (kind: DownKind, payload: Buffer, topic: string) => void;
  /** What the gateway runs (config and model push), added to every status report. */
  readonly applied?: () => AppliedReport;
}

export interface UplinkHealth {
  readonly ok: boolean;
  readonly connected: boolean;
  readonly inFlightBatches: number;
  /** Gateway clock when last connected (ms), null if never. */
  readonly connectedAt: number | null;
  readonly lastError?: string;
}

export class Uplink extends Resource {
  readonly name: string;
  readonly #o: UplinkOptions;
  readonly #c: UplinkConfig;
  readonly #m: UplinkMetrics;
  readonly #bucket: TokenBucket;
  readonly #lanes: Lane[];
  readonly #inFlight = new InFlight();
  #clientOptions: IClientOptions = {};
  #client: MqttClient | undefined;
  #connected = false;
  #connectedAt: number | null = null;
  #attempt = 0;
  #lastError: string | undefined;
  #reconnectTimer: TimerHandle | undefined;
  #pumpTimer: TimerHandle | undefined;
  #lingerTimer: TimerHandle | undefined;
  /** When the first item the current linger waits for was queued (undefined: none waits). */
  #lingerSince: number | undefined;
  #lastQueuedAt = 0;
  #statusTimer: TimerHandle | undefined;
  #pumping = false;
  /** What a pump asked for while one was running: the running one goes round again for it. */
  #pumpAgain: PumpScope | undefined;
  /** An alerts-only pump running beside the full one (which may be reading or compressing summaries). */
  #pumpingAlerts = false;
  #alertsAgain = false;
  #pumpQueued = false;
  #closing = false;
  #unsubscribe: (() => void) | undefined;

  constructor(options: UplinkOptions) {
    super();
    this.#o = options;
    this.#c = options.config;
    this.name = `uplink ${safeUrl(options.config.url)}`;
    this.#lanes = laneOrder(options.priority);
    const rate = this.#c.bytesPerSec;
    this.#bucket = new TokenBucket({ clock: options.clock, bytesPerSec: rate, burstBytes: this.#c.burstBytes ?? Math.max(1, 2 * rate), reserve: this.#c.liveReserve });
    this.#m = uplinkMetrics(options.metrics, {
      connected: () => this.#connected,
      inFlightBatches: () => this.#inFlight.size,
      inFlightItems: (c) => this.#inFlight.items(c),
      tokens: () => (this.#bucket.unlimited ? 0 : Math.round(this.#bucket.level)),
    });
  }

  /** Connected to the broker and subscribed to acks. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Messages sent and not yet fully acknowledged. */
  get inFlightBatches(): number {
    return this.#inFlight.size;
  }

  /** Nothing being sent and nothing waiting for an ack (what is left waits for the budget, a timer or a connection). */
  get idle(): boolean {
    return !this.#pumping && !this.#pumpingAlerts && this.#inFlight.size === 0;
  }

  health(): UplinkHealth {
    return {
      ok: this.#connected,
      connected: this.#connected,
      inFlightBatches: this.#inFlight.size,
      connectedAt: this.#connectedAt,
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  /** Queue a status report now (one is also queued at open and every statusIntervalMs). */
  async reportStatus(): Promise<void> {
    const outbox = this.#o.outbox;
    const seq = await outbox.nextStatusSeq();
    if (this.#closing || outbox.status !== 'open') return;
    const now = this.#o.clock.now();
    outbox.add('status', statusReport(this.#o.gateway, seq, now, outbox.stats(), outbox.lossSince, outbox.ledger.entries(), this.#o.applied?.()));
  }

  /** Reads the token and certificate files (ERR_FILE_READ) and starts connecting; does not wait for the broker. */
  protected async _open(): Promise<void> {
    this.#clientOptions = await uplinkClientOptions(this.#c, this.#o.gateway);
    // An alert event does not linger: it goes at once, with the other alerts of its batch (queued in
    // the same turn), ahead of everything else. Other items linger to share messages.
    this.#unsubscribe = this.#o.outbox.onAvailable((cls) => (cls === 'alert' ? this.#pumpSoon() : this.#linger()));
    this.#statusTimer = this.#o.clock.setInterval(() => void this.reportStatus().catch((err: unknown) => this.#o.log.error({ err }, 'uplink: status report failed')), this.#c.statusIntervalMs);
    this.#statusTimer.unref();
    await this.reportStatus();
    this.#connect();
  }

  protected async _close(): Promise<void> {
    this.#closing = true;
    this.#unsubscribe?.();
    for (const t of [this.#reconnectTimer, this.#pumpTimer, this.#lingerTimer, this.#statusTimer]) if (t) this.#o.clock.clear(t);
    this.#connected = false;
    const client = this.#client;
    this.#client = undefined;
    this.#putBackInFlight();
    // Forced: what is in flight is still in the outbox and goes again on the next start.
    if (client) await client.endAsync(true);
    this.#o.log.info({ url: safeUrl(this.#c.url) }, 'uplink closed');
  }

  #connect(): void {
    if (this.#closing) return;
    const client = connect(this.#c.url, this.#clientOptions);
    this.#client = client;
    keepNoDelay(client);
    client.on('connect', () => this.#onConnect(client));
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    client.on('close', () => this.#onClose(client));
    client.on('error', (err) => {
      if (client !== this.#client) return; // a late error of a connection already given up
      const code = (err as { code?: unknown }).code;
      // CONNACK 4/5 (MQTT 3.1.1 §3.2.2.3): retrying will not help until the credentials change; say so loudly.
      const coded = code === 4 || code === 5
        ? codedError('ERR_AUTH_BAD_CREDENTIALS', [`${this.#c.username ?? '(certificate)'} at ${safeUrl(this.#c.url)}`], { cause: err })
        : codedError('ERR_MQTT_CONNECT', [safeUrl(this.#c.url), err.message], { cause: err });
      this.#lastError = coded.message;
      this.#o.log.warn({ code: coded.code, err: coded.message }, 'uplink connection error');
    });
  }

  #onConnect(client: MqttClient): void {
    if (client !== this.#client) return;
    // Acks must have somewhere to arrive before anything is sent.
    client.subscribe(uplinkTopics.down(this.#o.gateway), { qos: 1 }, (err, granted) => {
      if (client !== this.#client) return;
      if (err || !granted?.length || granted.some((g) => g.qos === 128)) {
        const coded = codedError('ERR_MQTT_SUBSCRIBE', [safeUrl(this.#c.url), uplinkTopics.down(this.#o.gateway), err?.message ?? 'refused'], { cause: err });
        this.#lastError = coded.message;
        this.#o.log.error({ code: coded.code, err: coded.message }, 'uplink cannot subscribe to its acks; reconnecting');
        client.end(true); // → close → reconnect with backoff
        return;
      }
      this.#connected = true;
      this.#connectedAt = this.#o.clock.now();
      this.#attempt = 0;
      this.#lastError = undefined;
      this.#m.connects.inc();
      this.#o.log.info({ url: safeUrl(this.#c.url), backlog: this.#o.outbox.stats().used }, 'uplink connected');
      void this.#pump();
    });
  }

  #onClose(client: MqttClient): void {
    if (client !== this.#client) return;
    const was = this.#connected;
    this.#connected = false;
    this.#m.disconnects.inc();
    this.#putBackInFlight();
    this.#client = undefined;
    client.end(true); // this connection is done with; the next attempt is a fresh client
    if (this.#closing) return;
    const delay = reconnectDelay(this.#attempt++, { initialMs: this.#c.reconnectInitialMs, maxMs: this.#c.reconnectMaxMs });
    this.#o.log[was ? 'warn' : 'debug']({ url: safeUrl(this.#c.url), delayMs: delay, attempt: this.#attempt }, 'uplink disconnected; reconnecting');
    this.#reconnectTimer = this.#o.clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, delay);
    this.#reconnectTimer.unref();
  }

  /** Everything in flight waits again, to be sent once connected. */
  #putBackInFlight(): void {
    for (const b of this.#inFlight.clear()) {
      this.#o.clock.clear(b.timer);
      this.#o.outbox.release(b.entries);
    }
  }

  #onMessage(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    const kind = parsed?.direction === 'down' ? parsed.kind : 'unknown';
    if (kind === 'ack') return this.#onAck(topic, payload);
    if ((kind === 'config' || kind === 'model') && this.#o.onDown) {
      try {
        this.#o.onDown(kind, payload, topic);
      } catch (err) {
        this.#o.log.error({ err, topic }, 'uplink: the down-topic hook threw');
      }
      return;
    }
    this.#m.downIgnored(kind).inc();
  }

  #onAck(topic: string, payload: Buffer): void {
    const result = decodeAck(topic, payload);
    if (!result.ok) {
      this.#m.acksIgnored(result.reason).inc();
      this.#o.log.warn({ reason: result.reason, err: result.error.message }, 'uplink: ack ignored');
      return;
    }
    this.#apply(result.ack);
    const now = this.#o.clock.now();
    for (const b of this.#inFlight.settle()) {
      this.#o.clock.clear(b.timer);
      this.#m.ackSeconds.observe((now - b.sentAt) / 1000);
    }
    void this.#pump();
  }

  #apply(ack: Ack): void {
    const outbox = this.#o.outbox;
    for (const a of ack.acks) {
      const n = outbox.ack(a.id, a.rev, a.class);
      if (n > 0) this.#m.acked[a.class].inc(n);
      else this.#m.acksIgnored('unknown_id').inc();
    }
    for (const r of ack.rejects ?? []) {
      if (outbox.reject(r.id, r.rev, r.class) > 0) {
        this.#m.rejected[r.class].inc();
        this.#o.log.warn({ class: r.class, id: r.id, rev: r.rev, reason: r.reason, detail: r.detail }, 'the cloud rejected an item; counted in the loss ledger');
      } else {
        this.#m.acksIgnored('unknown_id').inc();
      }
    }
  }

  /**
   * Pump once the loop has run the I/O callbacks now due (setImmediate): alerts queued together go in
   * one message. Rules judge each reading as the broker hands it over, one socket's data at a time,
   * so the probes' crossings of one instant come in several callbacks of the same turn of the loop;
   * pumped after each callback (a microtask), they went in a message each, and the cloud stored
   * those one durable write after another (uplink part p99 29 ms against 15 in the e2e benchmark).
   */
  #pumpSoon(): void {
    if (this.#pumpQueued || this.#closing) return;
    this.#pumpQueued = true;
    setImmediate(() => {
      this.#pumpQueued = false;
      void this.#pump('alerts');
    });
  }

  /**
   * Items other than alert events go once none has been queued for lingerMs, or maxLingerMs after
   * the first. Without a stagger, windows close in bursts — every device at the same instant, the
   * windows being aligned to the epoch — and the burst's summaries then go together once it is
   * over, instead of being read, encoded and sent (and stored by the cloud) while the same burst's
   * alert events are on their way. With one, they close one after another for seconds: the cap
   * then sets the size of each message, and the lump of work it makes in both processes.
   */
  #linger(): void {
    const now = this.#o.clock.now();
    this.#lastQueuedAt = now;
    this.#lingerSince ??= now;
    if (this.#lingerTimer === undefined && !this.#closing) this.#armLinger(Math.min(this.#c.lingerMs, this.#c.maxLingerMs));
  }

  #armLinger(delayMs: number): void {
    this.#lingerTimer = this.#o.clock.setTimeout(() => {
      this.#lingerTimer = undefined;
      const due = Math.min(this.#lastQueuedAt + this.#c.lingerMs, this.#lingerSince! + this.#c.maxLingerMs);
      const now = this.#o.clock.now();
      if (now < due) return this.#armLinger(due - now);
      this.#lingerSince = undefined;
      void this.#pump();
    }, delayMs);
    this.#lingerTimer.unref();
  }

  /**
   * Summaries and raw snippets queued since the linger began wait for its end, whatever else runs a
   * pump meanwhile (an ack of the previous message, a status report, the bandwidth budget): else
   * the first ack in a burst sends what the burst has queued so far, and the rest of the burst's
   * summaries go out, and are stored by the cloud, while the burst and its alerts are still going.
   */
  #held(lane: Lane, options: TakeOptions): TakeOptions {
    const since = this.#lingerSince;
    if (since === undefined || lane.cls === 'alert' || lane.cls === 'status') return options;
    return { ...options, queuedBefore: Math.min(options.queuedBefore ?? Infinity, since) };
  }

  #schedulePump(delayMs: number): void {
    if (this.#pumpTimer || this.#closing) return;
    this.#pumpTimer = this.#o.clock.setTimeout(() => {
      this.#pumpTimer = undefined;
      void this.#pump();
    }, delayMs);
    this.#pumpTimer.unref();
  }

  /**
   * Send what fits now; one pump at a time, re-run if asked meanwhile. Alert events do not wait for
   * a running pump (it may be reading a batch of summaries from LevelDB or compressing it): they
   * have a pump of their own beside it, one at a time too.
   */
  async #pump(scope: PumpScope = 'all'): Promise<void> {
    if (scope === 'alerts' && this.#pumping) return this.#pumpAlerts();
    if (this.#pumping) {
      this.#pumpAgain = this.#pumpAgain === 'all' || scope === 'all' ? 'all' : 'alerts';
      return;
    }
    this.#pumping = true;
    try {
      let next: PumpScope | undefined = scope;
      do {
        this.#pumpAgain = undefined;
        await this.#sendWhatFits(next);
        next = this.#pumpAgain;
      } while (next !== undefined && this.#connected);
    } catch (err) {
      this.#o.log.error({ err }, 'uplink: sending failed; retrying shortly');
      this.#schedulePump(1000);
    } finally {
      this.#pumping = false;
    }
  }

  async #pumpAlerts(): Promise<void> {
    if (this.#pumpingAlerts) {
      this.#alertsAgain = true;
      return;
    }
    this.#pumpingAlerts = true;
    try {
      do {
        this.#alertsAgain = false;
        await this.#sendWhatFits('alerts');
      } while (this.#alertsAgain && this.#connected);
    } catch (err) {
      this.#o.log.error({ err }, 'uplink: sending failed; retrying shortly');
      this.#schedulePump(1000);
    } finally {
      this.#pumpingAlerts = false;
    }
  }

  async #sendWhatFits(scope: PumpScope): Promise<void> {
    while (this.#connected) {
      const pick = this.#pick(scope);
      if (pick === undefined) return;
      if ('waitMs' in pick) {
        this.#schedulePump(pick.waitMs);
        return;
      }
      await this.#send(pick.lane, pick.entries);
    }
  }

  /**
   * The first lane, in order, with items waiting and the budget to send them; or how long until the
   * budget allows. Alert events have maxInFlightBatches messages in flight of their own, so an alert
   * never waits for an ack of summaries to be sent (nor, in a burst, for the acks of the alerts sent
   * just before it); the other classes share maxInFlightBatches, and bulk lanes leave the last of
   * those free, so a live item never waits for an ack of backlog.
   */
  #pick(scope: PumpScope): { lane: Lane; entries: QueuedItem[] } | { waitMs: number } | undefined {
    const now = this.#o.clock.now();
    const max = this.#c.maxInFlightBatches;
    const alerts = this.#inFlight.batches('alert');
    let wait: number | undefined;
    for (const lane of this.#lanes) {
      const full = lane.cls === 'alert' ? alerts >= max : this.#inFlight.size - alerts >= (lane.bulk ? Math.max(1, max - 1) : max);
      if (full) continue;
      if (scope === 'alerts' && lane.cls !== 'alert') continue; // the others keep lingering
      const options = this.#held(lane, takeOptions(lane, now, this.#c.liveWindowMs, this.#c.maxBatchItems));
      if (!this.#bucket.canSend(lane.bulk)) {
        if (this.#o.outbox.hasWaiting(lane.cls, options)) wait = Math.min(wait ?? Infinity, this.#bucket.waitMs(lane.bulk));
        continue;
      }
      const entries = this.#o.outbox.take(lane.cls, options);
      if (entries.length > 0) return { lane, entries };
    }
    return wait === undefined ? undefined : { waitMs: Math.max(1, wait) };
  }

  async #send(lane: Lane, entries: QueuedItem[]): Promise<void> {
    const outbox = this.#o.outbox;
    let items: SendItem[] = await outbox.read(entries, { text: true });
    if (!this.#connected) {
      outbox.release(entries, false);
      return;
    }
    for (;;) {
      if (items.length === 0) return;
      const batch = { gateway: this.#o.gateway, class: lane.cls, batch: newBatchId(), sentAt: this.#o.clock.now(), items: items.map((i) => i.item) } as OutgoingBatch;
      const encoded = await encodeBatchAsync(batch, { gzip: this.#c.gzip, gzipMinBytes: this.#c.gzipMinBytes });
      if (!this.#connected) {
        outbox.release(items.map((i) => i.entry), false);
        return;
      }
      if (encoded.payload.length <= this.#c.maxMessageBytes && encoded.jsonBytes <= MAX_DOCUMENT_BYTES) {
        this.#publish(lane.cls, batch.batch, items.map((i) => i.entry), encoded.topic, encoded.payload);
        return;
      }
      if (items.length === 1) {
        const { entry } = items[0]!;
        const err = codedError('ERR_UPLINK_ITEM_TOO_LARGE', [lane.cls, entry.id, encoded.payload.length, this.#c.maxMessageBytes]);
        this.#o.log.error({ code: err.code, err: err.message }, 'uplink: item dropped');
        outbox.discard(entry, 'too_large');
        return;
      }
      // Too big for one message: send the first half now, the rest waits for the next pick.
      const half = Math.ceil(items.length / 2);
      outbox.release(items.slice(half).map((i) => i.entry), false);
      items = items.slice(0, half);
    }
  }

  #publish(cls: UplinkClass, batch: string, entries: QueuedItem[], topic: string, payload: Buffer): void {
    const client = this.#client!;
    const timer = this.#o.clock.setTimeout(() => this.#ackTimedOut(batch), this.#c.ackTimeoutMs);
    timer.unref();
    this.#inFlight.add({ batch, cls, entries, sentAt: this.#o.clock.now(), timer });
    this.#bucket.spend(payload.length);
    this.#m.batches[cls].inc();
    this.#m.sent[cls].inc(entries.length);
    this.#m.bytes[cls].inc(payload.length);
    const again = entries.filter((e) => e.sends > 1).length;
    if (again > 0) this.#m.retransmitted[cls].inc(again);
    // The PUBACK only says the broker has it; the items leave the outbox on the cloud's ack. A
    // failed publish means the connection went: the close handler puts the items back in line.
    client.publish(topic, payload, { qos: 1 }, (err) => {
      if (err) this.#o.log.debug({ err: err.message, batch }, 'uplink publish did not complete');
    });
  }

  #ackTimedOut(batch: string): void {
    const b = this.#inFlight.remove(batch);
    if (!b) return;
    const waiting = b.entries.filter((e) => !e.gone);
    if (waiting.length === 0) return;
    this.#m.ackTimeouts.inc();
    this.#o.log.debug({ batch, class: b.cls, items: waiting.length }, 'uplink: no ack in time; sending again');
    this.#o.outbox.release(waiting);
    void this.#pump();
  }
}
