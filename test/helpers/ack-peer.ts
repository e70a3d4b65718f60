// A minimal acknowledging peer, standing in for the cloud until issue #6: an MQTT.js client on a
// real broker that subscribes to the up topics, decodes with the protocol module, keeps items by
// id (the highest revision, counting every copy), and acks by id. Fault knobs make it drop acks,
// send malformed ones, ack ids nobody sent, reject items, or drop its connection mid-batch.

import { randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import {
  decodeUplink, encodeAck, uplinkTopics, type AckRef, type ProtocolReason, type Reject, type UplinkClass,
} from '../../edge/uplink/protocol.js';

export interface HeldItem {
  readonly class: UplinkClass;
  readonly id: string;
  /** The highest revision received. */
  readonly revision: number;
  readonly item: unknown;
  /** Copies received, over all revisions (1 = no duplicate). */
  readonly copies: number;
}

export interface AckPeerFaults {
  /** Receive and record, but send no ack. */
  dropAcks: boolean;
  /** Send a payload that is not a valid ack instead of the ack. */
  malformedAcks: boolean;
  /** Add this many acks for random ids nobody sent to every ack. */
  unknownIds: number;
  /** Reject these item ids with the given reason instead of acking them. */
  reject: Map<string, string>;
  /**
   * On the nth message from now (1 = the next), record it but drop the connection before acking,
   * then reconnect: the sender must send the batch again.
   */
  disconnectOnMessage: number;
}

export interface AckPeerOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  readonly url: string;
  readonly clientId?: string;
  /** gzip the acks. */
  readonly gzip?: boolean;
}

export class AckPeer {
  readonly items = new Map<string, HeldItem>();
  /** Messages refused as a whole, with the protocol's reason. */
  readonly deadLetters: Array<{ topic: string; reason: ProtocolReason; message: string }> = [];
  /** Batch ids received, in order (a re-sent batch appears again). */
  readonly batches: string[] = [];
  /** Every decoded message in arrival order: its class, its items' ids and revisions, and when (ms, comparable across processes). */
  readonly arrivals: Array<{ class: UplinkClass; batch: string; at: number; items: Array<{ id: string; revision: number }> }> = [];
  readonly faults: AckPeerFaults = { dropAcks: false, malformedAcks: false, unknownIds: 0, reject: new Map(), disconnectOnMessage: 0 };
  /** Copies of an (id, revision) already held. */
  duplicates = 0;
  acksSent = 0;
  disconnects = 0;
  /** Connections the broker closed under the peer (e.g. aedes' client-id takeover racing a fast reconnect), healed by reconnecting. */
  healed = 0;
  #client: MqttClient;
  #closed = false;
  #reconnecting: Promise<void> | undefined;
  /** Clients the peer itself is closing: their close is no reason to reconnect. */
  readonly #ending = new WeakSet<MqttClient>();

  private constructor(
    private readonly options: AckPeerOptions,
    client: MqttClient,
  ) {
    this.#client = client;
  }

  static async start(options: AckPeerOptions): Promise<AckPeer> {
    const peer = new AckPeer(options, await AckPeer.#connect(options));
    await peer.#attach();
    return peer;
  }

  /** Items held of one class. */
  of(cls: UplinkClass): HeldItem[] {
    return [...this.items.values()].filter((i) => i.class === cls);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#reconnecting;
    await this.#client.endAsync(true);
  }

  static #connect(options: AckPeerOptions): Promise<MqttClient> {
    // A persistent session: up messages published while the peer is reconnecting wait at the broker.
    return connectAsync(options.url, { clientId: options.clientId ?? 'ack-peer', clean: false, reconnectPeriod: 0, connectTimeout: 5000 }, false);
  }

  async #attach(): Promise<void> {
    const client = this.#client;
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    // A cloud consumer reconnects when its connection drops; so does the peer, unless told to close.
    client.once('close', () => {
      if (this.#closed || client !== this.#client || this.#ending.has(client)) return;
      this.healed++;
      this.#reconnecting = this.#reopen().catch(() => {});
    });
    await client.subscribeAsync(uplinkTopics.allUp, { qos: 1 });
  }

  /** Connect again after a short pause, retrying until it works or the peer is closed. */
  async #reopen(): Promise<void> {
    for (let attempt = 0; !this.#closed; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 1000)));
      if (this.#closed) return;
      try {
        this.#client = await AckPeer.#connect(this.options);
        await this.#attach();
        return;
      } catch {
        // the broker is busy or away: try again
      }
    }
  }

  #onMessage(topic: string, payload: Buffer): void {
    const result = decodeUplink(topic, payload);
    if (!result.ok) {
      this.deadLetters.push({ topic, reason: result.reason, message: result.error.message });
      return;
    }
    const { batch, invalid } = result;
    this.batches.push(batch.batch);
    this.arrivals.push({ class: batch.class, batch: batch.batch, at: performance.timeOrigin + performance.now(), items: (batch.items as Array<{ id: string; revision: number }>).map(({ id, revision }) => ({ id, revision })) });
    const acks: AckRef[] = [];
    const rejects: Reject[] = invalid.flatMap((i) => (i.id !== undefined ? [{ class: batch.class, id: i.id, rev: i.rev!, reason: 'invalid', detail: i.problem }] : []));
    for (const item of batch.items as Array<{ id: string; revision: number }>) {
      const reason = this.faults.reject.get(item.id);
      if (reason !== undefined) {
        rejects.push({ class: batch.class, id: item.id, rev: item.revision, reason });
        continue;
      }
      this.#hold(batch.class, item);
      acks.push({ class: batch.class, id: item.id, rev: item.revision });
    }
    for (let i = 0; i < this.faults.unknownIds; i++) acks.push({ class: batch.class, id: randomBytes(16).toString('hex'), rev: 0 });
    if (this.faults.disconnectOnMessage > 0 && --this.faults.disconnectOnMessage === 0) {
      // A failed reconnect (the broker went away) leaves the peer disconnected; tests see no acks.
      this.#reconnecting = this.#reconnect().catch(() => {});
      return;
    }
    if (this.faults.dropAcks) return;
    const ackTopic = uplinkTopics.ack(batch.gateway);
    if (this.faults.malformedAcks) {
      this.#client.publishAsync(ackTopic, Buffer.from(JSON.stringify({ v: 1, gateway: batch.gateway, acks: 'all of them' })), { qos: 1 }).catch(() => {});
    } else {
      const enc = encodeAck({ gateway: batch.gateway, batch: batch.batch, acks, ...(rejects.length > 0 ? { rejects } : {}) }, { gzip: this.options.gzip ?? false });
      // An ack lost with the connection is an ack the gateway never gets: it sends again.
      this.#client.publishAsync(enc.topic, enc.payload, { qos: 1 }).catch(() => {});
    }
    this.acksSent++;
  }

  #hold(cls: UplinkClass, item: { id: string; revision: number }): void {
    const held = this.items.get(item.id);
    if (held !== undefined && item.revision <= held.revision) this.duplicates += item.revision === held.revision ? 1 : 0;
    const newer = held === undefined || item.revision > held.revision;
    this.items.set(item.id, {
      class: cls,
      id: item.id,
      revision: newer ? item.revision : held.revision,
      item: newer ? item : held.item,
      copies: (held?.copies ?? 0) + 1,
    });
  }

  /** Drop the connection abruptly (no DISCONNECT) and come back with the same session. */
  async #reconnect(): Promise<void> {
    this.disconnects++;
    const old = this.#client;
    this.#ending.add(old);
    old.removeAllListeners('message');
    await old.endAsync(true);
    await this.#reopen();
  }
}
