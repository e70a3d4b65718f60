// Runs the cloud's own alert rules (cloud-rules.ts) on the context's clock: every
// alerts.checkIntervalMs it reads the gateways, devices and unresolved alerts from the store — the
// store, not this worker's bus, because with several workers each sees only part of the traffic —
// evaluates, and records the events it calls for (stored, then announced on the bus).
//
// The only state kept here: devices' latest summaries seen on this worker's bus (so a device is
// not called silent while its registry entry waits for the ingest's next write), the loss ledger
// totals of each gateway's last data-loss alert (read from the store at open), and which events
// were already recorded, so an alert an operator resolved while its condition lasts is not
// re-sent to the store at every check.

import type { TimerHandle } from '../../edge/clock/clock.js';
import { Resource } from '../../edge/lifecycle/resource.js';
import type { Counter } from '../../edge/observe/metrics.js';
import type { CloudContext } from '../service/context.js';
import type { CloudAlertEvent, DeviceRecord, StoredAlert, StoredSummary } from '../store/contract.js';
import { evaluateCloudRules, type CloudRuleSettings } from './cloud-rules.js';
import { recordAlertEvents } from './record.js';

export interface CloudAlertRulesOptions {
  /** A data-loss alert clears after the ledger has not grown for this long (ms; default: alerts.dataLossQuietMs). */
  readonly dataLossQuietMs?: number;
}

export const cloudAlertRules =
  (options: CloudAlertRulesOptions = {}) =>
  (ctx: CloudContext): CloudAlertRules =>
    new CloudAlertRules(ctx, options);

export class CloudAlertRules extends Resource {
  readonly name = 'cloud-alert-rules';
  readonly settings: CloudRuleSettings;
  readonly #seen = new Map<string, { gateway: string; at: number }>();
  readonly #baselines = new Map<string, { since: number; items: number; at: number }>();
  /** id → revision already recorded (pruned to what the last check produced). */
  #recorded = new Map<string, number>();
  #timer: TimerHandle | undefined;
  #running: Promise<CloudAlertEvent[]> | undefined;
  readonly #events: Counter;
  readonly #failures: Counter;
  readonly #onSummaries = (batch: readonly StoredSummary[]) => {
    for (const s of batch) {
      const held = this.#seen.get(s.device);
      if (!held || held.at < s.receivedAt) this.#seen.set(s.device, { gateway: s.gateway, at: s.receivedAt });
    }
  };

  constructor(
    private readonly ctx: CloudContext,
    o: CloudAlertRulesOptions = {},
  ) {
    super();
    const a = ctx.config.alerts;
    this.settings = { gatewayOfflineMs: a.gatewayOfflineMs, deviceSilentMs: a.deviceSilentMs, dataLossItems: a.dataLossItems, dataLossQuietMs: o.dataLossQuietMs ?? a.dataLossQuietMs };
    this.#events = ctx.metrics.sharedCounter('tributary_cloud_alert_rule_events_total', 'Alert events the cloud\'s own rules recorded, by rule and event state', ['rule', 'state']);
    this.#failures = ctx.metrics.sharedCounter('tributary_cloud_alert_rule_check_failures_total', 'Checks of the cloud\'s own alert rules that failed (store unreadable or unwritable); the next check tries again');
  }

  protected async _open(): Promise<void> {
    for (const a of await this.ctx.store.alerts({ limit: 1_000_000 })) if (a.event.ruleType === 'data-loss') this.#noteLoss(a.event);
    this.ctx.bus.on('summaries', this.#onSummaries);
    this.#timer = this.ctx.clock.setInterval(() => void this.check().catch(() => {}), this.ctx.config.alerts.checkIntervalMs);
    this.#timer.unref();
  }

  protected async _close(): Promise<void> {
    if (this.#timer) this.ctx.clock.clear(this.#timer);
    this.#timer = undefined;
    this.ctx.bus.off('summaries', this.#onSummaries);
    await this.#running?.catch(() => {});
  }

  /** Check every rule now (the timer calls this; a check already running is joined). Resolves with the events recorded. */
  check(): Promise<CloudAlertEvent[]> {
    this.#running ??= this.#check().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #check(): Promise<CloudAlertEvent[]> {
    try {
      const store = this.ctx.store;
      const [gateways, stored, unresolved] = await Promise.all([store.gateways(), store.devices(), store.alerts({ state: ['open', 'acknowledged'], limit: 1_000_000 })]);
      for (const a of unresolved) if (a.event.ruleType === 'data-loss') this.#noteLoss(a.event);
      const events = evaluateCloudRules(this.settings, { now: this.ctx.clock.now(), gateways, devices: this.#withSeen(stored), unresolved, lossBaselines: this.#baselines });
      const fresh = events.filter((e) => this.#recorded.get(e.id) !== e.revision);
      await recordAlertEvents(this.ctx, fresh);
      for (const e of fresh) {
        this.#events.labels(e.ruleType, e.state).inc();
        if (e.ruleType === 'data-loss') this.#noteLoss(e);
      }
      this.#recorded = new Map(events.map((e) => [e.id, e.revision]));
      return fresh;
    } catch (err) {
      this.#failures.inc();
      this.ctx.log.warn({ err }, 'cloud alert rules: check failed; the next check tries again');
      throw err;
    }
  }

  /** Registry entries with this worker's fresher sightings, plus devices seen here the registry does not hold yet. */
  #withSeen(stored: readonly DeviceRecord[]): DeviceRecord[] {
    const out = stored.map((d) => {
      const seen = this.#seen.get(d.id);
      if (seen && seen.at <= d.lastSeen) this.#seen.delete(d.id);
      return seen && seen.at > d.lastSeen ? { ...d, lastSeen: seen.at } : d;
    });
    const known = new Set(stored.map((d) => d.id));
    for (const [id, s] of this.#seen) if (!known.has(id)) out.push({ id, gateway: s.gateway, site: s.gateway, line: 'default', firstSeen: s.at, lastSeen: s.at });
    return out;
  }

  /** Keep the ledger totals of each gateway's latest data-loss event as its baseline. */
  #noteLoss(e: CloudAlertEvent | StoredAlert['event']): void {
    const c = e.evidence.computed;
    if (c?.items === undefined) return;
    const held = this.#baselines.get(e.gateway);
    if (!held || held.at <= e.emittedAt) this.#baselines.set(e.gateway, { since: c.lossSince ?? 0, items: c.items, at: e.emittedAt });
  }
}
