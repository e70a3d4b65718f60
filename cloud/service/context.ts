// What every part of a cloud worker shares: its config, its store, its clock, logs and metrics,
// and the bus on which ingest, alert rules and the API tell each other what changed (the API's
// live stream and the webhook listen there).

import { EventEmitter } from 'node:events';
import type { Clock } from '../../edge/clock/clock.js';
import type { Logger } from '../../edge/observe/log.js';
import type { Registry } from '../../edge/observe/metrics.js';
import type { CloudConfig } from '../config/schema.js';
import type { GatewayPushView } from '../push/views.js';
import type { CloudStore, GatewayRecord, StoredAlert, StoredSummary } from '../store/contract.js';

export interface CloudBusEvents {
  /** Summaries just stored (inserted or replaced), in ingest order. */
  summaries: [readonly StoredSummary[]];
  /**
   * An alert changed: raised, updated, cleared, acknowledged or resolved. From an upsert it is
   * announced when decided, before its write is durable, with `stored`: true once it is, false if the
   * write failed (nothing was stored; the gateway sends the event again). Without `stored` it is
   * durable already (an operator's move).
   */
  alert: [alert: StoredAlert, stored?: Promise<boolean>];
  /** A gateway's registry entry changed (last seen, backlog, loss ledger, desired/applied versions). */
  gateway: [GatewayRecord];
  /** A gateway's desired against applied config and models changed (cloud/push/). */
  push: [GatewayPushView];
}

/** A typed event emitter; listeners must not throw (they run inside ingest). */
export class CloudBus extends EventEmitter<CloudBusEvents> {}

export interface CloudContext {
  readonly config: Readonly<CloudConfig>;
  readonly store: CloudStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  readonly bus: CloudBus;
}
