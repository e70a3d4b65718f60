// Hands each authorised PUBLISH from a device to the pipeline, through aedes's `published` hook,
// and holds them while the source is paused.
//
// The hook's callback is aedes's "this message is done": until it is called, the message is
// still the broker's. `#accept` may therefore return a promise and the callback waits for it,
// which is where a later issue plugs in "acknowledge only after durable storage". Note for that
// issue: in aedes 1.2, a QoS 1 PUBACK is written *before* `published` runs
// (lib/handlers/publish.js), so gating the PUBACK itself needs the await in authorizePublish;
// for QoS 2 the PUBREC does wait for this callback.

import type { AedesPublishPacket, Client } from 'aedes';
import type { SourceContext } from '../contract.js';
import type { BrokerMetrics } from './metrics.js';

type Done = (error?: Error | null) => void;

export const SOURCE_NAME = 'mqtt-broker';

export class Delivery {
  readonly #ctx: SourceContext;
  readonly #m: Pick<BrokerMetrics, 'messages' | 'bytes'>;
  /** Deliveries that arrived while paused, oldest first. Bounded: paused sockets are not read. */
  #held: Array<() => void> = [];
  #paused = false;

  constructor(ctx: SourceContext, metrics: Pick<BrokerMetrics, 'messages' | 'bytes'>) {
    this.#ctx = ctx;
    this.#m = metrics;
  }

  get held(): number {
    return this.#held.length;
  }

  /** The aedes `published` hook. */
  readonly published = (packet: AedesPublishPacket, client: Client | null, done: Done): void => {
    // The broker's own publishes ($SYS birth, heartbeat, client connect/disconnect) have no
    // client; a client cannot publish to `$` topics (MQTT 3.1.1 §4.7.2, and the ACL refuses them).
    if (client === null || packet.topic.charCodeAt(0) === 0x24) {
      done();
      return;
    }
    if (this.#paused) {
      this.#held.push(() => this.#deliver(packet, done));
      return;
    }
    this.#deliver(packet, done);
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

  /** At close, messages held are delivered rather than dropped: QoS 1 senders already have their PUBACK. */
  flush(): void {
    const held = this.#held;
    this.#held = [];
    for (const deliver of held) deliver();
  }

  #deliver(packet: AedesPublishPacket, done: Done): void {
    let accepted: void | Promise<void>;
    try {
      accepted = this.#accept(packet);
    } catch (err) {
      // emit() promises never to throw; if it does, disconnect this client rather than the broker.
      done(err as Error);
      return;
    }
    if (accepted) accepted.then(() => done(), done);
    else done();
  }

  #accept(packet: AedesPublishPacket): void | Promise<void> {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    this.#m.messages.inc();
    this.#m.bytes.inc(payload.length);
    this.#ctx.emit({ source: SOURCE_NAME, topic: packet.topic, payload, receivedAt: this.#ctx.clock.now() });
  }
}
