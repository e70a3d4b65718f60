// Keeps the gateway and device registry up to date from what arrives, without a registry write per
// message: a device new to this worker, or one whose gateway, site or line changed, is written
// before its summaries (the store places summaries by the registry); last-seen times are
// collected and written every registryFlushMs (a write between ingest batches would split the
// store's group commit).

import type { Clock, TimerHandle } from '../../edge/clock/clock.js';
import type { Logger } from '../../edge/observe/log.js';
import type { CloudConfig } from '../config/schema.js';
import type { CloudStore, DeviceUpdate, GatewayRecord } from '../store/contract.js';
import { DEFAULT_LINE } from '../store/registry-merge.js';

export interface Place {
  readonly site: string;
  readonly line: string;
}

interface HeldDevice extends Place {
  readonly gateway: string;
}

export interface RegistryTouchOptions {
  readonly store: CloudStore;
  readonly gateways: CloudConfig['gateways'];
  readonly clock: Clock;
  readonly log: Logger;
  readonly flushMs: number;
  /** Registry entries of gateways just written (for the bus). */
  readonly onGateways?: (records: readonly GatewayRecord[]) => void;
}

export class RegistryTouch {
  readonly #o: RegistryTouchOptions;
  readonly #devices = new Map<string, HeldDevice>();
  #seenDevices = new Map<string, { gateway: string; at: number }>();
  #seenGateways = new Map<string, number>();
  #timer: TimerHandle | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: RegistryTouchOptions) {
    this.#o = options;
  }

  /** Load the devices the store knows, and start the flush timer. */
  async open(): Promise<void> {
    for (const d of await this.#o.store.devices()) this.#devices.set(d.id, { gateway: d.gateway, site: d.site, line: d.line });
    this.#timer = this.#o.clock.setInterval(() => void this.flush(), this.#o.flushMs);
    this.#timer.unref();
  }

  /** Write what was seen since the last flush; a last flush at close. */
  async close(): Promise<void> {
    if (this.#timer) this.#o.clock.clear(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  gatewaySeen(gateway: string, at: number): void {
    if ((this.#seenGateways.get(gateway) ?? -Infinity) < at) this.#seenGateways.set(gateway, at);
  }

  /** Site and line of a device as the registry holds them (the store's defaults for one never registered). */
  placeOf(device: string, gateway: string): Place {
    const held = this.#devices.get(device);
    return held === undefined ? { site: gateway, line: DEFAULT_LINE } : { site: held.site, line: held.line };
  }

  /**
   * Register the devices of summaries about to be stored that are new to this worker or have moved
   * (another gateway, or a site or line the config now gives), durably, before the summaries are.
   */
  async beforeSummaries(gateway: string, devices: Iterable<string>, at: number): Promise<void> {
    const want = this.#o.gateways[gateway];
    const updates: DeviceUpdate[] = [];
    for (const id of new Set(devices)) {
      this.#seenDevices.set(id, { gateway, at });
      const held = this.#devices.get(id);
      const moved = held === undefined || held.gateway !== gateway || (want?.site !== undefined && held.site !== want.site) || (want?.line !== undefined && held.line !== want.line);
      if (!moved) continue;
      updates.push({ id, gateway, lastSeen: at, ...(want?.site !== undefined ? { site: want.site } : {}), ...(want?.line !== undefined ? { line: want.line } : {}) });
    }
    if (updates.length === 0) return;
    await this.#o.store.upsertDevices(updates);
    // As the store merges: absent site/line keep what it held, a new device sits at its gateway, line default.
    for (const u of updates) {
      const held = this.#devices.get(u.id);
      this.#devices.set(u.id, { gateway: u.gateway, site: u.site ?? held?.site ?? u.gateway, line: u.line ?? held?.line ?? DEFAULT_LINE });
    }
  }

  /** Write the last-seen times collected since the last flush (one flush at a time). */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flush());
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    const devices = this.#seenDevices;
    const gateways = this.#seenGateways;
    if (devices.size === 0 && gateways.size === 0) return;
    this.#seenDevices = new Map();
    this.#seenGateways = new Map();
    try {
      if (devices.size > 0) await this.#o.store.upsertDevices([...devices].map(([id, d]) => ({ id, gateway: d.gateway, lastSeen: d.at })));
      if (gateways.size > 0) {
        await this.#o.store.upsertGateways([...gateways].map(([id, lastSeen]) => ({ id, lastSeen })));
        if (this.#o.onGateways) this.#o.onGateways((await this.#o.store.gateways()).filter((g) => gateways.has(g.id)));
      }
    } catch (err) {
      // Last-seen times are refreshed by the next messages; a failed write only delays them.
      this.#o.log.warn({ err }, 'cloud ingest: writing last-seen times failed; retrying at the next flush');
      for (const [id, d] of devices) if (!this.#seenDevices.has(id)) this.#seenDevices.set(id, d);
      for (const [id, at] of gateways) this.gatewaySeen(id, at);
    }
  }
}
