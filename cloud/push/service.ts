// The cloud's end of config and model push: admins set a desired config or model for the fleet,
// a site or a gateway (the API); the service stores it, publishes it to every gateway it reaches,
// and from each gateway's status reports learns what it runs or why it refused — desired against
// applied, on the bus for the dashboard.
//
// Delivery: QoS 1, not retained, on the gateway's `config` or `model` topic, at once to the gateways
// heard from within alerts.gatewayOfflineMs. The others get it when they report again (a broker
// holding a model for every offline gateway's session would hold it a thousand times): every
// report of a gateway with push is compared with what it should run, and whatever it neither runs
// nor refused is published if it was last sent resendAfterMs ago or more (or never). A
// refused push is not sent again: the same push would be refused again; an admin pushes a fix.
// Retained messages were the other choice: they would hold every gateway's models in the broker's
// memory, and a gateway would fetch them all again on every reconnect.
//
// Status reports reach the service on the bus: the ingest announces a gateway's registry entry,
// with its newest status report, once it has stored one (recordStatus, for a report from elsewhere).
// Mutations and reconciliation run one at a time, so what is marked sent is what was published.

import { createHash, randomBytes } from 'node:crypto';
import { codedError } from '../../edge/errors/catalogue.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import { loadModelFromBytes } from '../../edge/model/onnx-model.js';
import type { CounterChild } from '../../edge/observe/metrics.js';
import { checkLiveKeys, parseOverlay } from '../../edge/push/overlay.js';
import { MAX_CONFIG_DOCUMENT, pushEncoder } from '../../edge/uplink/push-protocol.js';
import type { StatusReport } from '../../edge/uplink/schemas.js';
import type { CloudContext } from '../service/context.js';
import type { DesiredConfig, DesiredEntry, DesiredModel, GatewayRecord, PushRecord, PushSent, PushSlot, PushTarget } from '../store/contract.js';
import { SerialQueue } from '../store/serial-queue.js';
import { PUSH_DEFAULTS, type PushConfig } from './config-keys.js';
import { desiredFor, parseTarget, reaches } from './targets.js';
import { gatewayPushView, slotState, type GatewayPushView } from './views.js';

/** Publish on the cloud's broker (the embedded one, or the worker's client of a cluster); resolves once handed over (QoS 1: the broker has it). */
export type PushPublisher = (topic: string, payload: Buffer, options: { qos: 1; retain: boolean }) => Promise<void>;

export interface PushServiceOptions extends Partial<PushConfig> {
  readonly publish: PushPublisher;
}

export interface ConfigUpload {
  /** A JSON Merge Patch over each gateway's config file, as YAML (default) or JSON text. */
  readonly document: string;
  readonly format?: 'yaml' | 'json';
  /** Default: the push time, ISO 8601. */
  readonly version?: string;
  readonly by: string;
}

export interface ModelUpload {
  readonly onnx: Uint8Array;
  /** The manifest as parsed JSON; its name and version name the push. */
  readonly manifest: unknown;
  readonly by: string;
}

/** What a change did: the entry, and the gateways it reaches now. */
export interface PushChange<E> {
  readonly desired: E;
  readonly gateways: readonly string[];
}

/** What the API asks of the service. */
export interface PushControl {
  setConfig(target: PushTarget, upload: ConfigUpload): Promise<PushChange<DesiredConfig>>;
  setModel(target: PushTarget, upload: ModelUpload): Promise<PushChange<DesiredModel>>;
  clear(target: PushTarget, slot: PushSlot): Promise<{ readonly removed: boolean; readonly gateways: readonly string[] }>;
  desired(): Promise<DesiredEntry[]>;
  views(): Promise<GatewayPushView[]>;
  /** Undefined for a gateway the cloud config does not list. */
  view(gateway: string): Promise<GatewayPushView | undefined>;
  /** Largest ONNX model accepted (bytes). */
  readonly maxModelBytes: number;
}

/** The factory the Cloud resource takes as a part: `cloudPush({ publish })`. */
export const cloudPush =
  (options: PushServiceOptions) =>
  (ctx: CloudContext): PushService =>
    new PushService(ctx, options);

export class PushService extends Resource implements PushControl {
  readonly name = 'cloud-push';
  readonly maxModelBytes: number;
  readonly #ctx: CloudContext;
  readonly #publish: PushPublisher;
  readonly #resendAfterMs: number;
  readonly #queue = new SerialQueue();
  readonly #published: Record<'config' | 'model', CounterChild>;
  readonly #failures: CounterChild;
  readonly #reports: CounterChild;
  /** Gateway clock of the newest report handled per gateway: the bus announces a registry entry more than once. */
  readonly #handled = new Map<string, number>();
  readonly #onGateway = (record: GatewayRecord): void => {
    if (record.status) void this.recordStatus(record.id, record.status);
  };
  /** The last entry's message encoder: a push to many gateways compresses its bulk once. */
  #lastEncoder: { id: string; encode: (gateway: string) => { topic: string; payload: Buffer } } | undefined;

  constructor(ctx: CloudContext, options: PushServiceOptions) {
    super();
    this.#ctx = ctx;
    this.#publish = options.publish;
    // The cloud config's `push` section once its schema takes PushConfigSchema (config-keys.ts); options win.
    const configured = (ctx.config as { readonly push?: Partial<PushConfig> }).push;
    this.#resendAfterMs = options.resendAfterMs ?? configured?.resendAfterMs ?? PUSH_DEFAULTS.resendAfterMs;
    this.maxModelBytes = options.maxModelBytes ?? configured?.maxModelBytes ?? PUSH_DEFAULTS.maxModelBytes;
    const m = ctx.metrics;
    const published = m.counter('tributary_cloud_push_published_total', 'Config and model pushes published to a gateway (first sends and sends again), by kind', ['kind']);
    this.#published = { config: published.labels('config'), model: published.labels('model') };
    this.#failures = m.counter('tributary_cloud_push_publish_failures_total', 'Pushes that could not be handed to the broker (sent again on the gateway\'s next report)').labels();
    this.#reports = m.counter('tributary_cloud_push_reports_total', 'Status reports that said what a gateway runs').labels();
  }

  protected async _open(): Promise<void> {
    this.#ctx.bus.on('gateway', this.#onGateway);
  }

  protected async _close(): Promise<void> {
    this.#ctx.bus.off('gateway', this.#onGateway);
    await this.#queue.idle();
  }

  /** Every gateway the cloud config lists (the ingest takes no other). */
  get #gateways(): string[] {
    return Object.keys(this.#ctx.config.gateways).sort();
  }

  async setConfig(target: PushTarget, upload: ConfigUpload): Promise<PushChange<DesiredConfig>> {
    parseTarget(target, this.#ctx.config.gateways);
    const format = upload.format ?? 'yaml';
    checkConfigDocument(upload.document, format, upload.version ?? '(new)');
    const now = this.#ctx.clock.now();
    const desired: DesiredConfig = { kind: 'config', target, id: newId(), version: upload.version ?? new Date(now).toISOString(), pushedBy: upload.by, pushedAt: now, format, document: upload.document };
    return this.#change(desired, () => this.#ctx.store.putDesired(desired));
  }

  async setModel(target: PushTarget, upload: ModelUpload): Promise<PushChange<DesiredModel>> {
    parseTarget(target, this.#ctx.config.gateways);
    if (upload.onnx.length > this.maxModelBytes) throw codedError('ERR_PUSH_TOO_LARGE', ['ONNX model', upload.onnx.length, this.maxModelBytes]);
    // Everything a gateway can check without its own windows: the manifest, the graph against it, a trial run.
    const model = await loadModelFromBytes(upload.onnx, upload.manifest);
    await model.close();
    const { name, version } = model.manifest;
    const now = this.#ctx.clock.now();
    const sha256 = createHash('sha256').update(upload.onnx).digest('hex');
    const manifest = upload.manifest as Record<string, unknown>;
    const desired: DesiredModel = { kind: 'model', target, id: newId(), version, pushedBy: upload.by, pushedAt: now, name, sha256, size: upload.onnx.length, manifest };
    return this.#change(desired, () => this.#ctx.store.putDesired(desired, upload.onnx));
  }

  async clear(target: PushTarget, slot: PushSlot): Promise<{ removed: boolean; gateways: readonly string[] }> {
    const gateways = this.#gateways.filter((g) => reaches(target, g, this.#ctx.config.gateways));
    return this.#queue.run(async () => {
      const removed = await this.#ctx.store.deleteDesired(target, slot);
      // A broader target's entry may now apply: reconcile sends it where it is not yet run.
      if (removed) await this.#reconcileAll(gateways);
      return { removed, gateways };
    });
  }

  desired(): Promise<DesiredEntry[]> {
    return this.#ctx.store.desired();
  }

  async views(): Promise<GatewayPushView[]> {
    const [entries, records] = await Promise.all([this.#ctx.store.desired(), this.#records()]);
    return this.#gateways.map((g) => this.#view(g, entries, records.get(g)));
  }

  async view(gateway: string): Promise<GatewayPushView | undefined> {
    if (!Object.hasOwn(this.#ctx.config.gateways, gateway)) return undefined;
    const [entries, records] = await Promise.all([this.#ctx.store.desired(), this.#records()]);
    return this.#view(gateway, entries, records.get(gateway));
  }

  /**
   * A gateway's status report: record what it runs, send again what it should run and does not
   * (within resendAfterMs), and announce its view on the bus. The ingest's registry announcements
   * come here on their own; call it for reports that arrive another way. A report without
   * `applied` (a gateway without push), or not newer than one handled, changes nothing. Never
   * rejects: a failure is logged, and the next report tries again.
   */
  recordStatus(gateway: string, status: Pick<StatusReport, 'at' | 'applied'>): Promise<void> {
    const applied = status.applied;
    if (applied === undefined || !Object.hasOwn(this.#ctx.config.gateways, gateway)) return Promise.resolve();
    if ((this.#handled.get(gateway) ?? -Infinity) >= status.at) return Promise.resolve();
    this.#handled.set(gateway, status.at);
    this.#reports.inc();
    return this.#queue
      .run(async () => {
        const [record] = await this.#ctx.store.upsertPushRecords([{ gateway, applied, reportedAt: status.at }]);
        const entries = await this.#ctx.store.desired();
        await this.#reconcile(gateway, entries, record!);
      })
      .catch((err: unknown) => this.#ctx.log.error({ err, gateway }, 'push: recording a status report failed'));
  }

  async #change<E extends DesiredEntry>(desired: E, store: () => Promise<void>): Promise<PushChange<E>> {
    const gateways = this.#gateways.filter((g) => reaches(desired.target, g, this.#ctx.config.gateways));
    await this.#queue.run(async () => {
      await store();
      this.#ctx.log.info({ target: desired.target, kind: desired.kind, id: desired.id, version: desired.version, by: desired.pushedBy, gateways: gateways.length }, 'push: desired state set');
      await this.#reconcileAll(gateways);
    });
    return { desired, gateways };
  }

  /** After a change of desired state: reconcile every gateway it touches; those not heard from lately wait for their next report. */
  async #reconcileAll(gateways: readonly string[]): Promise<void> {
    const [entries, records, registry] = await Promise.all([this.#ctx.store.desired(), this.#records(), this.#ctx.store.gateways()]);
    const since = this.#ctx.clock.now() - this.#ctx.config.alerts.gatewayOfflineMs;
    const online = new Set(registry.filter((g) => g.lastSeen > since).map((g) => g.id));
    for (const g of gateways) await this.#reconcile(g, entries, records.get(g) ?? { gateway: g, applied: null, reportedAt: null, sent: {} }, online.has(g));
  }

  /** Publish what `gateway` should run and neither runs nor refused, unless it was sent recently (or `send` is false); then announce its view. */
  async #reconcile(gateway: string, entries: readonly DesiredEntry[], record: PushRecord, send = true): Promise<void> {
    const now = this.#ctx.clock.now();
    const sent: Record<PushSlot, PushSent> = {};
    for (const [slot, entry] of send ? desiredFor(gateway, entries, this.#ctx.config.gateways) : []) {
      const running = entry.kind === 'config' ? record.applied?.config.id : record.applied?.models.find((m) => m.name === entry.name)?.id;
      const { state } = slotState(entry, record.applied, running);
      if (state === 'applied' || state === 'refused') continue;
      const last = record.sent[slot];
      if (last?.id === entry.id && now - last.at < this.#resendAfterMs) continue;
      if (await this.#send(gateway, entry)) sent[slot] = { id: entry.id, at: now };
    }
    const [updated] = Object.keys(sent).length > 0 ? await this.#ctx.store.upsertPushRecords([{ gateway, sent }]) : [record];
    this.#ctx.bus.emit('push', this.#view(gateway, entries, updated));
  }

  async #send(gateway: string, entry: DesiredEntry): Promise<boolean> {
    try {
      const encode = await this.#encoder(entry);
      if (encode === undefined) return false;
      const { topic, payload } = encode(gateway);
      await this.#publish(topic, payload, { qos: 1, retain: false });
      this.#published[entry.kind].inc();
      this.#ctx.log.info({ gateway, kind: entry.kind, id: entry.id, version: entry.version, bytes: payload.length }, 'push: published');
      return true;
    } catch (err) {
      this.#failures.inc();
      this.#ctx.log.warn({ err, gateway, kind: entry.kind, id: entry.id }, 'push: publishing failed; sent again on the gateway\'s next report');
      return false;
    }
  }

  async #encoder(entry: DesiredEntry): Promise<((gateway: string) => { topic: string; payload: Buffer }) | undefined> {
    if (this.#lastEncoder?.id === entry.id) return this.#lastEncoder.encode;
    const common = { id: entry.id, version: entry.version, target: entry.target, pushedBy: entry.pushedBy, pushedAt: entry.pushedAt };
    let encode: (gateway: string) => { topic: string; payload: Buffer };
    if (entry.kind === 'config') {
      encode = pushEncoder({ kind: 'config', ...common, format: entry.format, document: entry.document });
    } else {
      const bytes = await this.#ctx.store.modelBytes(entry.sha256);
      if (bytes === undefined) return undefined; // replaced meanwhile
      encode = pushEncoder({ kind: 'model', ...common, name: entry.name, sha256: entry.sha256, manifest: entry.manifest, onnx: bytes.toString('base64') });
    }
    this.#lastEncoder = { id: entry.id, encode };
    return encode;
  }

  async #records(): Promise<Map<string, PushRecord>> {
    return new Map((await this.#ctx.store.pushRecords()).map((r) => [r.gateway, r]));
  }

  #view(gateway: string, entries: readonly DesiredEntry[], record: PushRecord | undefined): GatewayPushView {
    const site = this.#ctx.config.gateways[gateway]?.site ?? null;
    return gatewayPushView(gateway, site, desiredFor(gateway, entries, this.#ctx.config.gateways), record);
  }
}

const newId = (): string => randomBytes(16).toString('hex');

/** What the cloud can check of a config document without a gateway's file: size, syntax, a mapping of live keys only. */
function checkConfigDocument(document: string, format: 'yaml' | 'json', version: string): void {
  const bytes = Buffer.byteLength(document);
  if (bytes > MAX_CONFIG_DOCUMENT) throw codedError('ERR_PUSH_TOO_LARGE', ['config document', bytes, MAX_CONFIG_DOCUMENT]);
  checkLiveKeys(parseOverlay(document, format, version));
}
