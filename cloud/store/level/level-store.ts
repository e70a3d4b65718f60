// The embedded cloud store: LevelDB (classic-level) in one folder. Writes run one at a time, each
// one synchronous atomic batch (ingest batches arriving meanwhile join into one); roll-up passes
// run beside them from a snapshot. The device registry and hot roll-up buckets stay in memory, so
// a steady ingest batch reads LevelDB only to look its ids up, and a pass writes each hot bucket
// once for all the batches since the last pass.

import { mkdir } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import type { Summary } from '../../../edge/features/summary.js';
import { codedError } from '../../../edge/errors/catalogue.js';
import { Resource } from '../../../edge/lifecycle/resource.js';
import type { RollupStats } from '../../rollup/engine.js';
import type { OperatorMove } from '../alert-lifecycle.js';
import { BucketCache } from '../bucket-cache.js';
import type {
  AlertFilter, AlertUpsertResult, CloudAlertEvent, CloudStore, DeadLetterInput, DeadLetterQuery, DesiredEntry, DeviceFilter, DeviceRecord, DeviceUpdate, GatewayRecord,
  GatewayUpdate, IngestResult, OperatorAction, PushRecord, PushSlot, PushTarget, PushUpdate, RawSnippetQuery, RawSnippetResult, RetentionReport, RollupRecord,
  SeriesPoint, SeriesQuery, StoredAlert, StoredDeadLetter, StoredRawSnippet, StoredSummary, SummaryQuery,
} from '../contract.js';
import { checkDesired } from '../push-merge.js';
import type { RawSnippet } from '../../../edge/uplink/schemas.js';
import { resolveOptions, type CloudStoreOptions, type ResolvedOptions } from '../options.js';
import { checkSummaries } from '../ingest-plan.js';
import { deviceMatches } from '../registry-merge.js';
import { RollupScheduler } from '../rollup-scheduler.js';
import { SerialQueue } from '../serial-queue.js';
import { GroupCommit, MAX_GROUP } from '../group-commit.js';
import type { Db } from './keyspace.js';
import { layoutOf, type Layout } from './layout.js';
import { getAlert, listAlertsLevel, operatorLevel, upsertAlertsLevel } from './level-alerts.js';
import { ingestLevel, loadPending, passLevel, type PendingEntry } from './level-ingest.js';
import {
  addDeadLettersLevel, deadLettersLevel, loadRegistry, nextDeadLetterSeq, rollupsLevel, seriesLevel, summariesLevel, upsertDevicesLevel, upsertGatewaysLevel,
} from './level-records.js';
import { putRawLevel, rawSnippetsLevel } from './level-raw.js';
import { retentionLevel } from './level-retention.js';
import { changeDesiredLevel, desiredLevel, pushRecordsLevel, upsertPushRecordsLevel } from './level-push.js';

export class LevelCloudStore extends Resource implements CloudStore {
  readonly name: string;
  readonly rollupStats: RollupStats = { passes: 0, incremental: 0, recomputed: 0 };
  readonly #o: ResolvedOptions;
  readonly #queue = new SerialQueue();
  /**
   * Alert writes (gateways' events, operators' moves) one at a time on a queue of their own: alert
   * records are keys no other write touches, so an alert never waits for a group of summaries to
   * be planned and written, and reaches the live stream (which hears it once decided, its write on
   * the way) beside them.
   */
  readonly #alertQueue = new SerialQueue();
  /** The latest alert upsert: alert reads wait for it, so an alert the bus announced before its write ended can be read. */
  #alertWrite: Promise<unknown> = Promise.resolve();
  /**
   * Roll-up passes and retention, one at a time, beside the writes: a pass reads a snapshot taken
   * with its pending work, and only passes write buckets, so ingest never waits for a pass.
   */
  readonly #passes = new SerialQueue();
  readonly #cache: BucketCache;
  #db: Db | undefined;
  #layout: Layout | undefined;
  #gateways = new Map<string, GatewayRecord>();
  #devices = new Map<string, DeviceRecord>();
  #deadSeq = 0;
  /** Roll-up work written by ingest batches and not yet applied, oldest first. */
  #pending: PendingEntry[] = [];
  #pendSeq = 0;
  readonly #scheduler: RollupScheduler;
  readonly #ingest = new GroupCommit<Summary, IngestResult>(this.#queue, (batch) => this.#ingestGroup(batch), MAX_GROUP);

  constructor(
    readonly dir: string,
    options: CloudStoreOptions = {},
  ) {
    super();
    this.name = `cloud-store level:${dir}`;
    this.#o = resolveOptions(options);
    this.#cache = new BucketCache(this.#o.config.cache.maxBuckets);
    const r = this.#o.config.rollups;
    this.#scheduler = new RollupScheduler({
      clock: this.#o.clock,
      intervalMs: r.flushIntervalMs,
      maxPending: r.maxPendingWindows,
      pass: () => this.#passes.run(() => this.#pass()).then(() => true),
      ...(this.#o.log ? { log: this.#o.log } : {}),
    });
  }

  get cache(): BucketCache {
    return this.#cache;
  }

  protected async _open(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      const db: Db = new ClassicLevel<Buffer, Buffer>(this.dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
      await db.open();
      this.#db = db;
    } catch (err) {
      throw codedError('ERR_STORE_OPEN', [this.dir, (err as Error).cause ? String((err as Error).cause) : (err as Error).message], { cause: err });
    }
    this.#layout = layoutOf(this.#db);
    this.#gateways = await loadRegistry<GatewayRecord>(this.#layout.gw);
    this.#devices = await loadRegistry<DeviceRecord>(this.#layout.device);
    this.#deadSeq = await nextDeadLetterSeq(this.#layout);
    // Work a crash left pending is applied by the first pass.
    this.#pending = await loadPending(this.#layout);
    this.#pendSeq = (this.#pending[this.#pending.length - 1]?.seq ?? -1) + 1;
    this.#scheduler.added(this.#pending.reduce((n, e) => n + e.windows, 0));
  }

  protected async _close(): Promise<void> {
    this.#scheduler.close();
    await Promise.all([this.#queue.idle(), this.#alertQueue.idle()]);
    // Pending work is durable; applying it now spares the next open the wait.
    if (this.#db && this.#pending.length) await this.#passes.run(() => this.#pass()).catch(() => {});
    await this.#passes.idle();
    this.#cache.clear();
    await this.#db?.close();
  }

  #ready(): { db: Db; layout: Layout } {
    this.assertOpen();
    return { db: this.#db!, layout: this.#layout! };
  }

  /** Run a write after every earlier one on its queue (the alerts' or everything else's), on an open store. */
  #write<T>(job: (db: Db, layout: Layout) => Promise<T>, queue = this.#queue): Promise<T> {
    try {
      const { db, layout } = this.#ready();
      return queue.run(() => job(db, layout));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #read<T>(job: (layout: Layout) => Promise<T>): Promise<T> {
    return job(this.#ready().layout);
  }

  async ingestSummaries(batch: readonly Summary[]): Promise<IngestResult[]> {
    this.#ready();
    checkSummaries(batch);
    const results = await this.#ingest.submit(batch);
    await this.#scheduler.relieve();
    return results;
  }

  /** One group of batches (runs in the write queue). */
  async #ingestGroup(batch: readonly Summary[]): Promise<IngestResult[]> {
    const { db, layout } = this.#ready();
    const { results, pending } = await ingestLevel({ db, layout, plan: this.#o.plan, config: this.#o.config, devices: this.#devices }, batch, this.#o.clock.now(), this.#pendSeq);
    if (pending) {
      this.#pending.push(pending);
      this.#pendSeq++;
      this.#scheduler.added(pending.windows);
    }
    return results;
  }

  async flushRollups(): Promise<void> {
    this.#ready();
    await this.#scheduler.flush();
  }

  /** Apply every pending entry committed so far (runs in the passes queue). */
  async #pass(): Promise<void> {
    const db = this.#db!;
    const layout = this.#layout!;
    // Between writes, the snapshot holds exactly the summaries of the entries taken with it.
    const { snapshot, entries } = await this.#queue.run(async () => ({ snapshot: db.snapshot(), entries: [...this.#pending] }));
    try {
      await passLevel({ db, layout, cache: this.#cache, plan: this.#o.plan, stats: this.rollupStats }, entries, snapshot);
    } finally {
      await snapshot.close();
    }
    const done = new Set(entries.map((e) => e.seq));
    this.#pending = this.#pending.filter((e) => !done.has(e.seq));
  }

  summaries(query: SummaryQuery): Promise<StoredSummary[]> {
    return this.#read((layout) => summariesLevel(layout, query));
  }

  series(query: SeriesQuery): Promise<SeriesPoint[]> {
    return this.#read((layout) => seriesLevel(layout, this.#o.plan.relativeAccuracy, query));
  }

  async *rollups(): AsyncIterable<RollupRecord> {
    yield* rollupsLevel(this.#ready().layout, this.#o.plan.relativeAccuracy);
  }

  upsertAlerts(events: readonly CloudAlertEvent[], onDecided?: (results: readonly AlertUpsertResult[]) => void): Promise<AlertUpsertResult[]> {
    const upsert = this.#write((db, layout) => upsertAlertsLevel(db, layout, events, this.#o.clock.now(), onDecided), this.#alertQueue);
    this.#alertWrite = upsert.catch(() => {});
    return upsert;
  }

  acknowledgeAlert(id: string, action: OperatorAction): Promise<StoredAlert> {
    return this.#operator(id, 'acknowledge', action);
  }

  resolveAlert(id: string, action: OperatorAction): Promise<StoredAlert> {
    return this.#operator(id, 'resolve', action);
  }

  #operator(id: string, move: OperatorMove, action: OperatorAction): Promise<StoredAlert> {
    return this.#write((db, layout) => operatorLevel(db, layout, id, move, action, this.#o.clock.now()), this.#alertQueue);
  }

  async alert(id: string): Promise<StoredAlert | undefined> {
    await this.#alertWrite;
    return this.#read((layout) => getAlert(layout, id));
  }

  async alerts(filter: AlertFilter = {}): Promise<StoredAlert[]> {
    await this.#alertWrite;
    return this.#read((layout) => listAlertsLevel(layout, filter));
  }

  upsertGateways(updates: readonly GatewayUpdate[]): Promise<void> {
    return this.#write((db, layout) => upsertGatewaysLevel(db, layout, this.#gateways, updates));
  }

  async gateways(): Promise<GatewayRecord[]> {
    this.#ready();
    return [...this.#gateways.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  upsertDevices(updates: readonly DeviceUpdate[]): Promise<void> {
    return this.#write((db, layout) => upsertDevicesLevel(db, layout, this.#devices, updates));
  }

  async devices(filter: DeviceFilter = {}): Promise<DeviceRecord[]> {
    this.#ready();
    return [...this.#devices.values()].filter((d) => deviceMatches(d, filter)).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async putDesired(entry: DesiredEntry, onnx?: Uint8Array): Promise<void> {
    checkDesired(entry, onnx);
    await this.#write((db, layout) => changeDesiredLevel(db, layout, { put: entry, ...(onnx ? { onnx } : {}) }));
  }

  deleteDesired(target: PushTarget, slot: PushSlot): Promise<boolean> {
    return this.#write((db, layout) => changeDesiredLevel(db, layout, { del: { target, slot } }));
  }

  desired(): Promise<DesiredEntry[]> {
    return this.#read((layout) => desiredLevel(layout));
  }

  modelBytes(sha256: string): Promise<Buffer | undefined> {
    return this.#read((layout) => layout.pushm.get(sha256));
  }

  upsertPushRecords(updates: readonly PushUpdate[]): Promise<PushRecord[]> {
    return this.#write((db, layout) => upsertPushRecordsLevel(db, layout, updates));
  }

  pushRecords(): Promise<PushRecord[]> {
    return this.#read((layout) => pushRecordsLevel(layout));
  }

  putRawSnippets(snippets: readonly RawSnippet[]): Promise<RawSnippetResult[]> {
    return this.#write((db, layout) => putRawLevel(db, layout, snippets, this.#o.clock.now()));
  }

  rawSnippets(query: RawSnippetQuery = {}): Promise<StoredRawSnippet[]> {
    return this.#read((layout) => rawSnippetsLevel(layout, query));
  }

  addDeadLetters(entries: readonly DeadLetterInput[]): Promise<void> {
    return this.#write(async (db, layout) => {
      this.#deadSeq = await addDeadLettersLevel(db, layout, this.#deadSeq, entries);
    });
  }

  deadLetters(query: DeadLetterQuery = {}): Promise<StoredDeadLetter[]> {
    return this.#read((layout) => deadLettersLevel(layout, query));
  }

  async applyRetention(now = this.#o.clock.now()): Promise<RetentionReport> {
    // Pending work first, so no pass recreates a bucket retention has just deleted.
    const { db, layout } = this.#ready();
    return this.#passes.run(async () => {
      await this.#pass();
      return retentionLevel(db, layout, this.#cache, this.#o.config, now);
    });
  }
}
