// The embedded MQTT broker devices publish readings to: aedes behind our own TCP (and optional TLS)
// listeners, with user/password auth and a per-device topic ACL, emitting each authorised PUBLISH.

import { Aedes } from 'aedes';
import { isLoopback } from '../../config/load.js';
import type { EdgeConfig } from '../../config/schema.js';
import { codedError } from '../../errors/catalogue.js';
import { Resource } from '../../lifecycle/resource.js';
import type { Source, SourceContext } from '../contract.js';
import { BrokerAuth } from './broker-auth.js';
import { Delivery, SOURCE_NAME } from './delivery.js';
import type { Listeners } from './listeners.js';
import { brokerMetrics, type BrokerMetrics } from './metrics.js';
import { brokerListeners } from './serve.js';

/** The broker's listener settings; whether acks wait for the log (ackAfterDurable) comes in as an option. */
export type BrokerConfig = Omit<EdgeConfig['mqtt']['broker'], 'ackAfterDurable'>;
export type AuthConfig = EdgeConfig['auth'];

export interface MqttBrokerSourceOptions {
  /** Users whose last good password is remembered so reconnects skip scrypt (default 10000). */
  readonly credentialCacheSize?: number;
  /**
   * Send a QoS 1 PUBACK (QoS 2 PUBREC) only once ctx.emitDurable has resolved, i.e. the reading is
   * on disk (default false). Needs a SourceContext with emitDurable. See delivery.ts for how.
   */
  readonly ackAfterDurable?: boolean;
}

export class MqttBrokerSource extends Resource implements Source {
  readonly name = SOURCE_NAME;
  readonly #config: BrokerConfig;
  readonly #auth: AuthConfig;
  readonly #topicPrefix: string;
  readonly #ctx: SourceContext;
  readonly #options: MqttBrokerSourceOptions;
  readonly #m: BrokerMetrics;
  readonly #delivery: Delivery;
  #listeners: Listeners | undefined;
  #aedes: Aedes | undefined;
  #paused = false;

  constructor(config: BrokerConfig, auth: AuthConfig, topicPrefix: string, ctx: SourceContext, options: MqttBrokerSourceOptions = {}) {
    super();
    this.#config = config;
    this.#auth = auth;
    this.#topicPrefix = topicPrefix;
    this.#ctx = ctx;
    this.#options = options;
    this.#m = brokerMetrics(ctx.metrics, {
      connections: (kind) => this.#listeners?.connections(kind) ?? 0,
      held: () => this.#delivery.held,
      unreadBytes: () => this.#listeners?.unreadBytes() ?? 0,
    });
    this.#delivery = new Delivery(ctx, this.#m, options.ackAfterDurable ?? false);
  }

  /** The bound TCP port (useful with port 0), once open. */
  get port(): number | undefined {
    return this.#listeners?.port('tcp');
  }

  /** The bound TLS port, once open, when a TLS listener is configured. */
  get tlsPort(): number | undefined {
    return this.#listeners?.port('tls');
  }

  /** Connections open now, over both listeners. */
  get connections(): number {
    return (this.#listeners?.connections('tcp') ?? 0) + (this.#listeners?.connections('tls') ?? 0);
  }

  /**
   * Stop reading every client socket (new ones too) and hold messages already parsed. Meant for
   * short stalls: a client unread for 1.5 keepalives, or a new one whose CONNECT waits longer than
   * aedes's connectTimeout (30 s), is disconnected by the broker.
   */
  pause(): void {
    this.#paused = true;
    this.#delivery.pause();
    this.#listeners?.pause();
  }

  resume(): void {
    this.#paused = false;
    // Sockets first, so held deliveries that complete let aedes read straight on.
    this.#listeners?.resume();
    this.#delivery.resume();
  }

  protected async _open(): Promise<void> {
    const c = this.#config;
    // The config loader refuses this too; repeat it here so no other caller can skip it.
    if (this.#auth.allowAnonymous && !isLoopback(c.host)) {
      throw codedError('ERR_CONFIG_INSECURE', [`auth.allowAnonymous needs a loopback mqtt.broker.host, not ${c.host}`]);
    }
    const auth = new BrokerAuth({
      auth: this.#auth,
      topicPrefix: this.#topicPrefix,
      metrics: this.#m,
      log: this.#ctx.log,
      ...(this.#options.credentialCacheSize !== undefined ? { credentialCacheSize: this.#options.credentialCacheSize } : {}),
    });
    const delivery = this.#delivery;
    const aedes = await Aedes.createBroker({
      authenticate: auth.authenticate,
      authorizePublish: this.#options.ackAfterDurable
        ? (client, packet, done) =>
            auth.authorizePublish(client, packet, (err) => {
              if (err || packet.qos === 0 || client === null) done(err);
              else delivery.authorized(packet, done);
            })
        : auth.authorizePublish,
      authorizeSubscribe: auth.authorizeSubscribe,
      published: this.#delivery.published,
      // MQTT 3.1.1 §3.1.3.1 lets a server accept client ids over 23 bytes; device ids may be 64.
      maxClientsIdLength: 128,
    });
    this.#aedes = aedes;
    const log = this.#ctx.log;
    this.#listeners = await brokerListeners(aedes, c, log, this.#m);
    if (this.#paused) this.#listeners.pause();
    await this.#listeners.open();
    log.info({ host: c.host, port: this.port, tlsPort: this.tlsPort, anonymous: this.#auth.allowAnonymous, users: Object.keys(this.#auth.users).length }, 'MQTT broker listening');
  }

  protected async _close(): Promise<void> {
    const listeners = this.#listeners;
    const stopped = listeners?.stopAccepting();
    this.#delivery.flush();
    const aedes = this.#aedes;
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    listeners?.destroy();
    await stopped;
    this.#ctx.log.info({ port: this.port }, 'MQTT broker closed');
  }
}

