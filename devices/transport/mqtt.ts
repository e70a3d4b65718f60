// MQTT transport: one real MQTT.js connection per simulated device, as a real fleet has, with
// clientId = username = the device id. Publishes to <topicPrefix>/<device>.
//
// A message counts as delivered once MQTT.js handed it to the socket (QoS 0: write() accepted it
// below the high-water mark, or the socket drained) or the broker acknowledged it (QoS 1: PUBACK,
// MQTT 3.1.1 §4.3.2). A device is not writable while its socket needs to drain, its QoS 1
// in-flight limit is reached, or it is reconnecting, so memory stays bounded.

import type { Socket } from 'node:net';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { codedError } from '../../edge/errors/catalogue.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import type { DeviceMessage } from '../message.js';
import { encodeJson, type Encode } from './codec.js';
import type { Delivered, Endpoint, Transport, TransportHealth } from './contract.js';

export interface MqttTransportOptions {
  /** mqtt:// or mqtts:// URL of the broker (the gateway's embedded broker, or another). */
  readonly url: string;
  readonly topicPrefix: string;
  readonly devices: readonly string[];
  /** 0 or 1 (default 0). */
  readonly qos?: 0 | 1;
  /** QoS 1: unacknowledged publishes per device before it stops being writable (default 100). */
  readonly maxInFlight?: number;
  /** Delay before a lost connection is retried (ms, default 1000). */
  readonly reconnectMs?: number;
  /** A device's password, or undefined to connect without credentials. */
  readonly password?: (device: string) => string | undefined;
  /** Connections opened at once while connecting the fleet (default 64). */
  readonly connectConcurrency?: number;
  /** How long one connection may take to be accepted (ms, default 10000). */
  readonly connectTimeoutMs?: number;
  readonly encode?: Encode;
}

export class MqttTransport extends Resource implements Transport {
  readonly name: string;
  readonly #o: MqttTransportOptions;
  readonly #endpoints = new Map<string, MqttEndpoint>();
  #errors = 0;

  constructor(options: MqttTransportOptions) {
    super();
    if (!/^mqtts?:\/\//.test(options.url)) throw new TypeError(`not an mqtt:// or mqtts:// URL: ${options.url}`);
    this.#o = options;
    this.name = `mqtt ${options.url}`;
    for (const device of options.devices) this.#endpoints.set(device, new MqttEndpoint(device, options));
  }

  endpoint(device: string): Endpoint {
    const e = this.#endpoints.get(device);
    if (!e) throw new TypeError(`device ${device} is not on ${this.name}`);
    return e;
  }

  health(): TransportHealth {
    let connected = 0;
    for (const e of this.#endpoints.values()) if (e.client?.connected) connected++;
    return { devices: this.#endpoints.size, connected, errors: this.#errors };
  }

  describe(): string[] {
    const n = this.#endpoints.size;
    return [`mqtt: ${n} device${n === 1 ? '' : 's'} publishing to ${this.#o.url} on ${this.#o.topicPrefix}/<device> at QoS ${this.#o.qos ?? 0}`];
  }

  protected async _open(): Promise<void> {
    const queue = [...this.#endpoints.values()];
    let next = 0;
    let failure: unknown;
    // A bounded pool of connects; after the first failure no new ones start, and the open ones are
    // closed by Resource (which calls _close once open() rejects).
    const worker = async () => {
      while (next < queue.length && failure === undefined) {
        try {
          await queue[next++]!.connect(() => this.#errors++);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(queue.length, this.#o.connectConcurrency ?? 64) }, worker));
    if (failure !== undefined) throw failure;
  }

  protected async _close(): Promise<void> {
    await Promise.all([...this.#endpoints.values()].map((e) => e.end()));
  }
}

class MqttEndpoint implements Endpoint {
  client: MqttClient | undefined;
  readonly #topic: string;
  readonly #qos: 0 | 1;
  readonly #maxInFlight: number;
  readonly #encode: Encode;
  #inFlight = 0;
  #ending = false;
  /** QoS 0 publishes waiting for the socket to drain: failed if the connection closes first. */
  readonly #waiting = new Set<Delivered>();

  constructor(
    readonly device: string,
    readonly options: MqttTransportOptions,
  ) {
    this.#topic = `${options.topicPrefix}/${device}`;
    this.#qos = options.qos ?? 0;
    this.#maxInFlight = options.maxInFlight ?? 100;
    this.#encode = options.encode ?? encodeJson;
  }

  get writable(): boolean {
    const c = this.client;
    return c !== undefined && c.connected && !(c.stream as Socket).writableNeedDrain && this.#inFlight < this.#maxInFlight;
  }

  send(message: DeviceMessage, delivered: Delivered): void {
    const client = this.client;
    if (!client) throw new TypeError(`${this.device} is not connected`);
    let settled = false;
    const settle: Delivered = (err) => {
      if (settled) return;
      settled = true;
      this.#inFlight--;
      this.#waiting.delete(settle);
      delivered(err);
    };
    this.#inFlight++;
    client.publish(this.#topic, this.#encode(message), { qos: this.#qos }, settle);
    if (!settled && this.#qos === 0) this.#waiting.add(settle);
  }

  async connect(onError: () => void): Promise<void> {
    const password = this.options.password?.(this.device);
    const opts: IClientOptions = {
      clientId: this.device,
      ...(password !== undefined ? { username: this.device, password } : {}),
      reconnectPeriod: this.options.reconnectMs ?? 1000,
      connectTimeout: this.options.connectTimeoutMs ?? 10_000,
      // Never let MQTT.js queue readings while offline: the endpoint is simply not writable then.
      queueQoSZero: false,
      keepalive: 30,
    };
    try {
      // allowRetries false: a refused or failed first connection rejects instead of retrying forever.
      this.client = await connectAsync(this.options.url, opts, false);
    } catch (err) {
      onError();
      throw codedError('ERR_MQTT_CONNECT', [`${this.options.url} as ${this.device}`, (err as Error).message], { cause: err });
    }
    const client = this.client;
    // Reconnects are MQTT.js's job; here a lost connection is counted and its QoS 0 waiters failed.
    client.on('error', () => {});
    client.on('close', () => {
      if (this.#ending) return;
      onError();
      for (const settle of [...this.#waiting]) settle(new Error(`connection of ${this.device} closed before the socket took the message`));
    });
  }

  async end(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.#ending = true;
    // The fleet already waited for acknowledgements; whatever QoS 1 publish is still out fails now.
    // Without one, end gracefully: DISCONNECT (MQTT 3.1.1 §3.14) after the bytes already written.
    await client.endAsync(Object.keys(client.outgoing).length > 0).catch(() => {});
    for (const settle of [...this.#waiting]) settle(new Error(`transport closed before ${this.device}'s socket took the message`));
  }
}
