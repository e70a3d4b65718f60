// The cloud's alert rules as a resource on a real LevelDB store and a fake clock: checks run on the
// clock, read the registry from the store, record their alerts (stored, announced on the bus) and
// the API shows them; a restarted worker neither repeats nor forgets what was raised.

import { afterEach, describe, expect, it } from 'vitest';
import { CloudApi } from '../../cloud/api/api.js';
import { CloudAlertRules } from '../../cloud/alerts/rule-runner.js';
import type { StoredAlert } from '../../cloud/store/contract.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Counter } from '../../edge/observe/metrics.js';
import { cloudFixture, PEOPLE, type CloudFixture } from '../helpers/cloud-context.js';
import { call } from '../helpers/http-client.js';
import { windowSummary } from '../helpers/summaries.js';

const MIN = 60_000;
const CONFIG = { alerts: { gatewayOfflineMs: 2 * MIN, deviceSilentMs: 5 * MIN, dataLossItems: 10, checkIntervalMs: 10_000 } };

let open: Array<{ close(): Promise<void> } | CloudFixture> = [];
afterEach(async () => {
  for (const r of open.reverse()) await ('close' in r ? r.close() : r[Symbol.asyncDispose]());
  open = [];
});

async function setup() {
  const clock = new FakeClock(Date.UTC(2024, 10, 24, 6));
  const fx = await cloudFixture({ clock, config: CONFIG });
  open.push(fx);
  const announced: StoredAlert[] = [];
  fx.ctx.bus.on('alert', (a) => announced.push(a));
  const rules = new CloudAlertRules(fx.ctx);
  await rules.open();
  open.push(rules);
  /** Move the clock on (checks start on it), then wait for the check under way. */
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 10_000) {
      clock.advance(Math.min(10_000, ms - t));
      await rules.check();
    }
  };
  return { clock, fx, rules, announced, advance };
}

describe('cloud alert rules on the store', () => {
  it('raise gateway-offline on the clock, announce it, show it in the API, and resolve it when the gateway is back', async () => {
    const { clock, fx, announced, advance } = await setup();
    await fx.ctx.store.upsertGateways([{ id: 'gw-1', lastSeen: clock.now() }]);
    await advance(2 * MIN - 10_000);
    expect(await fx.ctx.store.alerts()).toEqual([]);
    await advance(10_000);
    const [raised] = await fx.ctx.store.alerts();
    expect(raised).toMatchObject({ state: 'open', event: { ruleType: 'gateway-offline', gateway: 'gw-1', severity: 'critical' } });
    expect(announced.map((a) => `${a.id} ${a.state}`)).toEqual([`${raised!.id} open`]);
    await advance(5 * MIN);
    expect(announced).toHaveLength(1);

    const api = new CloudApi(fx.ctx);
    await api.open();
    open.push(api);
    const base = `http://127.0.0.1:${api.port}`;
    const token = (await call(base, '/api/login', { method: 'POST', body: { username: 'vera', password: PEOPLE.vera.password } })).json.token as string;
    const gw = (await call(base, '/api/gateways/gw-1', { token })).json;
    expect(gw.gateway).toMatchObject({ online: false, openAlerts: 1 });

    await fx.ctx.store.upsertGateways([{ id: 'gw-1', lastSeen: clock.now() }]);
    await advance(10_000);
    const after = (await call(base, `/api/alerts/${raised!.id}`, { token })).json.alert as StoredAlert;
    expect(after).toMatchObject({ state: 'resolved', resolved: { by: 'cloud', cause: 'cleared' } });
    expect(after.history.map((h) => `${h.from}→${h.to} ${h.by}`)).toEqual(['null→open cloud', 'open→resolved cloud']);
    expect((await call(base, '/api/gateways/gw-1', { token })).json.gateway).toMatchObject({ online: true, openAlerts: 0 });
    const events = fx.ctx.metrics.get('tributary_cloud_alert_rule_events_total') as Counter;
    expect([events.get('gateway-offline', 'raised'), events.get('gateway-offline', 'cleared')]).toEqual([1, 1]);
  });

  it('take a device\'s summaries seen on the bus as a sign of life before the registry has them', async () => {
    const { clock, fx, advance } = await setup();
    await fx.ctx.store.upsertDevices([{ id: 'pump-7', gateway: 'gw-1', lastSeen: clock.now() }]);
    for (let i = 0; i < 8; i++) {
      await fx.ctx.store.upsertGateways([{ id: 'gw-1', lastSeen: clock.now() }]);
      const s = windowSummary({ device: 'pump-7', metric: 'm', start: clock.now() - 10_000 });
      fx.ctx.bus.emit('summaries', [{ ...s, site: 'gw-1', line: 'default', rolledUp: true, receivedAt: clock.now() }]);
      await advance(MIN);
    }
    expect(await fx.ctx.store.alerts()).toEqual([]);
    for (let i = 0; i < 6; i++) {
      await fx.ctx.store.upsertGateways([{ id: 'gw-1', lastSeen: clock.now() }]);
      await advance(MIN);
    }
    expect((await fx.ctx.store.alerts()).map((a) => `${a.event.ruleType} ${a.event.device} ${a.state}`)).toEqual(['device-silent pump-7 open']);
  });

  it('raise data-loss with the ledger as evidence; a restarted worker counts new loss from what was alerted on', async () => {
    const { clock, fx, rules, advance } = await setup();
    const ledger = { lossSince: clock.now() - 3_600_000, loss: [{ class: 'summary', reason: 'evicted', items: 25, bytes: 10_000, lastAt: clock.now() - 1000 }] };
    await fx.ctx.store.upsertGateways([{ id: 'gw-1', lastSeen: clock.now(), backlog: 900, lossLedger: ledger }]);
    await advance(10_000);
    const [alert] = await fx.ctx.store.alerts();
    expect(alert).toMatchObject({ state: 'open', event: { ruleType: 'data-loss', evidence: { ledger, computed: { items: 25 } } } });
    await fx.ctx.store.resolveAlert(alert!.id, { by: 'otto', note: 'known outage' });
    await rules.close();

    const again = new CloudAlertRules(fx.ctx);
    await again.open();
    open.push(again);
    // 5 more lost: under dataLossItems counted from the 25 already alerted on, so nothing new.
    const grown = { ...ledger, loss: [{ ...ledger.loss[0]!, items: 30, lastAt: clock.now() }] };
    await fx.ctx.store.upsertGateways([{ id: 'gw-1', lastSeen: clock.now(), lossLedger: grown }]);
    await again.check();
    expect((await fx.ctx.store.alerts()).map((a) => a.state)).toEqual(['resolved']);
    const more = { ...ledger, loss: [{ ...ledger.loss[0]!, items: 35, lastAt: clock.now() }] };
    await fx.ctx.store.upsertGateways([{ id: 'gw-1', lastSeen: clock.now(), lossLedger: more }]);
    await again.check();
    expect((await fx.ctx.store.alerts()).map((a) => `${a.state} ${a.event.evidence.computed?.items}`)).toEqual(['open 35', 'resolved 25']);
  });

  it('close stops the checks', async () => {
    const { clock, rules } = await setup();
    await rules.close();
    expect(clock.pending).toBe(0);
  });
});
