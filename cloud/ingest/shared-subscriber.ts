// Consumes gateways' messages from an existing MQTT 5 broker (cluster): each worker opens
// mqtt.client.connections connections, each subscribed to `$share/<group>/tributary/+/+/up/+`
// (MQTT 5 §4.8.2), so the broker hands every message to one connection of one worker and several
// workers split the load. Acks go back on the gateway's ack topic, QoS 1.
//
// The PUBACK for a message waits until it is stored: MQTT.js calls `handleMessage` for each
// PUBLISH and writes the PUBACK only once its callback is called — and reads no further packet of
// that connection meanwhile. So each connection holds one message at a time (the connections are
// what lets a worker store several at once, joined by the store's group commit), and a message
// whose store write did not complete is not acknowledged: the broker delivers it again when the
// session resumes (persistent sessions: clean start off, sessionExpirySeconds).
//
// For the same reason an ack is handed to MQTT.js and not waited for: its PUBACK from the broker
// arrives on the connection whose reading is held until this message is done.

import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../edge/clock/clock.js';
import { readConfiguredFile, readSecretFile } from '../../edge/config/read-file.js';
import { codedError, type TributaryError } from '../../edge/errors/catalogue.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import type { Logger } from '../../edge/observe/log.js';
import type { CounterChild, Registry } from '../../edge/observe/metrics.js';
import { reconnectDelay } from '../../edge/source/mqtt-client/backoff.js';
import { safeUrl } from '../../edge/source/mqtt-client/client-options.js';
import { keepNoDelay } from '../../edge/source/mqtt-client/no-delay.js';
import { uplinkTopics } from '../../edge/uplink/topics.js';
import type { CloudConfig } from '../config/schema.js';
import type { UplinkIngest } from './ingest.js';
import type { IngestSource, IngestSourceHealth } from './source.js';

export type SharedClientConfig = NonNullable<CloudConfig['mqtt']['client']>;

export interface SharedSubscriberOptions {
  readonly client: SharedClientConfig;
  /** cloud.id: the client id prefix unless mqtt.client.clientId is set. */
  readonly workerId: string;
  readonly ingest: UplinkIngest;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
}

/** The shared subscription a worker's connections make. */
export const sharedFilter = (group: string): string => `$share/${group}/${uplinkTopics.allUp}`;

/** MQTT 5 CONNACK reason codes that retrying will not fix (§3.2.2.2): bad user name or password, not authorised. */
const REFUSED = new Set([134, 135]);

export class SharedSubscriber extends Resource implements IngestSource {
  readonly name: string;
  readonly #o: SharedSubscriberOptions;
  readonly #filter: string;
  readonly #connections: SharedConnection[] = [];
  readonly #m: { messages: CounterChild; reconnects: CounterChild };

  constructor(options: SharedSubscriberOptions) {
    super();
    this.#o = options;
    this.#filter = sharedFilter(options.client.shareGroup);
    this.name = `mqtt-client ${safeUrl(options.client.url)}`;
    const p = 'tributary_cloud_mqtt_client';
    const r = options.metrics;
    r.gauge(`${p}_connections_up`, 'Connections to the upstream broker that are connected and subscribed', [], (g) => g.set(this.#up()));
    this.#m = {
      messages: r.counter(`${p}_messages_received_total`, 'Messages received through the shared subscription').labels(),
      reconnects: r.counter(`${p}_reconnects_total`, 'Reconnect attempts after a connection dropped').labels(),
    };
  }

  /** The MQTT.js clients, one per connection (for diagnostics and tests). */
  get clients(): readonly MqttClient[] {
    return this.#connections.flatMap((c) => (c.client ? [c.client] : []));
  }

  health(): IngestSourceHealth {
    return { ok: this.status === 'open' && this.#up() > 0, kind: 'client', detail: { url: safeUrl(this.#o.client.url), filter: this.#filter, connections: this.#connections.length, up: this.#up() } };
  }

  describe(): string {
    return `MQTT client of ${safeUrl(this.#o.client.url)}: ${this.#connections.length} connection(s) subscribed to ${this.#filter}`;
  }

  /** Resolves once every connection is connected and subscribed; the first attempt failing rejects (ERR_MQTT_CONNECT, ERR_AUTH_BAD_CREDENTIALS or ERR_MQTT_SUBSCRIBE). */
  protected async _open(): Promise<void> {
    const c = this.#o.client;
    const password = c.passwordFile ? await readSecretFile(c.passwordFile, 'broker password') : undefined;
    const base: IClientOptions = {
      protocolVersion: 5,
      // MQTT 5 §3.1.2.4: no clean start, and a session that outlives the connection: a message this
      // worker held unacknowledged when the connection dropped is delivered again when it resumes.
      clean: false,
      properties: { sessionExpiryInterval: c.sessionExpirySeconds },
      keepalive: c.keepaliveSeconds,
      // Reconnects are ours, with backoff on the injected clock; we subscribe again on every connect.
      reconnectPeriod: 0,
      resubscribe: false,
      connectTimeout: 30_000,
      ...(c.username !== undefined ? { username: c.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(c.caFile ? { ca: await readConfiguredFile(c.caFile, 'TLS CA') } : {}),
      ...(c.certFile ? { cert: await readConfiguredFile(c.certFile, 'TLS client certificate') } : {}),
      ...(c.keyFile ? { key: await readConfiguredFile(c.keyFile, 'TLS client key') } : {}),
    };
    const prefix = c.clientId ?? this.#o.workerId;
    for (let i = 0; i < c.connections; i++) {
      this.#connections.push(new SharedConnection({ ...base, clientId: `${prefix}-${i}` }, this.#filter, this.#o, this.#m));
    }
    await Promise.all(this.#connections.map((conn) => conn.start()));
    this.#o.log.info({ url: safeUrl(c.url), filter: this.#filter, connections: c.connections }, 'cloud MQTT client subscribed');
  }

  protected async _close(): Promise<void> {
    // Stop taking messages (what arrives now stays unacknowledged at the broker, for the next
    // session or another worker), finish those in flight, then disconnect.
    await Promise.all(this.#connections.map((conn) => conn.stopTaking()));
    await this.#o.ingest.drained();
    await Promise.all(this.#connections.map((conn) => conn.end()));
    this.#o.log.info({ url: safeUrl(this.#o.client.url) }, 'cloud MQTT client closed');
  }

  /** Publish on the first connection that is up (pushes to gateways go through the same broker). */
  async publish(topic: string, payload: Buffer, options: { qos: 1; retain: boolean }): Promise<void> {
    const client = this.#connections.find((c) => c.up)?.client;
    if (!client) throw codedError('ERR_MQTT_CONNECT', [safeUrl(this.#o.client.url), 'no connection is up']);
    await client.publishAsync(topic, payload, options);
  }

  #up(): number {
    return this.#connections.filter((c) => c.up).length;
  }
}

/** One connection of the share group, with its own reconnects. */
class SharedConnection {
  up = false;
  #client: MqttClient | undefined;
  #established = false;
  #taking = true;
  #stopping = false;
  #attempt = 0;
  #timer: TimerHandle | undefined;
  #lastError: Error | undefined;
  #first: { resolve: () => void; reject: (err: TributaryError) => void } | undefined;

  constructor(
    private readonly options: IClientOptions,
    private readonly filter: string,
    private readonly o: SharedSubscriberOptions,
    private readonly m: { messages: CounterChild; reconnects: CounterChild },
  ) {}

  get client(): MqttClient | undefined {
    return this.#client;
  }

  start(): Promise<void> {
    const first = new Promise<void>((resolve, reject) => (this.#first = { resolve, reject }));
    const client = connect(this.o.client.url, this.options);
    this.#client = client;
    keepNoDelay(client);
    client.handleMessage = (packet, callback) => this.#onMessage(client, packet, callback);
    client.on('connect', () => this.#onConnect(client));
    client.on('close', () => this.#onClose());
    client.on('error', (err) => {
      this.#lastError = err;
      this.o.log.warn({ url: safeUrl(this.o.client.url), clientId: this.options.clientId, err: err.message }, 'cloud MQTT client error');
    });
    return first;
  }

  /** Stop handling new messages and leave the share group, so the broker sends them elsewhere. */
  async stopTaking(): Promise<void> {
    this.#taking = false;
    const client = this.#client;
    if (client?.connected) await client.unsubscribeAsync(this.filter).catch(() => {});
  }

  async end(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) this.o.clock.clear(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    // Not forced while connected, so acks handed to MQTT.js go out first.
    if (client) await client.endAsync(!client.connected);
    this.up = false;
  }

  #onConnect(client: MqttClient): void {
    this.#attempt = 0;
    this.#lastError = undefined;
    client.subscribe(this.filter, { qos: 1 }, (err, granted) => {
      // MQTT 5 §3.9.3: a reason code of 0x80 or above in the SUBACK is a refusal.
      const refused = err ?? (granted?.[0] === undefined || granted[0].qos >= 0x80 ? new Error(`SUBACK reason ${granted?.[0]?.qos ?? 'none'}`) : undefined);
      if (refused) {
        const error = codedError('ERR_MQTT_SUBSCRIBE', [safeUrl(this.o.client.url), this.filter, refused.message], { cause: refused });
        this.o.log.error({ code: error.code, err: error.message }, 'cloud MQTT client: subscription refused');
        this.#settle(error);
        return;
      }
      this.up = true;
      this.#settle();
    });
  }

  #onClose(): void {
    this.up = false;
    if (!this.#established) {
      const cause = this.#lastError;
      const code = (cause as { code?: unknown } | undefined)?.code;
      const error =
        typeof code === 'number' && REFUSED.has(code)
          ? codedError('ERR_AUTH_BAD_CREDENTIALS', [`${this.o.client.username ?? '(no user)'} at ${safeUrl(this.o.client.url)}`], { cause })
          : codedError('ERR_MQTT_CONNECT', [safeUrl(this.o.client.url), cause?.message ?? 'connection closed'], { cause });
      this.#client?.end(true);
      return this.#settle(error);
    }
    if (this.#stopping || this.#timer) return;
    const delay = reconnectDelay(this.#attempt++, { initialMs: this.o.client.reconnectInitialMs, maxMs: this.o.client.reconnectMaxMs });
    this.o.log.warn({ url: safeUrl(this.o.client.url), clientId: this.options.clientId, delayMs: delay }, 'cloud MQTT client disconnected; reconnecting');
    this.#timer = this.o.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopping) return;
      this.m.reconnects.inc();
      this.#client?.reconnect();
    }, delay);
  }

  #settle(error?: TributaryError): void {
    const first = this.#first;
    if (!first) return;
    this.#first = undefined;
    if (error) return first.reject(error);
    this.#established = true;
    first.resolve();
  }

  #onMessage(client: MqttClient, packet: IPublishPacket, callback: (error?: Error) => void): void {
    // Closing: leave it unacknowledged (the broker delivers it again, to this session or another
    // worker). An error to the callback skips the PUBACK but lets MQTT.js read on, so the UNSUBACK
    // and the PUBACKs of our acks still arrive and the connection can close cleanly.
    if (!this.#taking) return callback(new Error('closing: left unacknowledged'));
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    this.m.messages.inc();
    void this.o.ingest
      .handle({ topic: packet.topic, payload, receivedAt: this.o.clock.now() }, (topic, ack) => {
        client.publish(topic, ack, { qos: 1 }, (err) => {
          if (err) this.o.log.debug({ err: err.message, topic }, 'cloud MQTT client: an ack did not reach the broker');
        });
        return Promise.resolve();
      })
      .then(() => callback());
  }
}
