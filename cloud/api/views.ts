// What the API shows of gateways, devices and summaries: the stored records with what a person
// wants next to them — online or offline (last seen against alerts.gatewayOfflineMs, the same
// limit the gateway-offline rule uses), how long a device has been silent, open alert counts —
// and summaries without the partials a chart does not need.

import type { CloudConfig } from '../config/schema.js';
import type { DeviceRecord, GatewayRecord, StoredAlert, StoredSummary } from '../store/contract.js';

export interface GatewayView {
  readonly id: string;
  /** Listed in the config's `gateways` (it may connect); false for one known only from the store. */
  readonly configured: boolean;
  readonly site: string | null;
  readonly line: string | null;
  /** Cloud clock; null when it never sent anything. */
  readonly firstSeen: number | null;
  readonly lastSeen: number | null;
  /** Heard from within alerts.gatewayOfflineMs. */
  readonly online: boolean;
  readonly silentForMs: number | null;
  /** Summaries waiting in its outbox, as it last reported. */
  readonly backlog: number | null;
  /** Its loss ledger as it last reported (what it dropped, by class and reason). */
  readonly lossLedger: unknown;
  readonly devices: number;
  /** Alerts open or acknowledged with this gateway. */
  readonly openAlerts: number;
}

export interface DeviceView extends DeviceRecord {
  readonly silentForMs: number;
  /** No summary for alerts.deviceSilentMs (false when that rule is off). */
  readonly silent: boolean;
  readonly openAlerts: number;
}

/** A summary as the device chart needs it: features and score, no partials. */
export type SummaryView = Omit<StoredSummary, 'partials'>;

/** Alerts not yet resolved, counted by gateway and by device. */
export interface OpenAlertCounts {
  readonly byGateway: ReadonlyMap<string, number>;
  readonly byDevice: ReadonlyMap<string, number>;
}

export function countOpen(alerts: readonly StoredAlert[]): OpenAlertCounts {
  const byGateway = new Map<string, number>();
  const byDevice = new Map<string, number>();
  for (const a of alerts) {
    if (a.state === 'resolved') continue;
    byGateway.set(a.event.gateway, (byGateway.get(a.event.gateway) ?? 0) + 1);
    if (a.event.device) byDevice.set(a.event.device, (byDevice.get(a.event.device) ?? 0) + 1);
  }
  return { byGateway, byDevice };
}

type ViewConfig = Pick<CloudConfig, 'gateways' | 'alerts'>;

/** Every gateway the config lists or the store knows, by id. */
export function gatewayViews(config: ViewConfig, now: number, records: readonly GatewayRecord[], devices: readonly DeviceRecord[], open: OpenAlertCounts): GatewayView[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const deviceCount = new Map<string, number>();
  for (const d of devices) deviceCount.set(d.gateway, (deviceCount.get(d.gateway) ?? 0) + 1);
  const ids = [...new Set([...Object.keys(config.gateways), ...byId.keys()])].sort();
  return ids.map((id) => {
    const r = byId.get(id);
    const configured = Object.hasOwn(config.gateways, id) ? config.gateways[id] : undefined;
    const silentForMs = r ? Math.max(0, now - r.lastSeen) : null;
    return {
      id,
      configured: configured !== undefined,
      site: configured?.site ?? null,
      line: configured?.line ?? null,
      firstSeen: r?.firstSeen ?? null,
      lastSeen: r?.lastSeen ?? null,
      online: silentForMs !== null && silentForMs < config.alerts.gatewayOfflineMs,
      silentForMs,
      backlog: r?.backlog ?? null,
      lossLedger: r?.lossLedger ?? null,
      devices: deviceCount.get(id) ?? 0,
      openAlerts: open.byGateway.get(id) ?? 0,
    };
  });
}

export function deviceView(config: ViewConfig, now: number, d: DeviceRecord, open: OpenAlertCounts): DeviceView {
  const silentForMs = Math.max(0, now - d.lastSeen);
  const limit = config.alerts.deviceSilentMs;
  return { ...d, silentForMs, silent: limit > 0 && silentForMs >= limit, openAlerts: open.byDevice.get(d.id) ?? 0 };
}

export function summaryView(s: StoredSummary): SummaryView {
  const { partials: _partials, ...rest } = s;
  return rest;
}
