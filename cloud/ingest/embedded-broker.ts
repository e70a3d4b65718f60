// The cloud's embedded MQTT broker (aedes, MQTT 3.1.1): gateways connect with their token, publish
// under their own up topics and subscribe to their own ack topic. The cloud's ingest reads their
// messages in-process, in the authorisation hook, and publishes the acks through the broker.
//
// A message is handled inside authorizePublish: aedes writes the QoS 1 PUBACK only after that
// hook's callback, which is called once the ingest has stored the message and published its ack.
// That does not hold a gateway's socket: aedes parses again whenever more data arrives (a test on
// h/lat saw an alert stored and acknowledged while a summary message of the same connection was
// still being stored), so what bounds the cloud's memory is ingest.maxInFlightMessages: past it,
// over all gateways, the listeners stop reading altogether until half of them are done. A
// gateway itself keeps at most uplink.maxInFlightBatches messages unacknowledged per lane.

import { Aedes, type PublishPacket } from 'aedes';
import type { Clock } from '../../edge/clock/clock.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import type { Logger } from '../../edge/observe/log.js';
import type { Registry } from '../../edge/observe/metrics.js';
import type { Listeners } from '../../edge/source/mqtt-broker/listeners.js';
import { brokerMetrics, type BrokerMetrics } from '../../edge/source/mqtt-broker/metrics.js';
import { brokerListeners } from '../../edge/source/mqtt-broker/serve.js';
import type { CloudConfig } from '../config/schema.js';
import { GatewayAuth } from './gateway-auth.js';
import type { UplinkIngest } from './ingest.js';
import type { IngestSource, IngestSourceHealth } from './source.js';

export interface EmbeddedBrokerOptions {
  readonly broker: CloudConfig['mqtt']['broker'];
  readonly gateways: CloudConfig['gateways'];
  readonly ingest: UplinkIngest;
  /** Messages in the ingest at once beyond which every socket stops being read (ingest.maxInFlightMessages). */
  readonly maxInFlight: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
}

export class EmbeddedBroker extends Resource implements IngestSource {
  readonly name: string;
  readonly #o: EmbeddedBrokerOptions;
  readonly #m: BrokerMetrics;
  #listeners: Listeners | undefined;
  #aedes: Aedes | undefined;
  #paused = false;
  #closing = false;

  constructor(options: EmbeddedBrokerOptions) {
    super();
    this.#o = options;
    this.name = `mqtt-broker ${options.broker.host}:${options.broker.port}`;
    this.#m = brokerMetrics(options.metrics, {
      connections: (kind) => this.#listeners?.connections(kind) ?? 0,
      held: () => 0,
      unreadBytes: () => this.#listeners?.unreadBytes() ?? 0,
    });
  }

  /** The bound TCP port (useful with port 0), once open. */
  get port(): number | undefined {
    return this.#listeners?.port('tcp');
  }

  /** The bound TLS port, once open, when a TLS listener is configured. */
  get tlsPort(): number | undefined {
    return this.#listeners?.port('tls');
  }

  health(): IngestSourceHealth {
    return {
      ok: this.status === 'open',
      kind: 'broker',
      detail: {
        port: this.port ?? null,
        tlsPort: this.tlsPort ?? null,
        connections: (this.#listeners?.connections('tcp') ?? 0) + (this.#listeners?.connections('tls') ?? 0),
        paused: this.#paused,
      },
    };
  }

  describe(): string {
    const host = this.#o.broker.host;
    return `MQTT broker on ${host}:${this.port ?? '?'}${this.tlsPort !== undefined ? ` (TLS on ${host}:${this.tlsPort})` : ''}; gateways publish to tributary/v1/<gateway>/up/<class>`;
  }

  protected async _open(): Promise<void> {
    const c = this.#o.broker;
    const log = this.#o.log;
    const auth = new GatewayAuth({ gateways: this.#o.gateways, metrics: this.#m, log, onPublish: (packet, gateway, done) => this.#onPublish(packet, gateway, done) });
    const aedes = await Aedes.createBroker({
      preConnect: auth.preConnect,
      authenticate: auth.authenticate,
      authorizePublish: auth.authorizePublish,
      authorizeSubscribe: auth.authorizeSubscribe,
      // MQTT 3.1.1 §3.1.3.1 lets a server accept client ids over 23 bytes (the uplink's are tributary-<gateway>).
      maxClientsIdLength: 128,
    });
    this.#aedes = aedes;
    this.#listeners = await brokerListeners(aedes, c, log, this.#m);
    await this.#listeners.open();
    log.info({ host: c.host, port: this.port, tlsPort: this.tlsPort, gateways: Object.keys(this.#o.gateways).length }, 'cloud MQTT broker listening');
  }

  protected async _close(): Promise<void> {
    const listeners = this.#listeners;
    const stopped = listeners?.stopAccepting();
    // No more reads; messages already read finish (their acks and PUBACKs go out) before the connections close.
    this.#closing = true;
    listeners?.pause();
    await this.#o.ingest.drained();
    const aedes = this.#aedes;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    listeners?.destroy();
    await stopped;
    this.#o.log.info({ port: this.port }, 'cloud MQTT broker closed');
  }

  #onPublish(packet: PublishPacket, gateway: string, done: (error?: Error | null) => void): void {
    const ingest = this.#o.ingest;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    this.#m.messages.inc();
    this.#m.bytes.inc(payload.length);
    const handled = ingest.handle({ topic: packet.topic, payload, receivedAt: this.#o.clock.now(), principal: gateway }, (topic, ack) => this.publish(topic, ack, { qos: 1, retain: false }));
    if (!this.#paused && ingest.inFlight >= this.#o.maxInFlight) {
      this.#paused = true;
      this.#listeners?.pause();
    }
    void handled.then(() => {
      if (this.#paused && !this.#closing && ingest.inFlight <= this.#o.maxInFlight / 2) {
        this.#paused = false;
        this.#listeners?.resume();
      }
      done(null);
    });
  }

  /** Publish through the broker (acks, pushes): to the gateway's session, kept for it while it is away. */
  publish(topic: string, payload: Buffer, options: { qos: 1; retain: boolean }): Promise<void> {
    const aedes = this.#aedes;
    if (!aedes) return Promise.reject(new Error('broker closed'));
    return new Promise((resolve, reject) =>
      aedes.publish({ cmd: 'publish', topic, payload, qos: options.qos, retain: options.retain, dup: false }, (err?: Error) => (err ? reject(err) : resolve())),
    );
  }
}
