// A minimal gateway uplink for cloud tests and benchmarks, speaking the real protocol over real
// MQTT: batches encoded with edge/uplink/protocol.ts (gzip as the gateway does), QoS 1, up to
// `maxInFlight` messages awaiting their ack, and a message whose items are not all acknowledged
// (or rejected) within `ackTimeoutMs` is sent again. It stands in for the gateway's own uplink
// (edge/uplink/client.ts, issue #5), which needs the whole gateway around it.

import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import {
  decodeAck, encodeBatch, newBatchId, uplinkTopics, type Ack, type Reject, type UplinkBatchInput, type UplinkClass, type UplinkItems,
} from '../../edge/uplink/protocol.js';

/** An up message ready to publish, with the items it carries. */
export interface OutMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly refs: ReadonlyArray<{ readonly id: string; readonly rev: number }>;
}

export interface UplinkSenderOptions {
  /** mqtt://host:port or mqtts://... */
  readonly url: string;
  readonly gateway: string;
  /** The gateway's token, sent as the MQTT password with username = gateway id. */
  readonly token?: string;
  readonly clientId?: string;
  readonly maxInFlight?: number;
  /** Default 10000. */
  readonly ackTimeoutMs?: number;
  /** Further MQTT.js options (TLS: ca, rejectUnauthorized). */
  readonly mqtt?: IClientOptions;
}

/** Cut items into protocol messages of `batchSize` (gzip as the gateway does by default). */
export function encodeMessages<C extends UplinkClass>(gateway: string, cls: C, items: ReadonlyArray<UplinkItems[C]>, batchSize = 500, gzip = true): OutMessage[] {
  const out: OutMessage[] = [];
  for (let at = 0; at < items.length; at += batchSize) {
    const part = items.slice(at, at + batchSize) as Array<UplinkItems[C]>;
    const batch = { gateway, class: cls, batch: newBatchId(), sentAt: Date.now(), items: part } as unknown as UplinkBatchInput;
    const enc = encodeBatch(batch, { gzip });
    out.push({ topic: enc.topic, payload: enc.payload, refs: (part as Array<{ id: string; revision: number }>).map((i) => ({ id: i.id, rev: i.revision })) });
  }
  return out;
}

interface Flight {
  readonly message: OutMessage;
  readonly sentAt: number;
  /** id → the revision this message carries, while not yet acknowledged or rejected. */
  readonly left: Map<string, number>;
  timer: NodeJS.Timeout | undefined;
}

export class UplinkSender {
  readonly acks: Ack[] = [];
  readonly rejected: Reject[] = [];
  /** Messages sent again because not all their items were settled in time. */
  resends = 0;
  /** Acks that did not decode. */
  badAcks = 0;
  /** Per message: from its first publish until every item of it was settled (ms). */
  readonly latenciesMs: number[] = [];
  readonly #o: UplinkSenderOptions;
  readonly #client: MqttClient;
  readonly #waiting = new Map<string, Set<Flight>>();
  #wake: (() => void) | undefined;

  private constructor(options: UplinkSenderOptions, client: MqttClient) {
    this.#o = options;
    this.#client = client;
    client.on('message', (topic, payload) => this.#onAck(topic, payload));
  }

  static async connect(options: UplinkSenderOptions): Promise<UplinkSender> {
    const client = await connectAsync(
      options.url,
      {
        clientId: options.clientId ?? `tributary-${options.gateway}`,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        protocolVersion: 4,
        ...(options.token !== undefined ? { username: options.gateway, password: options.token } : {}),
        ...options.mqtt,
      },
      false,
    );
    const granted = await client.subscribeAsync(uplinkTopics.down(options.gateway), { qos: 1 });
    if (granted[0] === undefined || granted[0].qos >= 0x80) throw new Error(`the broker refused ${options.gateway} its down topics`);
    return new UplinkSender(options, client);
  }

  get client(): MqttClient {
    return this.#client;
  }

  /** Encode and send items of one class; resolves once every item is acknowledged or rejected. */
  deliver<C extends UplinkClass>(cls: C, items: ReadonlyArray<UplinkItems[C]>, batchSize = 500, gzip = true): Promise<void> {
    return this.send(encodeMessages(this.#o.gateway, cls, items, batchSize, gzip));
  }

  /** Send messages, at most maxInFlight unsettled at once; resolves once every item of every message is settled. */
  async send(messages: readonly OutMessage[]): Promise<void> {
    const max = this.#o.maxInFlight ?? 8;
    const inFlight = new Set<Flight>();
    let next = 0;
    while (next < messages.length || inFlight.size > 0) {
      while (inFlight.size < max && next < messages.length) inFlight.add(this.#launch(messages[next++]!));
      await new Promise<void>((resolve) => (this.#wake = resolve));
      for (const f of inFlight) if (f.left.size === 0) inFlight.delete(f);
    }
  }

  /** Publish a raw payload on any topic, QoS 1 (for bad-message tests); resolves on PUBACK. */
  async publishRaw(topic: string, payload: Buffer | string): Promise<void> {
    await this.#client.publishAsync(topic, payload, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.#client.endAsync(true);
  }

  #launch(message: OutMessage): Flight {
    const flight: Flight = { message, sentAt: performance.now(), left: new Map(message.refs.map((r) => [r.id, r.rev])), timer: undefined };
    for (const id of flight.left.keys()) {
      let set = this.#waiting.get(id);
      if (!set) this.#waiting.set(id, (set = new Set()));
      set.add(flight);
    }
    this.#publish(flight, false);
    return flight;
  }

  #publish(flight: Flight, again: boolean): void {
    if (again) this.resends++;
    this.#client.publish(flight.message.topic, flight.message.payload, { qos: 1 }, () => {});
    flight.timer = setTimeout(() => {
      if (flight.left.size > 0) this.#publish(flight, true);
    }, this.#o.ackTimeoutMs ?? 10_000);
  }

  #onAck(topic: string, payload: Buffer): void {
    const decoded = decodeAck(topic, payload);
    if (!decoded.ok) {
      this.badAcks++;
      return;
    }
    this.acks.push(decoded.ack);
    this.rejected.push(...(decoded.ack.rejects ?? []));
    for (const ref of [...decoded.ack.acks, ...(decoded.ack.rejects ?? [])]) {
      for (const flight of this.#waiting.get(ref.id) ?? []) {
        const rev = flight.left.get(ref.id);
        if (rev === undefined || rev > ref.rev) continue;
        flight.left.delete(ref.id);
        this.#waiting.get(ref.id)!.delete(flight);
        if (flight.left.size === 0) {
          clearTimeout(flight.timer);
          this.latenciesMs.push(performance.now() - flight.sentAt);
        }
      }
      if (this.#waiting.get(ref.id)?.size === 0) this.#waiting.delete(ref.id);
    }
    this.#wake?.();
  }
}
