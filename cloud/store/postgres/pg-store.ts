// The cloud store on PostgreSQL (`postgres://...`), for when one machine is not enough: several
// cloud workers share one database. Schema migrations run at open. Ingest batches take turns on
// one advisory lock (de-duplication across workers) and roll-up passes on another — what scales
// out is the work around them (MQTT, validation); each batch stays one short transaction of a few
// multi-row statements, and each pass writes a hot bucket once for all the batches before it.

import pg from 'pg';
import type { Summary } from '../../../edge/features/summary.js';
import { codedError } from '../../../edge/errors/catalogue.js';
import { Resource } from '../../../edge/lifecycle/resource.js';
import type { RollupStats } from '../../rollup/engine.js';
import type { PendingRollup } from '../../rollup/pending.js';
import type { OperatorMove } from '../alert-lifecycle.js';
import { BucketCache } from '../bucket-cache.js';
import type {
  AlertFilter, AlertUpsertResult, CloudAlertEvent, CloudStore, DeadLetterInput, DeadLetterQuery, DesiredEntry, DeviceFilter, DeviceRecord, DeviceUpdate, GatewayRecord,
  GatewayUpdate, IngestResult, OperatorAction, PushRecord, PushSlot, PushTarget, PushUpdate, RawSnippetQuery, RawSnippetResult, RetentionReport, RollupRecord,
  SeriesPoint, SeriesQuery, StoredAlert, StoredDeadLetter, StoredRawSnippet, StoredSummary, SummaryQuery,
} from '../contract.js';
import { checkDesired } from '../push-merge.js';
import type { RawSnippet } from '../../../edge/uplink/schemas.js';
import { checkSummaries } from '../ingest-plan.js';
import { resolveOptions, type CloudStoreOptions, type ResolvedOptions } from '../options.js';
import { RollupScheduler } from '../rollup-scheduler.js';
import { SerialQueue } from '../serial-queue.js';
import { GroupCommit, MAX_GROUP } from '../group-commit.js';
import { migrate } from './migrations.js';
import { alertsById, listAlertsPg, operatorPg, upsertAlertsPg } from './pg-alerts.js';
import { ingestPg, OWN_MAX, passPg, withRollupLock, type PgPassContext } from './pg-ingest.js';
import { addDeadLettersPg, deadLettersPg, devicesPg, gatewaysPg, retentionPg, rollupsPg, seriesPg, summariesPg, upsertDevicesPg, upsertGatewaysPg } from './pg-records.js';
import { changeDesiredPg, desiredPg, modelBytesPg, pushRecordsPg, upsertPushRecordsPg } from './pg-push.js';
import { putRawPg, rawSnippetsPg } from './pg-raw.js';
import { pgTypes } from './pg-sql.js';

export interface PgStoreOptions extends CloudStoreOptions {
  /** Connections in the pool (default 4). */
  readonly poolSize?: number;
}

export class PgCloudStore extends Resource implements CloudStore {
  readonly name: string;
  readonly rollupStats: RollupStats = { passes: 0, incremental: 0, recomputed: 0 };
  readonly #url: string;
  readonly #o: ResolvedOptions;
  readonly #poolSize: number;
  /** This worker's writes, one at a time in call order (other workers wait on advisory locks). */
  readonly #queue = new SerialQueue();
  /**
   * Roll-up passes and retention, one at a time, beside the writes: a pass reads one REPEATABLE
   * READ snapshot and touches no row an ingest writes, so the two proceed at once on two connections.
   */
  readonly #passes = new SerialQueue();
  readonly #cache: BucketCache;
  readonly #epoch: { value: number | undefined } = { value: undefined };
  readonly #own = new Map<number, PendingRollup>();
  #pool: pg.Pool | undefined;
  readonly #scheduler: RollupScheduler;
  readonly #ingest = new GroupCommit<Summary, IngestResult>(this.#queue, (batch) => this.#ingestGroup(batch), MAX_GROUP);
  /** The latest alert upsert: alert reads wait for it, so an alert the bus announced before its commit can be read. */
  #alertWrite: Promise<unknown> = Promise.resolve();

  constructor(url: string, options: PgStoreOptions = {}) {
    super();
    this.#url = url;
    this.name = `cloud-store ${redact(url)}`;
    this.#o = resolveOptions(options);
    this.#poolSize = options.poolSize ?? 4;
    this.#cache = new BucketCache(this.#o.config.cache.maxBuckets);
    const r = this.#o.config.rollups;
    this.#scheduler = new RollupScheduler({
      clock: this.#o.clock,
      intervalMs: r.flushIntervalMs,
      maxPending: r.maxPendingWindows,
      // A timed pass gives way when another worker is passing (it takes this worker's work too).
      pass: () => this.#pass(false),
      ...(this.#o.log ? { log: this.#o.log } : {}),
    });
  }

  get cache(): BucketCache {
    return this.#cache;
  }

  protected async _open(): Promise<void> {
    const pool = new pg.Pool({ connectionString: this.#url, max: this.#poolSize, types: pgTypes });
    // An idle connection that breaks is replaced on next use; the error must not crash the process.
    pool.on('error', () => {});
    this.#pool = pool;
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      throw codedError('ERR_CLOUD_DB_CONNECT', [redact(this.#url), (err as Error).message], { cause: err });
    }
    try {
      await migrate(client, redact(this.#url));
    } finally {
      client.release();
    }
  }

  protected async _close(): Promise<void> {
    this.#scheduler.close();
    // Pending work is durable and any worker's pass applies it; applying this worker's now spares the wait.
    const pool = this.#pool;
    await this.#queue.idle();
    if (pool && this.#scheduler.pending > 0) await this.#passes.run(() => withRollupLock(pool, false, (client) => passPg(client, this.#passContext(pool)))).catch(() => {});
    await this.#passes.idle();
    this.#cache.clear();
    await this.#pool?.end();
  }

  #pg(): pg.Pool {
    this.assertOpen();
    return this.#pool!;
  }

  /** Run `job` on the open pool; rejects (never throws) when closed. */
  async #use<T>(job: (pool: pg.Pool) => Promise<T>): Promise<T> {
    return job(this.#pg());
  }

  #serial<T>(job: (pool: pg.Pool) => Promise<T>): Promise<T> {
    return this.#use((pool) => this.#queue.run(() => job(pool)));
  }

  async ingestSummaries(batch: readonly Summary[]): Promise<IngestResult[]> {
    this.#pg();
    checkSummaries(batch);
    const results = await this.#ingest.submit(batch);
    await this.#scheduler.relieve();
    return results;
  }

  /** One group of batches, one transaction (runs in the write queue). */
  async #ingestGroup(batch: readonly Summary[]): Promise<IngestResult[]> {
    const { results, pending } = await ingestPg(this.#pg(), this.#o.plan, this.#o.config, batch, this.#o.clock.now());
    if (pending) {
      this.#own.set(pending.seq, pending.work);
      // Another worker's passes may be applying this worker's rows: forget the oldest beyond a bound.
      if (this.#own.size > OWN_MAX) this.#own.delete(this.#own.keys().next().value!);
      this.#scheduler.added(pending.windows);
    }
    return results;
  }

  async flushRollups(): Promise<void> {
    this.#pg();
    await this.#pass(true);
  }

  #passContext(pool: pg.Pool): PgPassContext {
    return { pool, cache: this.#cache, plan: this.#o.plan, stats: this.rollupStats, epoch: this.#epoch, own: this.#own };
  }

  /** A pass in this worker's queue; `wait`: for the roll-ups lock if another worker holds it. */
  #pass(wait: boolean): Promise<boolean> {
    return this.#use((pool) => this.#passes.run(() => withRollupLock(pool, wait, (client) => passPg(client, this.#passContext(pool)))));
  }

  summaries(query: SummaryQuery): Promise<StoredSummary[]> {
    return this.#use((pool) => summariesPg(pool, query));
  }

  series(query: SeriesQuery): Promise<SeriesPoint[]> {
    return this.#use((pool) => seriesPg(pool, this.#o.plan.relativeAccuracy, query));
  }

  async *rollups(): AsyncIterable<RollupRecord> {
    yield* rollupsPg(this.#pg(), this.#o.plan.relativeAccuracy);
  }

  upsertAlerts(events: readonly CloudAlertEvent[], onDecided?: (results: readonly AlertUpsertResult[]) => void): Promise<AlertUpsertResult[]> {
    const upsert = this.#serial((pool) => upsertAlertsPg(pool, events, this.#o.clock.now(), onDecided));
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
    return this.#serial((pool) => operatorPg(pool, id, move, action, this.#o.clock.now()));
  }

  async alert(id: string): Promise<StoredAlert | undefined> {
    await this.#alertWrite;
    return this.#use(async (pool) => (await alertsById(pool, [id])).get(id));
  }

  async alerts(filter: AlertFilter = {}): Promise<StoredAlert[]> {
    await this.#alertWrite;
    return this.#use((pool) => listAlertsPg(pool, filter));
  }

  upsertGateways(updates: readonly GatewayUpdate[]): Promise<void> {
    return this.#serial((pool) => upsertGatewaysPg(pool, updates));
  }

  gateways(): Promise<GatewayRecord[]> {
    return this.#use((pool) => gatewaysPg(pool));
  }

  upsertDevices(updates: readonly DeviceUpdate[]): Promise<void> {
    return this.#serial((pool) => upsertDevicesPg(pool, updates));
  }

  devices(filter: DeviceFilter = {}): Promise<DeviceRecord[]> {
    return this.#use((pool) => devicesPg(pool, filter));
  }

  async putDesired(entry: DesiredEntry, onnx?: Uint8Array): Promise<void> {
    checkDesired(entry, onnx);
    await this.#serial((pool) => changeDesiredPg(pool, { put: entry, ...(onnx ? { onnx } : {}) }));
  }

  deleteDesired(target: PushTarget, slot: PushSlot): Promise<boolean> {
    return this.#serial((pool) => changeDesiredPg(pool, { del: { target, slot } }));
  }

  desired(): Promise<DesiredEntry[]> {
    return this.#use((pool) => desiredPg(pool));
  }

  modelBytes(sha256: string): Promise<Buffer | undefined> {
    return this.#use((pool) => modelBytesPg(pool, sha256));
  }

  upsertPushRecords(updates: readonly PushUpdate[]): Promise<PushRecord[]> {
    return this.#serial((pool) => upsertPushRecordsPg(pool, updates));
  }

  pushRecords(): Promise<PushRecord[]> {
    return this.#use((pool) => pushRecordsPg(pool));
  }

  putRawSnippets(snippets: readonly RawSnippet[]): Promise<RawSnippetResult[]> {
    return this.#serial((pool) => putRawPg(pool, snippets, this.#o.clock.now()));
  }

  rawSnippets(query: RawSnippetQuery = {}): Promise<StoredRawSnippet[]> {
    return this.#use((pool) => rawSnippetsPg(pool, query));
  }

  addDeadLetters(entries: readonly DeadLetterInput[]): Promise<void> {
    return this.#serial((pool) => addDeadLettersPg(pool, entries));
  }

  deadLetters(query: DeadLetterQuery = {}): Promise<StoredDeadLetter[]> {
    return this.#use((pool) => deadLettersPg(pool, query));
  }

  applyRetention(now = this.#o.clock.now()): Promise<RetentionReport> {
    return this.#use((pool) => this.#passes.run(() => retentionPg(this.#passContext(pool), this.#o.config, now)));
  }
}

/** The URL without its password, for names and errors. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
