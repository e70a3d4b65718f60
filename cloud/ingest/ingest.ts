// The cloud's ingest: what happens to every message a gateway sends, whichever transport brought
// it. Decode and validate (edge/uplink/protocol.ts); a message refused as a whole becomes a dead
// letter with its reason; the valid items are stored (de-duplicated by id and revision) and only
// once they are durable is the acknowledgement published on the gateway's ack topic; invalid items
// are rejected by id with the reason. Messages are handled concurrently: the store's group commit
// joins the summary batches of messages in flight into one durable write.
//
// A source calls handle() for each message and holds its transport ack (the MQTT PUBACK) until the
// promise settles, so the broker keeps what this worker has not stored. When the store fails, the
// message is not acknowledged: the gateway sends its items again after its ack timeout.
//
// The cloud has one event loop for every gateway: a window boundary's summary messages, decoded,
// planned and written back to back, held it for 50–175 ms (a CPU profile of `npm run bench --
// e2e`), and an alert read meanwhile waited for all of it. So bulk work gives the loop up: bulk
// messages wait in a SliceLane of one (below), and the store's writes and roll-up passes slice
// their loops with `Turn` (edge/analysis/turn.ts).

import { SliceLane } from '../../edge/analysis/slice-lane.js';
import { decodeUplink, encodeAck, isUplinkClass, parseTopic, type DecodeLimits, type Reject, type UplinkBatch } from '../../edge/uplink/protocol.js';
import type { CloudContext } from '../service/context.js';
import type { GatewayRecord } from '../store/contract.js';
import { ingestMetrics, type IngestMetrics } from './ingest-metrics.js';
import { RegistryTouch } from './registry-touch.js';
import { storeItems, type ItemsContext } from './store-items.js';

/** One message as a source hands it over. */
export interface UplinkMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** Cloud clock when it arrived. */
  readonly receivedAt: number;
  /** The gateway the transport authenticated (the embedded broker); absent when a broker in front did. */
  readonly principal?: string;
}

/** Publish an acknowledgement (QoS 1) on the transport the message came by; resolves once handed over. */
export type AckPublisher = (topic: string, payload: Buffer) => Promise<void>;

/** How handle() ended, for the source's own counts and tests. */
export type HandleOutcome = 'acknowledged' | 'dead_letter' | 'store_failed' | 'ack_failed';

/** Dead letters keep at most this much of a message (a 1 MiB refusal a second would fill the disk). */
const DEAD_LETTER_BYTES = 64 * 1024;

export class UplinkIngest {
  readonly #o: CloudContext;
  readonly #m: IngestMetrics;
  readonly #limits: DecodeLimits;
  readonly #registry: RegistryTouch;
  readonly #items: ItemsContext;
  /**
   * Messages other than alerts wait here to be decoded, one per turn of the loop. Each yielding once
   * on its own is not enough: every immediate queued before a turn's check phase runs in that
   * phase, so a read of ten summary messages would decode all ten back to back.
   */
  readonly #bulk = new SliceLane<() => void>(1, ([go]) => go!(), () => {}); // its sink only resolves a promise: it cannot throw
  #inFlight = 0;
  #idle: Array<() => void> = [];

  /** The worker's context: config (gateways, ingest limits), store, clock, log, metrics, bus. */
  constructor(options: CloudContext) {
    this.#o = options;
    const c = options.config;
    this.#m = ingestMetrics(options.metrics, () => this.#inFlight);
    this.#limits = { maxBytes: c.ingest.maxMessageBytes, maxDecompressedBytes: c.ingest.maxDecompressedBytes };
    this.#registry = new RegistryTouch({
      store: options.store,
      gateways: c.gateways,
      clock: options.clock,
      log: options.log,
      flushMs: c.ingest.registryFlushMs,
      onGateways: (records: readonly GatewayRecord[]) => {
        for (const r of records) options.bus.emit('gateway', r);
      },
    });
    this.#items = { store: options.store, registry: this.#registry, bus: options.bus, metrics: this.#m, clock: options.clock };
  }

  /** Messages received and not yet settled. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Load the device registry; start the last-seen flushes. */
  open(): Promise<void> {
    return this.#registry.open();
  }

  /** Wait for the messages in flight (callers stop feeding first), then write the last-seen times. */
  async close(): Promise<void> {
    await this.drained();
    await this.#registry.close();
  }

  /** Resolves when no message is in flight. */
  drained(): Promise<void> {
    return this.#inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Handle one message; never rejects. The source sends its transport ack once this settles. */
  async handle(message: UplinkMessage, publish: AckPublisher): Promise<HandleOutcome> {
    this.#inFlight++;
    try {
      return await this.#handle(message, publish);
    } finally {
      if (--this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #handle(message: UplinkMessage, publish: AckPublisher): Promise<HandleOutcome> {
    const cls = parseTopic(message.topic);
    this.#m.messages[cls?.direction === 'up' && isUplinkClass(cls.class) ? cls.class : 'unknown'].inc();
    this.#m.bytes.inc(message.payload.length);
    // A transport hands over every message of one read in the same turn, and decoding is
    // synchronous: an alert event read behind a boundary's messages of 500 summaries each would
    // wait for all of their decoding. Alerts are decoded at once; other classes one message per
    // turn of the loop, so an alert read meanwhile goes between two of them.
    if (!(cls?.direction === 'up' && cls.class === 'alert')) await new Promise<void>((resolve) => this.#bulk.push([resolve]));
    // Inflating on the thread pool (zlib's async form) was measured: more CPU per summary and no
    // faster (its callbacks cost the event loop what the inflation saved), so decoding is synchronous.
    const decoded = decodeUplink(message.topic, message.payload, this.#limits);
    if (!decoded.ok) return this.#deadLetter(message, decoded.reason, decoded.error.message, decoded.gateway);
    const { batch, invalid } = decoded;
    if (message.principal !== undefined && message.principal !== batch.gateway) {
      return this.#deadLetter(message, 'wrong_gateway', `sent by ${message.principal} for gateway ${batch.gateway}`, batch.gateway);
    }
    if (this.#o.config.gateways[batch.gateway] === undefined) {
      return this.#deadLetter(message, 'unknown_gateway', `gateway ${batch.gateway} is not in the cloud config (gateways)`, batch.gateway);
    }
    this.#registry.gatewaySeen(batch.gateway, message.receivedAt);

    const rejects: Reject[] = [];
    for (const i of invalid) {
      this.#m.item(batch.class, 'invalid').inc();
      if (i.id !== undefined) rejects.push({ class: batch.class, id: i.id, rev: i.rev!, reason: 'invalid', detail: i.problem.slice(0, 500) });
    }
    const anonymous = invalid.filter((i) => i.id === undefined);
    // Items with no readable id cannot be rejected by id: keep the message, so someone can see why.
    const kept = anonymous.length > 0 ? this.#deadLetter(message, 'invalid_item', `${anonymous.length} item(s) without a readable id and revision, e.g. item ${anonymous[0]!.index}: ${anonymous[0]!.problem}`, batch.gateway) : undefined;

    let answer;
    try {
      answer = batch.items.length > 0 ? await storeItems(this.#items, batch) : { acks: [], rejects: [] };
    } catch (err) {
      await kept;
      return this.#storeFailed(batch, err);
    }
    await kept;
    rejects.push(...answer.rejects);
    if (answer.acks.length === 0 && rejects.length === 0) return 'acknowledged';
    const ack = encodeAck(
      { gateway: batch.gateway, batch: batch.batch, acks: answer.acks, ...(rejects.length > 0 ? { rejects } : {}) },
      { gzip: this.#o.config.ingest.gzipAcks },
    );
    try {
      await publish(ack.topic, ack.payload);
    } catch (err) {
      // The items are stored; the gateway sends them again after its ack timeout and gets its ack then.
      this.#o.log.warn({ err, gateway: batch.gateway, batch: batch.batch }, 'cloud ingest: publishing an ack failed');
      return 'ack_failed';
    }
    this.#m.acks.inc();
    this.#m.ackSeconds.observe(Math.max(0, this.#o.clock.now() - message.receivedAt) / 1000);
    return 'acknowledged';
  }

  #storeFailed(batch: UplinkBatch, err: unknown): HandleOutcome {
    this.#m.failures.labels(batch.class).inc();
    for (let i = 0; i < batch.items.length; i++) this.#m.item(batch.class, 'failed').inc();
    this.#o.log.error({ err, gateway: batch.gateway, class: batch.class, items: batch.items.length }, 'cloud ingest: storing items failed; not acknowledged, the gateway will send them again');
    return 'store_failed';
  }

  async #deadLetter(message: UplinkMessage, reason: string, text: string, gateway: string | undefined): Promise<HandleOutcome> {
    this.#m.deadLetters.labels(reason).inc();
    const bytes = message.payload.length > DEAD_LETTER_BYTES ? message.payload.subarray(0, DEAD_LETTER_BYTES) : message.payload;
    const note = bytes.length < message.payload.length ? ` (first ${DEAD_LETTER_BYTES} of ${message.payload.length} bytes kept)` : '';
    this.#o.log.warn({ reason, gateway, topic: message.topic, bytes: message.payload.length }, `cloud ingest: dead letter: ${text}`);
    try {
      await this.#o.store.addDeadLetters([
        { reason, message: `${text}${note}`, ...(gateway !== undefined ? { gateway } : {}), topic: message.topic, bytes, receivedAt: message.receivedAt },
      ]);
    } catch (err) {
      this.#o.log.error({ err, reason }, 'cloud ingest: storing a dead letter failed');
    }
    return 'dead_letter';
  }
}
