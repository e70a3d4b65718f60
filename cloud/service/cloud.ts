// One cloud worker: opens, in order, the store (PostgreSQL when `db` is set, else LevelDB in
// dataDir), the ingest (the embedded broker, or a client of an existing broker), then the optional
// parts it is given — the HTTP API, the cloud-side alert rules, anything else — each built from the
// context every part shares (context.ts). Closes them together, in reverse: parts, ingest (the
// messages in flight are stored and acknowledged first), store (pending roll-ups applied).

import { join } from 'node:path';
import type { IntervalHistogram } from 'node:perf_hooks';
import { systemClock, type Clock } from '../../edge/clock/clock.js';
import { codedError } from '../../edge/errors/catalogue.js';
import { Resource, type Status } from '../../edge/lifecycle/resource.js';
import { silentLogger, type Logger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import type { CloudConfig } from '../config/schema.js';
import { EmbeddedBroker } from '../ingest/embedded-broker.js';
import { UplinkIngest } from '../ingest/ingest.js';
import { SharedSubscriber } from '../ingest/shared-subscriber.js';
import type { IngestSource, IngestSourceHealth } from '../ingest/source.js';
import type { CloudStore } from '../store/contract.js';
import { createCloudStore } from '../store/registry.js';
import { CloudBus, type CloudContext } from './context.js';
import { workerProcessMetrics } from './process-metrics.js';

/** Something a part reports for /healthz. */
export interface PartHealth {
  readonly ok: boolean;
  readonly [detail: string]: unknown;
}

/** A part the worker runs beside the ingest (the API server, the alert rules): any resource. */
export interface CloudPart extends Pick<Resource, 'name' | 'status' | 'open' | 'close'>, AsyncDisposable {
  /** One line for the start-up message, e.g. where it listens. */
  describe?(): string;
  health?(): PartHealth;
}

/** What a part can ask of the worker beyond the shared context: its health, for /healthz; publishing to gateways (config and model push). */
export interface CloudHandle {
  health(): CloudHealth;
  /** Publish on the ingest's transport (the embedded broker, or the upstream broker). */
  publish(topic: string, payload: Buffer, options: { qos: 1; retain: boolean }): Promise<void>;
}

/** Builds a part once the store is open and the ingest runs. */
export type CloudPartFactory = (ctx: CloudContext, cloud: CloudHandle) => CloudPart;

export interface CloudOptions {
  readonly clock?: Clock;
  /** Default: a silent logger. */
  readonly log?: Logger;
  /** Default: a new registry (render it for /metrics). */
  readonly metrics?: Registry;
  /** A store to use instead of the one the config names (opened and closed by the worker). */
  readonly store?: CloudStore;
  /** The HTTP API (cloud/api/). */
  readonly api?: CloudPartFactory;
  /** The cloud-side alert rules and notifications (cloud/alerts/). */
  readonly alertRules?: CloudPartFactory;
  /** Further parts, opened after those, in order. */
  readonly parts?: readonly CloudPartFactory[];
}

export interface CloudHealth {
  readonly ok: boolean;
  readonly worker: string;
  readonly status: Status;
  readonly store: { readonly name: string; readonly status: Status };
  readonly ingest: { readonly inFlight: number; readonly source: IngestSourceHealth | null };
  readonly parts: ReadonlyArray<{ readonly name: string; readonly status: Status } & Partial<PartHealth>>;
}

export class Cloud extends Resource implements CloudHandle {
  readonly name: string;
  readonly config: Readonly<CloudConfig>;
  readonly metrics: Registry;
  readonly bus = new CloudBus();
  readonly store: CloudStore;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #options: CloudOptions;
  readonly #parts: CloudPart[] = [];
  #ingest: UplinkIngest | undefined;
  #source: (IngestSource & Partial<Pick<EmbeddedBroker, 'port' | 'tlsPort'>>) | undefined;
  #context: CloudContext | undefined;
  #loopDelay: IntervalHistogram | undefined;

  /** `config` as validated by loadCloudConfig / validateCloudConfig. */
  constructor(config: Readonly<CloudConfig>, options: CloudOptions = {}) {
    super();
    this.config = config;
    this.name = `cloud ${config.cloud.id}`;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLogger();
    this.metrics = options.metrics ?? new Registry();
    this.store = options.store ?? createCloudStore(config.db ?? join(config.dataDir, 'store'), { config: config.store, clock: this.#clock, log: this.#log });
  }

  /** The context every part shares, once open. */
  get context(): CloudContext | undefined {
    return this.#context;
  }

  /** The ingest source: an EmbeddedBroker (with port and tlsPort) or a SharedSubscriber. */
  get source(): (IngestSource & Partial<Pick<EmbeddedBroker, 'port' | 'tlsPort'>>) | undefined {
    return this.#source;
  }

  get parts(): readonly CloudPart[] {
    return this.#parts;
  }

  health(): CloudHealth {
    const source = this.#source?.health() ?? null;
    const parts = this.#parts.map((p) => ({ name: p.name, status: p.status, ...(p.health?.() ?? { ok: p.status === 'open' }) }));
    return {
      ok: this.status === 'open' && this.store.status === 'open' && source?.ok === true && parts.every((p) => p.ok !== false),
      worker: this.config.cloud.id,
      status: this.status,
      store: { name: this.store.name, status: this.store.status },
      ingest: { inFlight: this.#ingest?.inFlight ?? 0, source },
      parts,
    };
  }

  publish(topic: string, payload: Buffer, options: { qos: 1; retain: boolean }): Promise<void> {
    return this.#source ? this.#source.publish(topic, payload, options) : Promise.reject(codedError('ERR_NOT_OPEN', [this.name, this.status]));
  }

  /** Lines for the start-up message: the store, where gateways connect, and what each part says. */
  describe(): string[] {
    return [this.store.name, ...(this.#source ? [this.#source.describe()] : []), ...this.#parts.flatMap((p) => (p.describe ? [p.describe()] : []))];
  }

  protected async _open(): Promise<void> {
    const c = this.config;
    this.#loopDelay = workerProcessMetrics(this.metrics);
    await this.store.open();
    const context: CloudContext = { config: c, store: this.store, clock: this.#clock, log: this.#log, metrics: this.metrics, bus: this.bus };
    const ingest = new UplinkIngest(context);
    await ingest.open();
    this.#ingest = ingest;
    const common = { ingest, clock: this.#clock, log: this.#log, metrics: this.metrics };
    this.#source = c.mqtt.client
      ? new SharedSubscriber({ client: c.mqtt.client, workerId: c.cloud.id, ...common })
      : new EmbeddedBroker({ broker: c.mqtt.broker, gateways: c.gateways, maxInFlight: c.ingest.maxInFlightMessages, ...common });
    await this.#source.open();
    this.#context = context;
    const o = this.#options;
    for (const factory of [o.api, o.alertRules, ...(o.parts ?? [])]) {
      if (factory === undefined) continue;
      const part = factory(context, this);
      this.#parts.push(part);
      await part.open();
    }
    this.#log.info({ worker: c.cloud.id, store: this.store.name, source: this.#source.describe(), parts: this.#parts.map((p) => p.name) }, 'cloud worker open');
  }

  protected async _close(): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (what: string, close: () => Promise<void>) => {
      try {
        await close();
      } catch (err) {
        failures.push(err);
        this.#log.error({ err, what }, 'cloud worker: closing failed');
      }
    };
    for (const part of [...this.#parts].reverse()) await attempt(part.name, () => part.close());
    if (this.#source) await attempt(this.#source.name, () => this.#source!.close());
    if (this.#ingest) await attempt('ingest', () => this.#ingest!.close());
    await attempt(this.store.name, () => this.store.close());
    this.bus.removeAllListeners();
    this.#loopDelay?.disable();
    if (failures.length > 0) throw failures[0];
  }
}
