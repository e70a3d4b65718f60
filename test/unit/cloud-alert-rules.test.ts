// The cloud's own alert rules — gateway offline, device silent, data loss — raising and clearing
// on a fake clock. Events are applied with the store's own lifecycle function (applyAlertEvent),
// so what a case sees is what the store would hold.

import { describe, expect, it } from 'vitest';
import { evaluateCloudRules, type CloudRuleSettings } from '../../cloud/alerts/cloud-rules.js';
import { applyAlertEvent, applyOperator, byNewest } from '../../cloud/store/alert-lifecycle.js';
import type { CloudAlertEvent, DeviceRecord, GatewayRecord, StoredAlert } from '../../cloud/store/contract.js';
import { alertId } from '../../edge/alert/occurrence.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';

const S = 1000;
const MIN = 60 * S;
const SETTINGS: CloudRuleSettings = { gatewayOfflineMs: 2 * MIN, deviceSilentMs: 10 * MIN, dataLossItems: 3, dataLossQuietMs: 15 * MIN };

/** The records a store would hold, and the alerts after each check. */
class World {
  readonly clock = new FakeClock();
  readonly gateways = new Map<string, GatewayRecord>();
  readonly devices = new Map<string, DeviceRecord>();
  readonly alerts = new Map<string, StoredAlert>();
  readonly baselines = new Map<string, { since: number; items: number }>();

  constructor(readonly settings: CloudRuleSettings = SETTINGS) {}

  gateway(id: string, lossLedger: unknown = null): void {
    const held = this.gateways.get(id);
    this.gateways.set(id, { id, firstSeen: held?.firstSeen ?? this.clock.now(), lastSeen: this.clock.now(), backlog: 0, lossLedger: lossLedger ?? held?.lossLedger ?? null });
  }

  device(id: string, gateway: string): void {
    const held = this.devices.get(id);
    this.devices.set(id, { id, gateway, site: gateway, line: 'default', firstSeen: held?.firstSeen ?? this.clock.now(), lastSeen: this.clock.now() });
  }

  /** One check: the events, applied to the alerts as the store applies them. */
  check(): CloudAlertEvent[] {
    const unresolved = [...this.alerts.values()].filter((a) => a.state !== 'resolved').sort(byNewest);
    const events = evaluateCloudRules(this.settings, { now: this.clock.now(), gateways: [...this.gateways.values()], devices: [...this.devices.values()], unresolved, lossBaselines: this.baselines });
    for (const e of events) {
      this.alerts.set(e.id, applyAlertEvent(this.alerts.get(e.id), e, this.clock.now()).alert);
      const c = e.evidence.computed;
      if (e.ruleType === 'data-loss' && c?.items !== undefined) this.baselines.set(e.gateway, { since: c.lossSince ?? 0, items: c.items });
    }
    return events;
  }

  /** Each check's events as `rule state` (device or gateway), checking every `everyMs` for `forMs`. */
  run(forMs: number, everyMs = 5 * S): string[] {
    const out: string[] = [];
    for (let t = 0; t < forMs; t += everyMs) {
      this.clock.advance(everyMs);
      out.push(...this.check().map((e) => `${e.ruleType} ${e.state} ${e.device || e.gateway}`));
    }
    return out;
  }
}

const ledger = (since: number, ...entries: Array<[string, number, number]>) => ({ lossSince: since, loss: entries.map(([reason, items, lastAt]) => ({ class: 'summary', reason, items, bytes: items * 400, lastAt })) });

describe('gateway-offline', () => {
  it('raises gatewayOfflineMs after the last message, once, and clears when the gateway is heard from', () => {
    const w = new World();
    const t0 = w.clock.now();
    w.gateway('gw-1');
    expect(w.run(2 * MIN - 5 * S)).toEqual([]);
    expect(w.run(5 * S)).toEqual(['gateway-offline raised gw-1']);
    const id = alertId('gw-1', '', 'gateway-offline', t0 + 2 * MIN);
    expect(w.alerts.get(id)).toMatchObject({ state: 'open', event: { severity: 'critical', raisedAt: t0 + 2 * MIN, evidence: { lastSeen: t0 } } });
    expect(w.run(10 * MIN)).toEqual([]);
    w.gateway('gw-1');
    expect(w.run(5 * S)).toEqual(['gateway-offline cleared gw-1']);
    expect(w.alerts.get(id)).toMatchObject({ state: 'resolved', resolved: { by: 'cloud', cause: 'cleared' }, event: { revision: 1, at: t0 + 12 * MIN } });
  });

  it('gives the same alert id whichever worker notices, and whenever', () => {
    const [a, b] = [new World(), new World()];
    for (const w of [a, b]) w.gateway('gw-1');
    a.clock.advance(2 * MIN + 1 * S);
    b.clock.advance(3 * MIN + 7 * S);
    expect(a.check().map((e) => e.id)).toEqual(b.check().map((e) => e.id));
  });

  it('clears the old alert and raises a new one when the gateway was back only briefly between checks', () => {
    const w = new World();
    w.gateway('gw-1');
    w.run(3 * MIN);
    w.clock.advance(1 * S);
    w.gateway('gw-1');
    w.clock.advance(3 * MIN);
    expect(w.check().map((e) => `${e.state} ${e.raisedAt - e.evidence.lastSeen!}`)).toEqual(['cleared 120000', 'raised 120000']);
    expect([...w.alerts.values()].map((a) => a.state).sort()).toEqual(['open', 'resolved']);
  });

  it('does not reopen an alert an operator resolved while the gateway stays away', () => {
    const w = new World();
    w.gateway('gw-1');
    w.run(3 * MIN);
    const [id] = w.alerts.keys();
    w.alerts.set(id!, applyOperator(id!, w.alerts.get(id!), 'resolve', { by: 'otto', note: 'decommissioned' }, w.clock.now()));
    const again = w.check();
    // The rule restates the raise; the store calls it unchanged (same id and revision).
    expect(again.map((e) => [e.id, e.revision])).toEqual([[id, 0]]);
    expect(w.alerts.get(id!)).toMatchObject({ state: 'resolved', resolved: { by: 'otto', cause: 'operator' } });
  });
});

describe('device-silent', () => {
  it('raises deviceSilentMs after the last summary and clears when the device sends again', () => {
    const w = new World();
    w.device('pump-7', 'gw-1');
    const keepGatewayAlive = () => w.gateway('gw-1');
    const events: string[] = [];
    for (let i = 0; i < 12; i++) {
      keepGatewayAlive();
      events.push(...w.run(MIN, 10 * S));
    }
    expect(events).toEqual(['device-silent raised pump-7']);
    const alert = [...w.alerts.values()][0]!;
    expect(alert.event).toMatchObject({ severity: 'warning', device: 'pump-7', gateway: 'gw-1', raisedAt: alert.event.evidence.lastSeen! + 10 * MIN });
    w.device('pump-7', 'gw-1');
    w.gateway('gw-1');
    expect(w.run(10 * S)).toEqual(['device-silent cleared pump-7']);
  });

  it('says nothing about devices of an offline gateway (gateway-offline says it once)', () => {
    const w = new World();
    w.gateway('gw-1');
    for (const d of ['a', 'b', 'c']) w.device(d, 'gw-1');
    expect(w.run(30 * MIN, MIN)).toEqual(['gateway-offline raised gw-1']);
  });

  it('is off at deviceSilentMs 0', () => {
    const w = new World({ ...SETTINGS, deviceSilentMs: 0 });
    w.device('pump-7', 'gw-1');
    for (let i = 0; i < 30; i++) {
      w.gateway('gw-1');
      expect(w.run(MIN, MIN)).toEqual([]);
    }
  });
});

describe('data-loss', () => {
  it('raises when the ledger grows by dataLossItems, updates while it grows, clears after a quiet period, and raises anew from where it left off', () => {
    const w = new World();
    const since = w.clock.now() - 86_400_000;
    const t = () => w.clock.now();
    const report = (...entries: Array<[string, number, number]>) => w.gateway('gw-1', ledger(since, ...entries));

    report(['evicted', 2, t()]);
    expect(w.run(5 * S)).toEqual([]);
    report(['evicted', 2, t()], ['expired', 1, t()]);
    expect(w.run(5 * S)).toEqual(['data-loss raised gw-1']);
    const [id] = w.alerts.keys();
    expect(w.alerts.get(id!)!.event).toMatchObject({ severity: 'warning', message: 'gateway gw-1 reports 3 item(s) lost (ledger: 2 summary/evicted, 1 summary/expired)', evidence: { ledger: ledger(since, ['evicted', 2, t() - 5 * S], ['expired', 1, t() - 5 * S]) } });

    report(['evicted', 9, t()], ['expired', 1, t() - 5 * S]);
    expect(w.run(5 * S)).toEqual(['data-loss updated gw-1']);
    expect(w.alerts.get(id!)!.event.evidence.computed).toMatchObject({ items: 10, raisedItems: 0 });
    // The gateway keeps reporting the same ledger: quiet.
    const quiet: string[] = [];
    for (let m = 0; m < 15; m++) {
      w.gateway('gw-1');
      quiet.push(...w.run(MIN - 5 * S), ...(m < 14 ? w.run(5 * S) : []));
    }
    expect(quiet).toEqual([]);
    expect(w.run(5 * S)).toEqual(['data-loss cleared gw-1']);
    expect(w.alerts.get(id!)).toMatchObject({ state: 'resolved', resolved: { by: 'cloud', cause: 'cleared' } });

    report(['evicted', 11, t()], ['expired', 1, t() - 5 * S]);
    expect(w.run(5 * S)).toEqual([]);
    report(['evicted', 12, t()], ['expired', 1, t() - 5 * S]);
    expect(w.run(5 * S)).toEqual(['data-loss raised gw-1']);
    expect(w.alerts.size).toBe(2);
  });

  it('counts a restarted ledger (new lossSince) from zero', () => {
    const w = new World();
    w.baselines.set('gw-1', { since: 1, items: 500 });
    w.gateway('gw-1', ledger(2, ['evicted', 3, w.clock.now()]));
    expect(w.run(5 * S)).toEqual(['data-loss raised gw-1']);
  });

  it('is off at dataLossItems 0, and ignores ledgers it cannot read', () => {
    const off = new World({ ...SETTINGS, dataLossItems: 0 });
    off.gateway('gw-1', ledger(0, ['evicted', 1000, off.clock.now()]));
    expect(off.run(5 * S)).toEqual([]);
    const odd = new World();
    for (const junk of [{ loss: 'lots' }, 42, [{ items: -5 }, { items: 'x' }]]) {
      odd.gateway('gw-1', junk);
      expect(odd.run(5 * S)).toEqual([]);
    }
  });
});
