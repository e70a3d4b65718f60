// The cloud store contract, second half: alerts and their lifecycle, the gateway and device
// registry, dead letters, and retention. Run by cloud-store.contract.ts for every implementation.

import { expect, it } from 'vitest';
import type { AlertSeverity } from '../../edge/alert/alert.js';
import type { AlertUpsertResult, CloudAlertEvent, StoredAlert } from '../../cloud/store/contract.js';
import { expectCode, rejectionOf } from '../helpers/errors.js';
import { windowSummary } from '../helpers/summaries.js';
import { exampleRaw, exampleStatus } from '../helpers/uplink-items.js';
import { DAY, HOUR, MIN, NOW, ingested, type Harness } from './cloud-store-harness.js';

function alertEvent(o: { id: string; revision: number; state: CloudAlertEvent['state']; device?: string; gateway?: string; severity?: AlertSeverity; raisedAt?: number }): CloudAlertEvent {
  const raisedAt = o.raisedAt ?? NOW - HOUR;
  return {
    id: o.id,
    revision: o.revision,
    state: o.state,
    gateway: o.gateway ?? 'gw-1',
    device: o.device ?? 'd1',
    rule: 'vib-high',
    ruleType: 'threshold',
    severity: o.severity ?? 'warning',
    raisedAt,
    at: raisedAt + o.revision * 10_000,
    emittedAt: raisedAt + o.revision * 10_000,
    message: `vib_rms.mean high (event ${o.revision})`,
    evidence: { rule: { type: 'threshold', above: 3.5 }, features: { 'vib_rms.mean': 4 + o.revision } },
  };
}

const transitions = (a: StoredAlert | undefined) => a?.history.map((t) => `${t.from ?? '-'}→${t.to} by ${t.by}${t.note ? ` (${t.note})` : ''}`);

export function recordsContract(harness: () => Harness): void {
  it('tells onDecided, once per upsert, what the upsert resolves to', async () => {
    const { store } = await harness().open();
    const told: AlertUpsertResult[][] = [];
    const tell = (r: readonly AlertUpsertResult[]) => told.push([...r]);
    const first = await store.upsertAlerts([alertEvent({ id: 'd1', revision: 0, state: 'raised' }), alertEvent({ id: 'd1', revision: 1, state: 'updated' }), alertEvent({ id: 'd2', revision: 0, state: 'raised' })], tell);
    expect(first.map((r) => [r.id, r.outcome])).toEqual([
      ['d1', 'inserted'],
      ['d1', 'replaced'],
      ['d2', 'inserted'],
    ]);
    const again = await store.upsertAlerts([alertEvent({ id: 'd1', revision: 1, state: 'updated' })], tell);
    expect(again[0]!.outcome).toBe('unchanged');
    expect(told).toEqual([first, again]);
    // What it was told is what was stored.
    expect(told[0]![1]!.alert).toEqual(await store.alert('d1'));
  });

  it('answers a read made when an upsert is decided with what the upsert stores', async () => {
    const { store } = await harness().open();
    // Ten upserts, each read from its onDecided: a read that did not wait for the write would, on
    // some of them, end first and miss the alert.
    for (let i = 0; i < 10; i++) {
      const id = `r${i}`;
      const ended: string[] = [];
      let read: Promise<[StoredAlert | undefined, StoredAlert[]]> | undefined;
      const upsert = store.upsertAlerts([alertEvent({ id, revision: 0, state: 'raised', raisedAt: NOW - HOUR + i })], () => {
        read = Promise.all([store.alert(id), store.alerts({ limit: 1 })]).finally(() => ended.push('read'));
      });
      const [result] = await upsert.finally(() => ended.push('upsert'));
      const [one, newest] = await read!;
      expect(ended).toEqual(['upsert', 'read']);
      expect(one).toEqual(result!.alert);
      expect(newest.map((a) => a.id)).toEqual([id]);
    }
  });

  it('takes an alert through its lifecycle, keeping every transition', async () => {
    const h = harness();
    const { store } = await h.open();
    const raised = alertEvent({ id: 'a1', revision: 0, state: 'raised' });
    const [inserted] = await store.upsertAlerts([raised]);
    expect(inserted).toMatchObject({ id: 'a1', revision: 0, outcome: 'inserted', state: 'open' });
    expect(inserted!.alert).toEqual(await store.alert('a1'));
    expect((await store.upsertAlerts([raised]))[0]!.outcome).toBe('unchanged');
    expect((await store.upsertAlerts([alertEvent({ id: 'a1', revision: 1, state: 'updated' })]))[0]).toMatchObject({ outcome: 'replaced', state: 'open' });
    expect((await store.upsertAlerts([raised]))[0]!.outcome).toBe('stale');

    h.clock.advance(MIN);
    const acked = await store.acknowledgeAlert('a1', { by: 'alice', note: 'looking at the bearing' });
    expect(acked.state).toBe('acknowledged');
    expect(acked.acknowledged).toEqual({ by: 'alice', at: NOW + MIN, note: 'looking at the bearing' });
    await expectCode(store.acknowledgeAlert('a1', { by: 'bob' }), 'ERR_CLOUD_ALERT_TRANSITION');

    // Still bad: the evidence is refreshed, the state stays acknowledged.
    expect((await store.upsertAlerts([alertEvent({ id: 'a1', revision: 2, state: 'updated' })]))[0]!.state).toBe('acknowledged');
    h.clock.advance(MIN);
    expect((await store.upsertAlerts([alertEvent({ id: 'a1', revision: 3, state: 'cleared' })]))[0]!.state).toBe('resolved');
    const done = await store.alert('a1');
    expect(done?.event.revision).toBe(3);
    expect(done?.resolved).toEqual({ by: 'gateway:gw-1', at: NOW + 2 * MIN, cause: 'cleared' });
    expect(transitions(done)).toEqual(['-→open by gateway:gw-1', 'open→acknowledged by alice (looking at the bearing)', 'acknowledged→resolved by gateway:gw-1']);
    await expectCode(store.resolveAlert('a1', { by: 'bob' }), 'ERR_CLOUD_ALERT_TRANSITION');

    // An operator resolves another one; the gateway's later clear does not add a transition.
    await store.upsertAlerts([alertEvent({ id: 'a2', revision: 0, state: 'raised' })]);
    const resolved = await store.resolveAlert('a2', { by: 'bob', at: NOW + 5 * MIN, note: 'false alarm' });
    expect(resolved.resolved).toEqual({ by: 'bob', at: NOW + 5 * MIN, note: 'false alarm', cause: 'operator' });
    expect((await store.upsertAlerts([alertEvent({ id: 'a2', revision: 1, state: 'cleared' })]))[0]).toMatchObject({ outcome: 'replaced', state: 'resolved' });
    expect(transitions(await store.alert('a2'))).toEqual(['-→open by gateway:gw-1', 'open→resolved by bob (false alarm)']);

    // A clear that arrives first creates the alert resolved; its raise, arriving later, is stale.
    expect((await store.upsertAlerts([alertEvent({ id: 'a3', revision: 2, state: 'cleared' }), alertEvent({ id: 'a3', revision: 0, state: 'raised' })])).map((r) => r.outcome)).toEqual([
      'inserted',
      'stale',
    ]);
    expect(transitions(await store.alert('a3'))).toEqual(['-→resolved by gateway:gw-1']);

    const missing = await rejectionOf(store.acknowledgeAlert('nope', { by: 'alice' }));
    expect(missing.code).toBe('ERR_CLOUD_ALERT_NOT_FOUND');
    expect(await store.alert('nope')).toBeUndefined();

    // Cloud-side rules are moved by `cloud`.
    await store.upsertAlerts([{ ...alertEvent({ id: 'a4', revision: 0, state: 'raised', device: '' }), rule: 'gateway-offline', ruleType: 'gateway-offline' }]);
    expect(transitions(await store.alert('a4'))).toEqual(['-→open by cloud']);
  });

  it('lists alerts newest first with filters on state, device, gateway, severity and time', async () => {
    const { store } = await harness().open();
    const t = (i: number) => NOW - DAY + i * HOUR;
    await store.upsertAlerts([
      alertEvent({ id: 'x0', revision: 0, state: 'raised', raisedAt: t(0), device: 'd1', severity: 'critical' }),
      alertEvent({ id: 'x1', revision: 0, state: 'raised', raisedAt: t(1), device: 'd2', gateway: 'gw-2' }),
      alertEvent({ id: 'x2', revision: 0, state: 'raised', raisedAt: t(2), device: 'd1', severity: 'info' }),
      alertEvent({ id: 'x3', revision: 4, state: 'cleared', raisedAt: t(3), device: 'd3', severity: 'critical' }),
    ]);
    await store.acknowledgeAlert('x2', { by: 'alice' });
    const ids = async (f: Parameters<typeof store.alerts>[0]) => (await store.alerts(f)).map((a) => a.id);
    expect(await ids({})).toEqual(['x3', 'x2', 'x1', 'x0']);
    expect(await ids({ state: 'open' })).toEqual(['x1', 'x0']);
    expect(await ids({ state: ['acknowledged', 'resolved'] })).toEqual(['x3', 'x2']);
    expect(await ids({ device: 'd1' })).toEqual(['x2', 'x0']);
    expect(await ids({ gateway: 'gw-2' })).toEqual(['x1']);
    expect(await ids({ severity: 'critical' })).toEqual(['x3', 'x0']);
    expect(await ids({ from: t(1), to: t(3) })).toEqual(['x2', 'x1']);
    expect(await ids({ limit: 2 })).toEqual(['x3', 'x2']);
    expect(await ids({ device: 'd1', state: 'open', severity: ['critical', 'warning'] })).toEqual(['x0']);
  });

  it('keeps the gateway and device registry: lastSeen never goes back, absent fields keep their value', async () => {
    const { store } = await harness().open();
    await store.upsertGateways([{ id: 'gw-1', lastSeen: NOW - MIN, backlog: 12, lossLedger: { dropped: { outbox_full: 3 } } }]);
    await store.upsertGateways([{ id: 'gw-1', lastSeen: NOW - HOUR }, { id: 'gw-2', lastSeen: NOW }]);
    expect(await store.gateways()).toEqual([
      { id: 'gw-1', firstSeen: NOW - HOUR, lastSeen: NOW - MIN, backlog: 12, lossLedger: { dropped: { outbox_full: 3 } } },
      { id: 'gw-2', firstSeen: NOW, lastSeen: NOW, backlog: null, lossLedger: null },
    ]);

    await store.upsertDevices([
      { id: 'd1', gateway: 'gw-1', lastSeen: NOW - MIN },
      { id: 'd2', gateway: 'gw-2', lastSeen: NOW, site: 'plant-2', line: 'press' },
    ]);
    await store.upsertDevices([{ id: 'd1', gateway: 'gw-1', lastSeen: NOW - 2 * MIN, line: 'packing' }]);
    expect(await store.devices()).toEqual([
      { id: 'd1', gateway: 'gw-1', site: 'gw-1', line: 'packing', firstSeen: NOW - 2 * MIN, lastSeen: NOW - MIN },
      { id: 'd2', gateway: 'gw-2', site: 'plant-2', line: 'press', firstSeen: NOW, lastSeen: NOW },
    ]);
    expect((await store.devices({ site: 'plant-2' })).map((d) => d.id)).toEqual(['d2']);
    expect((await store.devices({ gateway: 'gw-1', line: 'packing' })).map((d) => d.id)).toEqual(['d1']);
    expect(await store.devices({ line: 'nowhere' })).toEqual([]);
    await expectCode(store.upsertDevices([{ id: 'd3', gateway: 'gw-1', lastSeen: NOW, site: 'bad\u0000site' }]), 'ERR_CLOUD_BAD_SCOPE_NAME');

    // The registry places a device's summaries.
    await ingested(store, [windowSummary({ gateway: 'gw-2', device: 'd2', metric: 'temp', start: NOW - HOUR })]);
    expect((await store.series({ scope: { kind: 'line', site: 'plant-2', line: 'press' }, metric: 'temp', resolutionMs: HOUR, from: 0, to: NOW })).length).toBe(1);
  });

  it('keeps the newest status report of a gateway, whatever order reports arrive in', async () => {
    const { store } = await harness().open();
    const status = (seq: number, over: Partial<ReturnType<typeof exampleStatus>> = {}) => {
      const { id: _id, revision: _revision, gateway: _gateway, ...rest } = { ...exampleStatus('gw-1', seq), ...over };
      return rest;
    };
    await store.upsertGateways([{ id: 'gw-1', lastSeen: NOW - MIN, backlog: 5, lossLedger: ['five'], status: status(5) }]);
    // An older report (seq 4) arrives later: only lastSeen moves.
    await store.upsertGateways([{ id: 'gw-1', lastSeen: NOW, backlog: 4, lossLedger: ['four'], status: status(4) }]);
    expect(await store.gateways()).toEqual([{ id: 'gw-1', firstSeen: NOW - MIN, lastSeen: NOW, backlog: 5, lossLedger: ['five'], status: status(5) }]);
    await store.upsertGateways([{ id: 'gw-1', lastSeen: NOW, backlog: 6, lossLedger: ['six'], status: status(6) }]);
    expect((await store.gateways())[0]).toMatchObject({ backlog: 6, lossLedger: ['six'], status: status(6) });
    // A fresh outbox starts its ledger and sequence again: its reports win once they are newer on the gateway's clock.
    const restarted = status(0, { lossSince: NOW + DAY, at: NOW + DAY });
    await store.upsertGateways([{ id: 'gw-1', lastSeen: NOW + 2 * HOUR, backlog: 0, lossLedger: [], status: restarted }]);
    expect((await store.gateways())[0]).toMatchObject({ lastSeen: NOW + 2 * HOUR, backlog: 0, lossLedger: [], status: restarted });
    // An update without a report leaves the report alone.
    await store.upsertGateways([{ id: 'gw-1', lastSeen: NOW + 3 * HOUR }]);
    expect((await store.gateways())[0]).toMatchObject({ lastSeen: NOW + 3 * HOUR, status: restarted });
  });

  it('keeps flight-recorder snippets by id and revision, listed by alert', async () => {
    const h = harness();
    const { store } = await h.open();
    const a = 'a'.repeat(32);
    const b = 'b'.repeat(32);
    const parts = [exampleRaw('gw-1', 'd1', a, 1), exampleRaw('gw-1', 'd1', a, 0), exampleRaw('gw-2', 'd7', b, 0)];
    expect((await store.putRawSnippets(parts)).map((r) => r.outcome)).toEqual(['inserted', 'inserted', 'inserted']);
    h.clock.advance(MIN);
    const revised = { ...parts[1]!, revision: 1, readings: parts[1]!.readings.slice(0, 1) };
    expect((await store.putRawSnippets([parts[0]!, revised, parts[1]!])).map((r) => r.outcome)).toEqual(['unchanged', 'replaced', 'stale']);

    const ofA = await store.rawSnippets({ alert: a });
    expect(ofA.map((s) => [s.part, s.revision, s.receivedAt])).toEqual([
      [0, 1, NOW + MIN],
      [1, 0, NOW],
    ]);
    expect(ofA[0]).toEqual({ ...revised, receivedAt: NOW + MIN });
    // Values survive exactly, extremes included.
    expect(ofA[1]!.readings[1]!.values.temp).toBe(-1e300);
    expect((await store.rawSnippets({ gateway: 'gw-2' })).map((s) => s.alert)).toEqual([b]);
    expect((await store.rawSnippets({ device: 'd1', limit: 1 })).length).toBe(1);
    expect(await store.rawSnippets({ alert: 'c'.repeat(32) })).toEqual([]);
  });

  it('keeps dead letters with their bytes, newest or oldest first, filtered', async () => {
    const { store } = await harness().open();
    await store.addDeadLetters([
      { reason: 'bad_schema', message: 'revision missing', gateway: 'gw-1', topic: 'tributary/gw-1/summaries', bytes: Buffer.from('{"x":1}'), receivedAt: NOW - 2 * MIN },
      { reason: 'not_json', gateway: 'gw-2', bytes: new Uint8Array([0xff, 0x00, 0x7b]), receivedAt: NOW - MIN },
    ]);
    await store.addDeadLetters([{ reason: 'bad_schema', bytes: Buffer.alloc(0), receivedAt: NOW }]);
    const newest = await store.deadLetters();
    expect(newest.map((d) => [d.seq, d.reason])).toEqual([
      [2, 'bad_schema'],
      [1, 'not_json'],
      [0, 'bad_schema'],
    ]);
    expect([...newest[1]!.bytes]).toEqual([0xff, 0x00, 0x7b]);
    expect(newest[2]).toMatchObject({ message: 'revision missing', gateway: 'gw-1', topic: 'tributary/gw-1/summaries', receivedAt: NOW - 2 * MIN });
    expect(newest[2]!.bytes.toString()).toBe('{"x":1}');
    expect((await store.deadLetters({ order: 'oldest', limit: 2 })).map((d) => d.seq)).toEqual([0, 1]);
    expect((await store.deadLetters({ reason: 'bad_schema' })).map((d) => d.seq)).toEqual([2, 0]);
    expect((await store.deadLetters({ gateway: 'gw-2' })).map((d) => d.seq)).toEqual([1]);
  });

  it('applies retention per resolution, to summaries, dead letters and resolved alerts, and refuses expired summaries', async () => {
    const h = harness();
    const config = {
      rollups: {
        resolutions: [
          { resolutionMs: MIN, retentionMs: 2 * DAY },
          { resolutionMs: HOUR, retentionMs: 3 * DAY },
          { resolutionMs: DAY, retentionMs: 0 },
        ],
      },
      retention: { summariesMs: DAY, deadLettersMs: DAY, resolvedAlertsMs: DAY, rawSnippetsMs: DAY },
    };
    const { store } = await h.open({ config });
    const batch = [];
    for (let t = NOW - 30 * MIN; t < NOW; t += 10_000) batch.push(windowSummary({ device: 'd1', metric: 'temp', start: t }));
    await ingested(store, batch);
    await store.addDeadLetters([{ reason: 'not_json', bytes: Buffer.from('x'), receivedAt: NOW }]);
    await store.upsertAlerts([alertEvent({ id: 'old', revision: 1, state: 'cleared', raisedAt: NOW - HOUR }), alertEvent({ id: 'open', revision: 0, state: 'raised', raisedAt: NOW - HOUR })]);
    // Readings up to NOW + 2 s, and up to NOW + DAY + 2 s.
    await store.putRawSnippets([{ ...exampleRaw('gw-1', 'd1', 'a'.repeat(32)), to: NOW + 2000 }, { ...exampleRaw('gw-1', 'd1', 'b'.repeat(32)), to: NOW + DAY + 2000 }]);
    h.clock.advance(DAY);
    await store.addDeadLetters([{ reason: 'not_json', bytes: Buffer.from('y'), receivedAt: NOW + DAY }]);

    const count = async (res: number) => (await store.series({ scope: { kind: 'device', device: 'd1' }, metric: 'temp', resolutionMs: res, from: 0, to: NOW + 10 * DAY })).length;
    expect([await count(MIN), await count(HOUR), await count(DAY)]).toEqual([30, 1, 1]);

    const first = await store.applyRetention(NOW + 1.5 * DAY);
    expect(first).toEqual({ now: NOW + 1.5 * DAY, summaries: 180, buckets: { [MIN]: 0, [HOUR]: 0, [DAY]: 0 }, deadLetters: 1, alerts: 1, rawSnippets: 1 });
    expect((await store.rawSnippets()).map((r) => r.alert)).toEqual(['b'.repeat(32)]);
    expect(await store.summaries({ from: 0, to: NOW + DAY })).toEqual([]);
    expect((await store.deadLetters()).map((d) => d.bytes.toString())).toEqual(['y']);
    expect((await store.alerts()).map((a) => a.id)).toEqual(['open']);
    // Counted over the four series d1 feeds: device, line, site, fleet.
    expect((await store.applyRetention(NOW + 2.5 * DAY)).buckets).toEqual({ [MIN]: 4 * 30, [HOUR]: 0, [DAY]: 0 });
    expect((await store.applyRetention(NOW + 3.5 * DAY)).buckets).toEqual({ [MIN]: 0, [HOUR]: 4, [DAY]: 0 });
    expect([await count(MIN), await count(HOUR), await count(DAY)]).toEqual([0, 0, 1]);

    // The clock is now a day on: a window whose day bucket began before now − summariesMs is refused.
    const late = windowSummary({ device: 'd1', metric: 'temp', start: NOW - 10 * MIN, revision: 1 });
    const fresh = windowSummary({ device: 'd1', metric: 'temp', start: NOW + DAY - 10 * MIN });
    expect((await store.ingestSummaries([late, fresh])).map((r) => r.outcome)).toEqual(['expired', 'inserted']);
    await store.flushRollups();
    expect(await count(DAY)).toBe(2);
  });
}
