// The cloud's own alert rules as one pure function of what the store holds now: gateway offline,
// device silent, data loss. No memory of its own beyond the loss baselines it is given, so every
// worker sharing a database reaches the same decisions from the same records.
//
// Ids are deterministic (SHA-256 over gateway, device, rule, raisedAt, as the edge's alerts), and
// raisedAt is derived from the records, not from when a check ran: a gateway last seen at t is
// offline from t + gatewayOfflineMs whichever worker notices, so two workers raise the same alert
// and the store keeps it once. Later events of an alert take the held revision + 1; if two workers
// both clear it, the store keeps the first and calls the second `unchanged`.
//
// - gateway-offline (critical): nothing from the gateway for gatewayOfflineMs; cleared once its
//   last seen moves past the one the alert was raised on. Gateways never heard from are not judged.
// - device-silent (warning): no summary from a device for deviceSilentMs (0: off); not raised while
//   its gateway is offline (gateway-offline says it once, rather than once per device); cleared
//   when the device is heard from again.
// - data-loss (warning): the gateway's loss ledger grew by at least dataLossItems items (0: off)
//   since the last data-loss alert; further growth updates the open alert with the new ledger; it
//   clears once the ledger has not grown for dataLossQuietMs.

import { alertId } from '../../edge/alert/occurrence.js';
import type { AlertEvidence, AlertSeverity } from '../../edge/alert/alert.js';
import type { CloudAlertEvent, CloudAlertRuleType, DeviceRecord, GatewayRecord, StoredAlert } from '../store/contract.js';
import { lossMark, lostSince, type LossMark } from './loss-ledger.js';

export interface CloudRuleSettings {
  /** ms; always on. */
  readonly gatewayOfflineMs: number;
  /** ms; 0: off. */
  readonly deviceSilentMs: number;
  /** items; 0: off. */
  readonly dataLossItems: number;
  /** ms without growth after which a data-loss alert clears. */
  readonly dataLossQuietMs: number;
}

/** Evidence of a cloud rule: the edge's fields, plus the ledger for data-loss. */
export interface CloudEvidence extends AlertEvidence {
  readonly ledger?: unknown;
}

export interface RuleInput {
  /** Cloud clock. */
  readonly now: number;
  readonly gateways: readonly GatewayRecord[];
  readonly devices: readonly DeviceRecord[];
  /** Unresolved alerts (open or acknowledged); those of other rules are ignored. */
  readonly unresolved: readonly StoredAlert[];
  /** Per gateway, the ledger totals its last data-loss alert reported (absent: never alerted). */
  readonly lossBaselines: ReadonlyMap<string, { readonly since: number; readonly items: number }>;
}

const CLOUD_RULE_SEVERITY: Readonly<Record<CloudAlertRuleType, AlertSeverity>> = {
  'gateway-offline': 'critical',
  'device-silent': 'warning',
  'data-loss': 'warning',
};

/** The events the current records call for, in gateway, device, loss order. */
export function evaluateCloudRules(s: CloudRuleSettings, input: RuleInput): CloudAlertEvent[] {
  // What each rule tracks one alert for: a gateway, or a device (wherever it moved since).
  const key = (rule: string, gateway: string, device: string) => (rule === 'device-silent' ? `${rule}\u0000${device}` : `${rule}\u0000${gateway}`);
  const open = new Map<string, StoredAlert>();
  for (const a of input.unresolved) {
    const k = key(a.event.ruleType, a.event.gateway, a.event.device);
    // Newest raised first (the store's order): keep the newest per key.
    if (a.state !== 'resolved' && a.event.state !== 'cleared' && !open.has(k)) open.set(k, a);
  }
  const held = (rule: CloudAlertRuleType, gateway: string, device = '') => open.get(key(rule, gateway, device));
  const out: CloudAlertEvent[] = [];
  const offline = new Set<string>();
  const { now } = input;

  for (const g of input.gateways) {
    const a = held('gateway-offline', g.id);
    if (a && g.lastSeen > (a.event.evidence.lastSeen ?? Infinity)) out.push(next(a, 'cleared', g.lastSeen, now, `gateway ${g.id} is heard from again`, a.event.evidence));
    if (now - g.lastSeen >= s.gatewayOfflineMs) {
      offline.add(g.id);
      if (!a || a.event.evidence.lastSeen !== g.lastSeen) {
        const evidence: CloudEvidence = { rule: { type: 'gateway-offline', gatewayOfflineMs: s.gatewayOfflineMs }, lastSeen: g.lastSeen, computed: { silentMs: now - g.lastSeen } };
        out.push(raise('gateway-offline', g.id, '', g.lastSeen + s.gatewayOfflineMs, now, `gateway ${g.id} sent nothing for ${seconds(now - g.lastSeen)} (limit ${seconds(s.gatewayOfflineMs)})`, evidence));
      }
    }
  }

  for (const d of input.devices) {
    const a = held('device-silent', d.gateway, d.id);
    if (a && d.lastSeen > (a.event.evidence.lastSeen ?? Infinity)) out.push(next(a, 'cleared', d.lastSeen, now, `device ${d.id} sends again`, a.event.evidence));
    if (s.deviceSilentMs > 0 && now - d.lastSeen >= s.deviceSilentMs && !offline.has(d.gateway) && (!a || a.event.evidence.lastSeen !== d.lastSeen)) {
      const evidence: CloudEvidence = { rule: { type: 'device-silent', deviceSilentMs: s.deviceSilentMs }, lastSeen: d.lastSeen, computed: { silentMs: now - d.lastSeen } };
      out.push(raise('device-silent', d.gateway, d.id, d.lastSeen + s.deviceSilentMs, now, `device ${d.id} sent no summary for ${seconds(now - d.lastSeen)} (limit ${seconds(s.deviceSilentMs)})`, evidence));
    }
  }

  for (const g of input.gateways) {
    const mark = lossMark(g.lossLedger);
    const a = held('data-loss', g.id);
    if (a) {
      const reported = a.event.evidence.computed ?? {};
      const grew = mark ? lostSince(mark, { since: reported.lossSince ?? 0, items: reported.items ?? 0 }) : 0;
      if (grew > 0 && mark) out.push(next(a, 'updated', now, now, lossMessage(g.id, mark, mark.items - (reported.raisedItems ?? 0)), lossEvidence(s, g, mark, reported.raisedItems ?? 0, now)));
      else if (now - (reported.grewAt ?? a.event.emittedAt) >= s.dataLossQuietMs) {
        out.push(next(a, 'cleared', now, now, `gateway ${g.id} lost nothing more for ${seconds(now - (reported.grewAt ?? a.event.emittedAt))}`, a.event.evidence));
      }
    } else if (mark && s.dataLossItems > 0) {
      const base = input.lossBaselines.get(g.id);
      const lost = lostSince(mark, base);
      if (lost >= s.dataLossItems) {
        const raisedItems = base && base.since === mark.since ? base.items : 0;
        out.push(raise('data-loss', g.id, '', mark.lastAt || now, now, lossMessage(g.id, mark, lost), lossEvidence(s, g, mark, raisedItems, now)));
      }
    }
  }
  return out;
}

function raise(rule: CloudAlertRuleType, gateway: string, device: string, raisedAt: number, now: number, message: string, evidence: CloudEvidence): CloudAlertEvent {
  return {
    id: alertId(gateway, device, rule, raisedAt),
    revision: 0,
    state: 'raised',
    gateway,
    device,
    rule,
    ruleType: rule,
    severity: CLOUD_RULE_SEVERITY[rule],
    raisedAt,
    at: raisedAt,
    emittedAt: now,
    message,
    evidence,
  };
}

function next(a: StoredAlert, state: 'updated' | 'cleared', at: number, now: number, message: string, evidence: AlertEvidence): CloudAlertEvent {
  return { ...a.event, revision: a.event.revision + 1, state, at, emittedAt: now, message, evidence };
}

/** `computed`: the ledger totals now (items, lossSince), the total when the alert was raised (raisedItems), when it last grew. */
function lossEvidence(s: CloudRuleSettings, g: GatewayRecord, mark: LossMark, raisedItems: number, now: number): CloudEvidence {
  return {
    rule: { type: 'data-loss', dataLossItems: s.dataLossItems, dataLossQuietMs: s.dataLossQuietMs },
    computed: { items: mark.items, lossSince: mark.since, raisedItems, grewAt: now, lastDropAt: mark.lastAt },
    ledger: g.lossLedger,
  };
}

function lossMessage(gateway: string, mark: LossMark, lost: number): string {
  const causes = Object.entries(mark.byCause)
    .filter(([, n]) => n > 0)
    .map(([cause, n]) => `${n} ${cause}`)
    .join(', ');
  return `gateway ${gateway} reports ${lost} item(s) lost (ledger: ${causes || 'empty'})`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
