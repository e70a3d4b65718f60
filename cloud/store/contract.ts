// The cloud's one storage interface: window summaries (de-duplicated by id and revision) and the
// fleet roll-ups made from them, alerts with their lifecycle, the gateway and device registry,
// dead letters and retention. LevelDB (embedded default) and PostgreSQL implement it, and one
// contract suite (test/integration/cloud-store.contract.ts) runs against both.
//
// Lifecycle (as edge/lifecycle/resource.ts): open() → use → close(). open() creates or migrates
// the storage and is idempotent; every other method rejects with ERR_NOT_OPEN unless the store is
// open; close() waits for writes under way, then releases the database. `await using` closes it.
//
// Durability: every write resolves only once everything it touched is durable, all or nothing —
// the cloud acknowledges a gateway only after that. For a summary batch that is the summaries,
// their indexes and the batch's pending roll-up work (which windows merge, which buckets are
// rebuilt), written in one atomic write. A roll-up pass then applies all pending work at once and
// deletes it in one atomic write with the buckets: so a hot bucket is written once per pass, not
// once per batch, and a crash between the two only delays the roll-ups to the next pass. Passes
// run at most rollups.flushIntervalMs after a batch, at once when rollups.maxPendingWindows are
// waiting (that ingest waits for the pass), and on flushRollups(). Writes are applied one at a
// time, in call order (per process; PostgreSQL workers take turns on advisory locks).

import type { AlertEvent, AlertRuleType, AlertSeverity } from '../../edge/alert/alert.js';
import type { Features, Partials, Summary } from '../../edge/features/summary.js';
import type { Status } from '../../edge/lifecycle/resource.js';
import type { AppliedReport } from '../../edge/uplink/push-schemas.js';
import type { RawSnippet, StatusReport } from '../../edge/uplink/schemas.js';
import type { MeanSketch } from '../rollup/sketch.js';
import type { SeriesScope } from '../rollup/series.js';

export type { SeriesScope };

// ---- Summaries ---------------------------------------------------------------------------------

/**
 * What happened to one summary of a batch:
 * - `inserted`: a new id;
 * - `replaced`: a higher revision replaced the one held;
 * - `unchanged`: the revision held came again (a resend): nothing changed;
 * - `stale`: a lower revision than the one held: ignored;
 * - `retracted`: a `retracted: true` summary dropped what was held under its id (a tombstone
 *   remains, so older revisions arriving later are `stale`);
 * - `expired`: its window is older than `retention.summariesMs` allows: not stored.
 */
export type IngestOutcome = 'inserted' | 'replaced' | 'unchanged' | 'stale' | 'retracted' | 'expired';

export interface IngestResult {
  readonly id: string;
  readonly revision: number;
  readonly outcome: IngestOutcome;
  /** Whether this summary now feeds the roll-ups (a tumbling window of a source size). */
  readonly rolledUp: boolean;
}

/** A summary as stored: as the gateway sent it, with where it was rolled up. */
export interface StoredSummary extends Summary {
  /** Site and line of the device (registry, or the defaults) when this revision was stored. */
  readonly site: string;
  readonly line: string;
  readonly rolledUp: boolean;
  /** Cloud clock when this revision was stored. */
  readonly receivedAt: number;
}

export interface SummaryQuery {
  readonly device?: string;
  readonly metric?: string;
  readonly gateway?: string;
  /** Window start in [from, to), ms since the epoch. */
  readonly from: number;
  readonly to: number;
  /** At most this many, by window start then id (default 1000). */
  readonly limit?: number;
}

// ---- Roll-ups ----------------------------------------------------------------------------------

export interface SeriesQuery {
  readonly scope: SeriesScope;
  readonly metric: string;
  /** One of the configured resolutions. */
  readonly resolutionMs: number;
  /** Bucket start in [from, to), ms since the epoch. */
  readonly from: number;
  readonly to: number;
}

/** One roll-up bucket of a series. */
export interface SeriesPoint {
  /** Bucket start, ms since the epoch (UTC-aligned to the resolution). */
  readonly start: number;
  /** Window summaries merged into it. */
  readonly windows: number;
  /** Merged partials; time sums relative to `start`. */
  readonly partials: Partials;
  /** Features of all readings in the bucket, from the partials (count, mean, std, min, max, slope...). */
  readonly features: Features;
  /** Sketch of the window means (one value per window): `sketch.quantile(0.99)`. */
  readonly sketch: MeanSketch;
}

export interface RollupRecord {
  readonly scope: SeriesScope;
  readonly metric: string;
  readonly resolutionMs: number;
  readonly point: SeriesPoint;
}

// ---- Alerts ------------------------------------------------------------------------------------

/** Rules the cloud evaluates itself, beside those gateways raise. */
export type CloudAlertRuleType = 'gateway-offline' | 'device-silent' | 'data-loss';

/** An alert event from a gateway (edge/alert/alert.ts), or one the cloud made for its own rules. */
export interface CloudAlertEvent extends Omit<AlertEvent, 'ruleType'> {
  readonly ruleType: AlertRuleType | CloudAlertRuleType;
}

export type AlertState = 'open' | 'acknowledged' | 'resolved';

export interface AlertTransition {
  readonly from: AlertState | null;
  readonly to: AlertState;
  /** Cloud clock (gateway events) or the time the operator gave. */
  readonly at: number;
  /** `gateway:<id>` for transitions a gateway event caused, else the operator's name. */
  readonly by: string;
  readonly note?: string;
  /** The event revision that caused it (gateway transitions). */
  readonly revision?: number;
}

export interface StoredAlert {
  readonly id: string;
  readonly state: AlertState;
  /** The highest revision received. */
  readonly event: CloudAlertEvent;
  readonly acknowledged?: { readonly by: string; readonly at: number; readonly note?: string };
  readonly resolved?: { readonly by: string; readonly at: number; readonly note?: string; readonly cause: 'cleared' | 'operator' };
  /** Every state change, oldest first. */
  readonly history: readonly AlertTransition[];
  /** Cloud clock of the last change (event or operator). */
  readonly updatedAt: number;
}

/** Outcomes as for summaries: `inserted`, `replaced` (higher revision), `unchanged` (same), `stale` (lower). */
export type AlertUpsertOutcome = 'inserted' | 'replaced' | 'unchanged' | 'stale';

export interface AlertUpsertResult {
  readonly id: string;
  readonly revision: number;
  readonly outcome: AlertUpsertOutcome;
  readonly state: AlertState;
  /** The alert as the whole upsert stores it (the bus hears it without reading it back). */
  readonly alert: StoredAlert;
}

export interface OperatorAction {
  readonly by: string;
  /** Default: the store's clock. */
  readonly at?: number;
  readonly note?: string;
}

export interface AlertFilter {
  readonly state?: AlertState | readonly AlertState[];
  readonly device?: string;
  readonly gateway?: string;
  readonly severity?: AlertSeverity | readonly AlertSeverity[];
  /** raisedAt in [from, to). */
  readonly from?: number;
  readonly to?: number;
  /** Newest raisedAt first; at most this many (default 1000). */
  readonly limit?: number;
}

// ---- Registry ----------------------------------------------------------------------------------

/** A gateway's status report as it sent it (edge/uplink/schemas.ts), without the item's id, revision and gateway. */
export type GatewayStatus = Omit<StatusReport, 'id' | 'revision' | 'gateway'>;

/**
 * What a gateway reported; absent fields keep their stored value. An update whose `status` is
 * older than the one held (a lower `seq` of the same ledger, or an earlier `at` of another one)
 * changes lastSeen only: status reports may arrive out of order, through several workers.
 */
export interface GatewayUpdate {
  readonly id: string;
  /** Cloud clock when last heard from; the stored value never goes backwards. */
  readonly lastSeen: number;
  /** Summaries waiting in its outbox, as it reported. */
  readonly backlog?: number;
  /** Its loss ledger (what it dropped, by reason), as it reported: any JSON. */
  readonly lossLedger?: unknown;
  /** Its latest status report (backlog per class, byte budget, loss ledger, oldest unsent age). */
  readonly status?: GatewayStatus;
}

export interface GatewayRecord {
  readonly id: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly backlog: number | null;
  readonly lossLedger: unknown;
  /** The newest status report received; absent until the gateway sends one. */
  readonly status?: GatewayStatus;
}

/** A device as a gateway reported it; absent site/line keep their stored value (new devices: site = gateway, line = `default`). */
export interface DeviceUpdate {
  readonly id: string;
  readonly gateway: string;
  readonly lastSeen: number;
  readonly site?: string;
  readonly line?: string;
}

export interface DeviceRecord {
  readonly id: string;
  readonly gateway: string;
  readonly site: string;
  readonly line: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

export interface DeviceFilter {
  readonly gateway?: string;
  readonly site?: string;
  readonly line?: string;
}

// ---- Dead letters ------------------------------------------------------------------------------

export interface DeadLetterInput {
  /** Short label, counted by the ingest, e.g. `bad_schema`. */
  readonly reason: string;
  readonly message?: string;
  readonly gateway?: string;
  readonly topic?: string;
  readonly bytes: Uint8Array;
  /** Cloud clock. */
  readonly receivedAt: number;
}

export interface StoredDeadLetter extends DeadLetterInput {
  /** Increases by one per dead letter, never reused. */
  readonly seq: number;
  readonly bytes: Buffer;
}

export interface DeadLetterQuery {
  readonly reason?: string;
  readonly gateway?: string;
  /** Default 100. */
  readonly limit?: number;
  /** Default newest. */
  readonly order?: 'newest' | 'oldest';
}

// ---- Config and model push ---------------------------------------------------------------------

/** Where a desired config or model is set: `fleet`, `site:<site>` or `gateway:<id>` (cloud/push/targets.ts). */
export type PushTarget = string;

/** A push slot of a gateway: `config`, or `model:<name>` per model name. */
export type PushSlot = string;

interface DesiredCommon {
  readonly target: PushTarget;
  /** This push: 32 hex characters, new for every push (a re-push of the same content too). */
  readonly id: string;
  /** The label people see. */
  readonly version: string;
  readonly pushedBy: string;
  /** Cloud clock. */
  readonly pushedAt: number;
}

/** A desired config: a JSON Merge Patch over each gateway's config file, as YAML or JSON text. */
export interface DesiredConfig extends DesiredCommon {
  readonly kind: 'config';
  readonly format: 'yaml' | 'json';
  readonly document: string;
}

/** A desired model; its ONNX bytes are kept apart, by SHA-256 (modelBytes). */
export interface DesiredModel extends DesiredCommon {
  readonly kind: 'model';
  /** The manifest's name. */
  readonly name: string;
  readonly sha256: string;
  /** Length of the ONNX bytes. */
  readonly size: number;
  readonly manifest: Readonly<Record<string, unknown>>;
}

export type DesiredEntry = DesiredConfig | DesiredModel;

/** When the cloud last published a push to a gateway's slot. */
export interface PushSent {
  readonly id: string;
  /** Cloud clock. */
  readonly at: number;
}

/** Per gateway: what it last said it runs, and what the cloud last published to it. */
export interface PushRecord {
  readonly gateway: string;
  /** From its newest status report that carried one; null until then (or for a gateway without push). */
  readonly applied: AppliedReport | null;
  /** Gateway clock of that report. */
  readonly reportedAt: number | null;
  readonly sent: Readonly<Record<PushSlot, PushSent>>;
}

/**
 * A change to a gateway's push record: `applied` replaces the one held only when `reportedAt` is
 * not older (reports may arrive out of order); `sent` entries replace those of their slots.
 */
export interface PushUpdate {
  readonly gateway: string;
  readonly applied?: AppliedReport;
  readonly reportedAt?: number;
  readonly sent?: Readonly<Record<PushSlot, PushSent>>;
}

// ---- Raw snippets ------------------------------------------------------------------------------

/** A flight-recorder snippet (raw readings around an alert) as stored: as the gateway sent it. */
export interface StoredRawSnippet extends RawSnippet {
  /** Cloud clock when this revision was stored. */
  readonly receivedAt: number;
}

/** As for alerts: `inserted`, `replaced` (higher revision), `unchanged` (same), `stale` (lower). */
export type RawSnippetOutcome = 'inserted' | 'replaced' | 'unchanged' | 'stale';

export interface RawSnippetResult {
  readonly id: string;
  readonly revision: number;
  readonly outcome: RawSnippetOutcome;
}

export interface RawSnippetQuery {
  /** The alert whose surroundings they are (the indexed way in). */
  readonly alert?: string;
  readonly device?: string;
  readonly gateway?: string;
  /** At most this many, by alert, part, id (default 1000). */
  readonly limit?: number;
}

// ---- Retention ---------------------------------------------------------------------------------

export interface RetentionReport {
  /** The instant the ages were measured from. */
  readonly now: number;
  readonly summaries: number;
  /** Buckets deleted per resolution (ms). */
  readonly buckets: Readonly<Record<number, number>>;
  readonly deadLetters: number;
  readonly alerts: number;
  readonly rawSnippets: number;
}

// ---- The store ---------------------------------------------------------------------------------

export interface CloudStore extends AsyncDisposable {
  /** e.g. `cloud-store level:/var/lib/tributary` or `cloud-store postgres://db:5432/tributary`. */
  readonly name: string;
  readonly status: Status;
  open(): Promise<void>;
  close(): Promise<void>;

  /**
   * Store a batch of summaries, de-duplicated by id, and update the roll-ups they feed — one
   * durable, atomic write. Items are applied in order (a batch may hold several revisions of an
   * id). Resolves with one result per item, in order.
   */
  ingestSummaries(batch: readonly Summary[]): Promise<IngestResult[]>;
  /**
   * Apply all pending roll-up work now (of every worker, on a shared database). Once it resolves,
   * series() and rollups() reflect every summary ingested before the call.
   */
  flushRollups(): Promise<void>;
  /** Stored summaries (tombstones excluded), by window start then id. */
  summaries(query: SummaryQuery): Promise<StoredSummary[]>;
  /** The buckets of one series at one resolution, oldest first, as of the last roll-up pass. */
  series(query: SeriesQuery): Promise<SeriesPoint[]>;
  /** Every roll-up bucket (for audits, rebuild checks and comparing stores), in key order. */
  rollups(): AsyncIterable<RollupRecord>;

  /**
   * Insert or update alerts by id and revision, moving their lifecycle (cleared → resolved).
   * `onDecided` is called once, with the results the promise resolves to, as soon as every event's
   * outcome is decided: after the write is handed to the database and before it is durable. Alert
   * writes are serialised (LevelDB: one process owns the database, its alert writes queue; PostgreSQL:
   * under the alerts' advisory lock), so what is decided is what the write stores, unless the write
   * fails, and then the promise rejects. It must not throw (if it does, the promise rejects with its
   * error once the write has ended). `alert` and `alerts` called after `onDecided` wait for the
   * write, so they return what it announced.
   */
  upsertAlerts(events: readonly CloudAlertEvent[], onDecided?: (results: readonly AlertUpsertResult[]) => void): Promise<AlertUpsertResult[]>;
  /** open → acknowledged. ERR_CLOUD_ALERT_NOT_FOUND, or ERR_CLOUD_ALERT_TRANSITION from any other state. */
  acknowledgeAlert(id: string, action: OperatorAction): Promise<StoredAlert>;
  /** open or acknowledged → resolved. ERR_CLOUD_ALERT_NOT_FOUND, or ERR_CLOUD_ALERT_TRANSITION when already resolved. */
  resolveAlert(id: string, action: OperatorAction): Promise<StoredAlert>;
  alert(id: string): Promise<StoredAlert | undefined>;
  alerts(filter?: AlertFilter): Promise<StoredAlert[]>;

  upsertGateways(updates: readonly GatewayUpdate[]): Promise<void>;
  gateways(): Promise<GatewayRecord[]>;
  upsertDevices(updates: readonly DeviceUpdate[]): Promise<void>;
  devices(filter?: DeviceFilter): Promise<DeviceRecord[]>;

  /**
   * Set a target's desired config, or desired model (with its ONNX bytes), replacing the one of the
   * same target and slot. Bytes no desired model names any more are deleted.
   */
  putDesired(entry: DesiredEntry, onnx?: Uint8Array): Promise<void>;
  /** Remove a target's desired config (`config`) or model (`model:<name>`); false when there was none. */
  deleteDesired(target: PushTarget, slot: PushSlot): Promise<boolean>;
  /** Every desired entry, by target then slot. */
  desired(): Promise<DesiredEntry[]>;
  /** A desired model's ONNX bytes by SHA-256; undefined when no desired model has them. */
  modelBytes(sha256: string): Promise<Buffer | undefined>;
  /** Merge updates into the gateways' push records; resolves with the resulting records, one per gateway named. */
  upsertPushRecords(updates: readonly PushUpdate[]): Promise<PushRecord[]>;
  /** Every gateway's push record, by gateway id. */
  pushRecords(): Promise<PushRecord[]>;

  /** Store flight-recorder snippets, de-duplicated by id and revision; one result per item, in order. */
  putRawSnippets(snippets: readonly RawSnippet[]): Promise<RawSnippetResult[]>;
  rawSnippets(query?: RawSnippetQuery): Promise<StoredRawSnippet[]>;

  addDeadLetters(entries: readonly DeadLetterInput[]): Promise<void>;
  deadLetters(query?: DeadLetterQuery): Promise<StoredDeadLetter[]>;

  /**
   * Delete what is older than the configured ages, measured from `now` (default: the store's
   * clock): summaries by window start, buckets that ended before now − their resolution's
   * retention, dead letters by receivedAt, alerts resolved before now − resolvedAlertsMs, raw
   * snippets whose readings end (`to`) before now − rawSnippetsMs.
   */
  applyRetention(now?: number): Promise<RetentionReport>;
}
