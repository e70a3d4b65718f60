// What every cloud store implementation is constructed with, and the defaults filled in.

import { systemClock, type Clock } from '../../edge/clock/clock.js';
import type { Logger } from '../../edge/observe/log.js';
import { RollupPlan } from '../rollup/plan.js';
import { storeConfigFrom, type CloudStoreConfig } from './config.js';

export interface CloudStoreOptions {
  /** The `store` config section, validated or raw (validated here; default: every default). */
  readonly config?: unknown;
  /** For `now` (receivedAt, expiry, retention, alert transitions). Default: the system clock. */
  readonly clock?: Clock;
  /** Where a failed background roll-up pass is reported. Default: nowhere (it is retried). */
  readonly log?: Logger;
}

export interface ResolvedOptions {
  readonly config: Readonly<CloudStoreConfig>;
  readonly plan: RollupPlan;
  readonly clock: Clock;
  readonly log: Logger | undefined;
}

export function resolveOptions(o: CloudStoreOptions): ResolvedOptions {
  const config = storeConfigFrom(o.config ?? {});
  return { config, plan: new RollupPlan(config.rollups), clock: o.clock ?? systemClock, log: o.log };
}
