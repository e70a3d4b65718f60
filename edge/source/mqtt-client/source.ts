// Subscribes to `<topicPrefix>/+` on an existing broker with MQTT.js and emits what arrives:
// a persistent session, reconnects with backoff on the injected clock, pause through the socket.

import { connect, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import type { TimerHandle } from '../../clock/clock.js';
import { codedError, TributaryError } from '../../errors/catalogue.js';
import { Resource } from '../../lifecycle/resource.js';
import type { CounterChild, Counter } from '../../observe/metrics.js';
import type { Source, SourceContext } from '../contract.js';
import { reconnectDelay, type BackoffOptions } from './backoff.js';
import { clientOptions, safeUrl, type ClientConfig } from './client-options.js';
import { keepNoDelay } from './no-delay.js';

export const SOURCE_NAME = 'mqtt-client';

export interface MqttClientSourceOptions {
  /** First reconnect delay after a drop (milliseconds, default 1000). */
  readonly reconnectInitialMs?: number;
  /** Longest reconnect delay (milliseconds, default 30000). */
  readonly reconnectMaxMs?: number;
  /** How long each attempt waits for CONNACK (milliseconds, default 30000). */
  readonly connectTimeoutMs?: number;
  /** MQTT keepalive (seconds, default 60). */
  readonly keepaliveSeconds?: number;
}

type Callback = (error?: Error) => void;

export class MqttClientSource extends Resource implements Source {
  readonly name = SOURCE_NAME;
  readonly #config: ClientConfig;
  readonly #filter: string;
  readonly #ctx: SourceContext;
  readonly #backoff: BackoffOptions;
  readonly #options: MqttClientSourceOptions;
  readonly #m: { messages: CounterChild; bytes: CounterChild; reconnects: CounterChild; subscribeErrors: Counter };
  #client: MqttClient | undefined;
  #connected = false;
  #established = false;
  #attempt = 0;
  #timer: TimerHandle | undefined;
  #lastError: Error | undefined;
  #first: { resolve: () => void; reject: (err: Error) => void } | undefined;
  /** Messages that arrived while paused, oldest first. Bounded: the paused socket is not read. */
  #held: Array<() => void> = [];
  #paused = false;
  #stopping = false;

  constructor(config: ClientConfig, topicPrefix: string, ctx: SourceContext, options: MqttClientSourceOptions = {}) {
    super();
    this.#config = config;
    this.#filter = `${topicPrefix}/+`;
    this.#ctx = ctx;
    this.#options = options;
    this.#backoff = { initialMs: options.reconnectInitialMs ?? 1000, maxMs: options.reconnectMaxMs ?? 30_000 };
    const p = 'tributary_mqtt_client';
    const r = ctx.metrics;
    r.gauge(`${p}_connected`, 'Whether the client is connected to the upstream broker (1) or not (0)', [], (g) => g.set(this.#connected ? 1 : 0));
    r.gauge(`${p}_messages_held`, 'Messages held while the source is paused', [], (g) => g.set(this.#held.length));
    r.gauge(`${p}_unread_bytes`, 'Bytes waiting unread in the socket (grows while the source is paused)', [], (g) => g.set(this.#client?.stream?.readableLength ?? 0));
    this.#m = {
      messages: r.counter(`${p}_messages_received_total`, 'Messages received from the upstream broker').labels(),
      bytes: r.counter(`${p}_received_bytes_total`, 'Payload bytes of those messages').labels(),
      reconnects: r.counter(`${p}_reconnects_total`, 'Reconnect attempts after the connection dropped').labels(),
      subscribeErrors: r.counter(`${p}_subscribe_errors_total`, 'Subscriptions the upstream broker refused or that failed'),
    };
  }

  /** Whether the client is connected now. */
  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Stop reading the socket and hold messages already parsed (their QoS 1 PUBACK waits too, so the
   * broker keeps them). Meant for short stalls: unread PINGRESPs make MQTT.js drop the connection
   * after a keepalive or so; it then reconnects, still paused.
   */
  pause(): void {
    this.#paused = true;
    this.#client?.stream?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#client?.stream?.resume();
    // emit() may pause us again at once; keep the rest held then.
    while (!this.#paused && this.#held.length > 0) this.#held.shift()!();
  }

  /** Resolves once connected and subscribed; the first attempt failing rejects (ERR_MQTT_CONNECT, or ERR_AUTH_BAD_CREDENTIALS). */
  protected async _open(): Promise<void> {
    const options = await clientOptions(this.#config);
    const first = new Promise<void>((resolve, reject) => (this.#first = { resolve, reject }));
    const client = connect(this.#config.url, {
      ...options,
      // Reconnects are ours (see #onClose): MQTT.js retries at a fixed period, with no backoff.
      reconnectPeriod: 0,
      connectTimeout: this.#options.connectTimeoutMs ?? 30_000,
      keepalive: this.#options.keepaliveSeconds ?? 60,
    });
    this.#client = client;
    keepNoDelay(client);
    // MQTT.js calls this for each PUBLISH and sends the QoS 1 PUBACK only after `callback`, and
    // reads no further packets meanwhile: the place to wait (paused, or later for durable storage).
    client.handleMessage = (packet, callback) => this.#onMessage(packet, callback);
    client.on('connect', (connack) => this.#onConnect(connack));
    client.on('close', () => this.#onClose());
    client.on('error', (err) => {
      this.#lastError = err;
      this.#ctx.log.warn({ url: safeUrl(this.#config.url), err: err.message }, 'MQTT client error');
    });
    await first;
  }

  protected async _close(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) this.#ctx.clock.clear(this.#timer);
    this.#timer = undefined;
    // Messages held by pause() are delivered, as the broker source does at close.
    const held = this.#held;
    this.#held = [];
    for (const deliver of held) deliver();
    const client = this.#client;
    if (client) await client.endAsync(!client.connected);
    this.#connected = false;
    this.#ctx.log.info({ url: safeUrl(this.#config.url) }, 'MQTT client closed');
  }

  #onConnect(connack: IConnackPacket): void {
    const client = this.#client!;
    this.#connected = true;
    this.#attempt = 0;
    this.#lastError = undefined;
    if (this.#paused) client.stream.pause();
    this.#ctx.log.info({ url: safeUrl(this.#config.url), sessionPresent: connack.sessionPresent }, 'MQTT client connected');
    // MQTT 3.1.1 §3.2.2.2: with a session present the broker still holds our subscription. The
    // first connection of a process subscribes anyway (§3.8.4: it replaces an identical one), in
    // case the session predates a change of topicPrefix.
    if (connack.sessionPresent && this.#established) return;
    client.subscribe(this.#filter, { qos: this.#config.qos }, (err, granted) => {
      // MQTT 3.1.1 §3.9.3: 0x80 in the SUBACK is a refusal (MQTT.js reports it as an error).
      if (err || !granted?.length) {
        this.#m.subscribeErrors.inc();
        const error = codedError('ERR_MQTT_SUBSCRIBE', [safeUrl(this.#config.url), this.#filter, err?.message ?? 'no SUBACK'], { cause: err });
        this.#ctx.log.error({ code: error.code, err: error.message }, 'MQTT subscription failed');
        return this.#settleFirst(error);
      }
      this.#settleFirst();
    });
  }

  #onClose(): void {
    this.#connected = false;
    if (!this.#established) {
      const cause = this.#lastError;
      const code = (cause as { code?: unknown } | undefined)?.code;
      // CONNACK 4/5 (MQTT 3.1.1 §3.2.2.3) will not get better by retrying.
      const error =
        code === 4 || code === 5
          ? codedError('ERR_AUTH_BAD_CREDENTIALS', [`${this.#config.username ?? '(no user)'} at ${safeUrl(this.#config.url)}`], { cause })
          : codedError('ERR_MQTT_CONNECT', [safeUrl(this.#config.url), cause?.message ?? 'connection closed'], { cause });
      return this.#settleFirst(error);
    }
    if (this.#stopping || this.#timer) return;
    const delay = reconnectDelay(this.#attempt++, this.#backoff);
    this.#ctx.log.warn({ url: safeUrl(this.#config.url), delayMs: delay, attempt: this.#attempt }, 'MQTT client disconnected; reconnecting');
    this.#timer = this.#ctx.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopping) return;
      this.#m.reconnects.inc();
      this.#client?.reconnect();
    }, delay);
  }

  #settleFirst(error?: TributaryError): void {
    const first = this.#first;
    if (!first) return;
    this.#first = undefined;
    if (error) {
      first.reject(error);
    } else {
      this.#established = true;
      first.resolve();
    }
  }

  #onMessage(packet: IPublishPacket, callback: Callback): void {
    if (this.#paused) {
      this.#held.push(() => this.#deliver(packet, callback));
      return;
    }
    this.#deliver(packet, callback);
  }

  #deliver(packet: IPublishPacket, callback: Callback): void {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    this.#m.messages.inc();
    this.#m.bytes.inc(payload.length);
    this.#ctx.emit({ source: SOURCE_NAME, topic: packet.topic, payload, receivedAt: this.#ctx.clock.now() });
    callback();
  }
}
