// Hands each authorised PUBLISH from a device to the pipeline, and holds them while the source is
// paused. Two paths:
//
// - `published` (aedes's hook after the message is routed): QoS 0, and every QoS when acks are not
//   deferred. In aedes 1.2 a QoS 1 PUBACK is written *before* this hook runs
//   (lib/handlers/publish.js: enqueuePublish writes the PubAck, then calls broker.publish).
// - `authorized` (called from authorizePublish once the ACL allows the message): QoS 1 and 2 when
//   acks wait for durability. aedes writes the PUBACK (or PUBREC) only after authorizePublish's
//   callback, so calling it once `emitDurable` resolves defers the PUBACK until the reading is on
//   disk. PUBACKs stay in PUBLISH order (MQTT 3.1.1 §4.6) because the log resolves in append order.
//   Waiting PUBACKs do not stop aedes reading a client's socket (it parses again whenever data
//   arrives; seen in the cloud's broker on h/lat), so what bounds memory under a slow disk is the
//   sources' pause at durability.highWater, not the sockets.

import type { AedesPublishPacket, Client, PublishPacket } from 'aedes';
import type { SourceContext } from '../contract.js';
import type { BrokerMetrics } from './metrics.js';

type Done = (error?: Error | null) => void;

export const SOURCE_NAME = 'mqtt-broker';

export class Delivery {
  readonly #ctx: SourceContext;
  readonly #m: Pick<BrokerMetrics, 'messages' | 'bytes'>;
  readonly #ackAfterDurable: boolean;
  /** Deliveries that arrived while paused, oldest first. Bounded: paused sockets are not read. */
  #held: Array<() => void> = [];
  #paused = false;

  /** With `ackAfterDurable`, QoS ≥ 1 messages go through `authorized` and ctx.emitDurable (required then). */
  constructor(ctx: SourceContext, metrics: Pick<BrokerMetrics, 'messages' | 'bytes'>, ackAfterDurable = false) {
    if (ackAfterDurable && typeof ctx.emitDurable !== 'function') throw new TypeError('ackAfterDurable needs a SourceContext with emitDurable');
    this.#ctx = ctx;
    this.#m = metrics;
    this.#ackAfterDurable = ackAfterDurable;
  }

  get held(): number {
    return this.#held.length;
  }

  /** The aedes `published` hook. */
  readonly published = (packet: AedesPublishPacket, client: Client | null, done: Done): void => {
    // The broker's own publishes ($SYS birth, heartbeat, client connect/disconnect) have no
    // client; a client cannot publish to `$` topics (MQTT 3.1.1 §4.7.2, and the ACL refuses them).
    if (client === null || packet.topic.charCodeAt(0) === 0x24 || (this.#ackAfterDurable && packet.qos > 0)) {
      done();
      return;
    }
    this.#hold(() => this.#deliver(packet, done, false));
  };

  /**
   * With ackAfterDurable: a QoS ≥ 1 publish the ACL allowed. `done` is authorizePublish's callback;
   * aedes writes the PUBACK when it is called, so it is called once the reading is durable.
   */
  readonly authorized = (packet: PublishPacket, done: Done): void => {
    this.#hold(() => this.#deliver(packet, done, true));
  };

  pause(): void {
    this.#paused = true;
  }

  /** Deliver what was held, in arrival order, then let messages through again. */
  resume(): void {
    this.#paused = false;
    // emit() may pause us again (the pipeline fell behind at once); keep the rest held then.
    while (!this.#paused && this.#held.length > 0) this.#held.shift()!();
  }

  /** At close, messages held are delivered rather than dropped (without deferred acks, QoS 1 senders already have their PUBACK). */
  flush(): void {
    const held = this.#held;
    this.#held = [];
    for (const deliver of held) deliver();
  }

  #hold(deliver: () => void): void {
    if (this.#paused) this.#held.push(deliver);
    else deliver();
  }

  #deliver(packet: PublishPacket, done: Done, durable: boolean): void {
    let accepted: void | Promise<void>;
    try {
      accepted = this.#accept(packet, durable);
    } catch (err) {
      // emit() promises never to throw; if it does, disconnect this client rather than the broker.
      done(err as Error);
      return;
    }
    if (accepted) accepted.then(() => done(), done);
    else done();
  }

  #accept(packet: PublishPacket, durable: boolean): void | Promise<void> {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    this.#m.messages.inc();
    this.#m.bytes.inc(payload.length);
    const message = { source: SOURCE_NAME, topic: packet.topic, payload, receivedAt: this.#ctx.clock.now() };
    if (durable) return this.#ctx.emitDurable!(message);
    this.#ctx.emit(message);
  }
}
