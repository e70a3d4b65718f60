// Faults between the outbox and the cloud, over a real aedes broker and the acknowledging peer,
// with the outbox on a real LevelDB: malformed acks, acks for ids nobody sent, and connections
// dropped in the middle of a batch (by the peer or by the broker) lose nothing; a cloud outage
// longer than the byte budget can hold keeps every alert, evicts in the documented order and says
// exactly what it lost; on reconnect alerts go first, then the newest summaries, then the backlog
// oldest first; and the bandwidth budget holds while live data keeps flowing.

import type { AedesOptions } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../edge/alert/alert.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Summary } from '../../edge/features/summary.js';
import { defaultUplinkClientId } from '../../edge/uplink/connection.js';
import type { StatusReport, UplinkClass } from '../../edge/uplink/protocol.js';
import type { AckPeer } from '../helpers/ack-peer.js';
import { metric, startPlainBroker, Teardown, type PlainBroker } from '../helpers/mqtt.js';
import { GATEWAY as GW, startRig, type Rig, type RigOptions } from '../helpers/uplink.js';
import { exampleAlert, exampleRaw, exampleSummary } from '../helpers/uplink-items.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

const GATEWAY_CLIENT = defaultUplinkClientId(GW);

async function rig(options: RigOptions): Promise<Rig> {
  const r = await startRig({ ...options, uplink: { statusIntervalMs: 3_600_000, lingerMs: 5, reconnectInitialMs: 20, reconnectMaxMs: 100, ...options.uplink } });
  teardown.defer(() => r.close());
  return r;
}

const summaryNo = (n: number, revision = 0): Summary => exampleSummary(GW, `motor-${n}`, 0, [n, n + 1, n + 2], revision);
const alertNo = (n: number, revision = 0): AlertEvent => ({ ...exampleAlert(GW, `pump-${n}`, revision), id: n.toString(16).padStart(32, '0') });

/** A broker that refuses the gateway ("server unavailable") while `down` is set: the cloud link is out. */
async function brokerWithOutage(): Promise<{ broker: PlainBroker; outage: { down: boolean } }> {
  const outage = { down: false };
  const options: AedesOptions = {
    authenticate: (client, _u, _p, done) => (outage.down && client.id === GATEWAY_CLIENT ? done(Object.assign(new Error('cloud down'), { returnCode: 3 }), false) : done(null, true)),
  };
  const broker = teardown.add(await startPlainBroker(0, options));
  return { broker, outage };
}

function expectHeldExactly(peer: AckPeer, cls: UplinkClass, expected: ReadonlyArray<{ id: string; revision: number }>): void {
  const want = new Map<string, number>();
  for (const e of expected) want.set(e.id, Math.max(want.get(e.id) ?? -1, e.revision));
  expect(peer.of(cls).map((h) => `${h.id}@${h.revision}`).sort()).toEqual([...want].map(([id, rev]) => `${id}@${rev}`).sort());
}

async function drained(r: Rig, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => r.box.outbox.stats().used === 0 && r.uplink.idle, `the outbox to drain (${r.box.outbox.stats().used} bytes left)`, timeoutMs);
}

describe('uplink faults that lose nothing', () => {
  const cases: Array<[string, (r: Rig) => void | Promise<void>, (r: Rig) => void | Promise<void>]> = [
    [
      'malformed acks for the first messages',
      (r) => {
        r.peer!.faults.malformedAcks = true;
        setTimeout(() => (r.peer!.faults.malformedAcks = false), 300);
      },
      (r) => expect(metric(r.metrics, 'tributary_uplink_acks_ignored_total', 'invalid')).toBeGreaterThan(0),
    ],
    [
      'acks for ids nobody sent in every ack',
      (r) => void (r.peer!.faults.unknownIds = 3),
      // Three unknown ids in every ack the peer sent, plus ids no longer held for a good reason: an
      // item sent again after an ack timeout (ackTimeoutMs is short here) is acked twice, and an ack
      // of alert pump-1's revision 2 also takes its revisions 0 and 1 when it arrives before theirs
      // (alerts have messages in flight of their own, so their acks may cross): at most 2. The
      // outbox can drain before the last acks are read: wait for them.
      async (r) => {
        const ignored = () => metric(r.metrics, 'tributary_uplink_acks_ignored_total', 'unknown_id');
        await waitFor(() => ignored() >= 3 * r.peer!.acksSent, 'three unknown ids counted per ack sent');
        const retransmitted = ['summary', 'alert', 'raw', 'status'].reduce((n, c) => n + metric(r.metrics, 'tributary_uplink_retransmitted_total', c), 0);
        expect(ignored() - 3 * r.peer!.acksSent).toBeLessThanOrEqual(retransmitted + 2);
      },
    ],
    [
      'the peer dropping its connection in the middle of a batch',
      (r) => void (r.peer!.faults.disconnectOnMessage = 2),
      (r) => expect(r.peer!.disconnects).toBe(1),
    ],
    [
      'the broker dropping the gateway in the middle of a batch',
      (r) => {
        let n = 0;
        r.broker.aedes.authorizePublish = (client, _packet, done) => {
          if (client?.id === GATEWAY_CLIENT && ++n === 3) return client.conn.destroy(); // no PUBACK, no ack: gone mid-stream
          done(null);
        };
      },
      (r) => expect(metric(r.metrics, 'tributary_uplink_disconnects_total')).toBeGreaterThanOrEqual(1),
    ],
  ];

  it.each(cases)('%s', async (_name, fault, check) => {
    const r = await rig({ uplink: { ackTimeoutMs: 400, maxBatchItems: 200 } });
    await fault(r);
    const summaries = Array.from({ length: 1500 }, (_, i) => summaryNo(i));
    const alerts = [alertNo(1), alertNo(1, 1), alertNo(2), alertNo(1, 2)];
    const raws = [exampleRaw(GW, 'pump-1', alertNo(1).id, 0), exampleRaw(GW, 'pump-1', alertNo(1).id, 1)];
    // Produced while sending, as a gateway does.
    for (let i = 0; i < summaries.length; i++) {
      r.box.outbox.add('summary', summaries[i]!);
      if (i % 500 === 100) r.box.outbox.add('alert', alerts[i / 500 | 0]!);
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    r.box.outbox.add('alert', alerts[3]!);
    for (const raw of raws) r.box.outbox.add('raw', raw);
    await drained(r);
    expectHeldExactly(r.peer!, 'summary', summaries);
    expectHeldExactly(r.peer!, 'alert', alerts);
    expectHeldExactly(r.peer!, 'raw', raws);
    expect(r.box.outbox.ledger.entries()).toEqual([]);
    await check(r);
  });
});

describe('a cloud outage', () => {
  it('keeps every alert when the byte budget is too small, evicts in order, and reports exactly what it lost', async () => {
    const { broker, outage } = await brokerWithOutage();
    outage.down = true;
    const r = await rig({ broker, outbox: { maxBytes: 24_000 } });
    await waitFor(() => metric(r.metrics, 'tributary_uplink_disconnects_total') >= 1, 'the refused connection');
    const produced: Record<UplinkClass, Array<{ id: string; revision: number }>> = { alert: [], summary: [], raw: [], status: [] };
    const add = <C extends UplinkClass>(cls: C, item: Parameters<typeof r.box.outbox.add<C>>[1]) => {
      r.box.outbox.add(cls, item);
      produced[cls].push(item);
    };
    for (let i = 0; i < 600; i++) {
      add('summary', summaryNo(i));
      if (i % 60 === 30) add('alert', alertNo(i));
      if (i % 60 === 31) add('raw', exampleRaw(GW, `pump-${i}`, alertNo(i).id, 0));
    }
    add('alert', alertNo(30, 1)); // a later event of the first alert
    await r.uplink.reportStatus(); // queued during the outage: it may evict summaries too
    const ledgerBefore = r.box.outbox.ledger.entries();
    const kept = r.box.outbox.stats().classes.summary.items;
    outage.down = false;
    await waitFor(() => r.uplink.connected, 'the link to come back');
    await drained(r);
    const peer = r.peer!;
    // Every alert event arrived; every raw snippet was evicted (raw goes first); the summaries that
    // arrived are exactly the newest ones (the oldest go first).
    expectHeldExactly(peer, 'alert', produced.alert);
    expect(peer.of('raw')).toEqual([]);
    expectHeldExactly(peer, 'summary', produced.summary.slice(-kept));
    expect(kept).toBeLessThan(600);
    // The ledger matches what was produced and never arrived, class by class.
    expect(r.box.outbox.ledger.items('evicted', 'summary')).toBe(600 - peer.of('summary').length);
    expect(r.box.outbox.ledger.items('evicted', 'raw')).toBe(produced.raw.length);
    expect(r.box.outbox.ledger.items('evicted', 'alert')).toBe(0);
    expect(r.box.outbox.ledger.entries()).toEqual(ledgerBefore); // nothing lost once the link was back
    // And the cloud is told: the report made during the outage said what was lost by then, the next one all of it.
    const during = peer.of('status').map((h) => h.item as StatusReport).sort((a, b) => b.seq - a.seq)[0]!;
    expect(during.loss.map((l) => [l.class, l.reason])).toEqual(ledgerBefore.map((l) => [l.class, l.reason]));
    expect(during.backlog.alert.items).toBe(produced.alert.length);
    await r.uplink.reportStatus();
    await drained(r);
    const after = peer.of('status').map((h) => h.item as StatusReport).sort((a, b) => b.seq - a.seq)[0]!;
    expect(after.seq).toBeGreaterThan(during.seq);
    expect(after.loss).toEqual(ledgerBefore);
    expect(after.backlog.summary).toEqual({ items: 0, bytes: 0, oldestAt: null });
  });

  it('sends alerts first on reconnect, then the newest summaries, then the backlog oldest first', async () => {
    const { broker, outage } = await brokerWithOutage();
    outage.down = true;
    const clock = new FakeClock();
    const r = await rig({ broker, clock, uplink: { maxInFlightBatches: 1, maxBatchItems: 10, liveWindowMs: 60_000, lingerMs: 0 } });
    await waitFor(() => metric(r.metrics, 'tributary_uplink_disconnects_total') >= 1, 'the refused connection');
    const backlog = Array.from({ length: 30 }, (_, i) => summaryNo(i));
    for (const s of backlog) {
      r.box.outbox.add('summary', s);
      clock.advance(1000);
    }
    clock.advance(600_000); // ten minutes later: the backlog is old
    const alerts = [alertNo(1), alertNo(2), alertNo(1, 1)];
    for (const a of alerts) r.box.outbox.add('alert', a);
    const live = Array.from({ length: 20 }, (_, i) => summaryNo(100 + i));
    for (const s of live) {
      r.box.outbox.add('summary', s);
      clock.advance(1000);
    }
    outage.down = false;
    // Reconnect attempts run on the fake clock: move it on until one gets through.
    await waitFor(() => (clock.advance(100), r.uplink.connected), 'the link to come back');
    await drained(r);
    const order = r.peer!.arrivals.flatMap((a) => a.items.map((i) => `${a.class}:${i.id}@${i.revision}`));
    const key = (cls: string) => (i: { id: string; revision: number }) => `${cls}:${i.id}@${i.revision}`;
    const status = order.filter((o) => o.startsWith('status:'));
    expect(status).toHaveLength(1); // the report queued at open, before the outage items: backlog
    expect(order).toEqual([
      ...alerts.map(key('alert')),
      ...[...live].reverse().map(key('summary')),
      ...status,
      ...backlog.map(key('summary')),
    ]);
  });
});

describe('the bandwidth budget', () => {
  it('holds the byte rate while draining a backlog, and live summaries still go at once', async () => {
    const clock = new FakeClock();
    const RATE = 20_000;
    const r = await rig({ clock, uplink: { bytesPerSec: RATE, burstBytes: 20_000, liveReserve: 0.25, maxBatchItems: 20, gzip: false, lingerMs: 0 } });
    await waitFor(() => r.uplink.connected, 'the uplink to connect');
    // Sent bytes are counted when sent, before the step that sent them ends.
    const sentBytes = () => (['alert', 'summary', 'raw', 'status'] as const).reduce((n, c) => n + metric(r.metrics, 'tributary_uplink_sent_bytes_total', c), 0);
    for (let i = 0; i < 3000; i++) r.box.outbox.add('summary', summaryNo(i));
    const live: Array<{ id: string; at: number }> = [];
    const STEP = 100;
    let startBytes = 0;
    let startAt = 0;
    for (let t = 0; t < 40_000; t += STEP) {
      if (t === 5_000) [startBytes, startAt] = [sentBytes(), clock.now()];
      if (t % 500 === 0) {
        const s = summaryNo(10_000 + t);
        r.box.outbox.add('summary', s);
        live.push({ id: s.id, at: clock.now() });
      }
      clock.advance(STEP);
      await waitFor(() => r.uplink.idle, 'the uplink to finish this step');
    }
    const seconds = (clock.now() - startAt) / 1000;
    const rate = (sentBytes() - startBytes) / seconds;
    const message = 20 * 700; // the largest message: 20 summaries of JSON
    expect(rate).toBeLessThanOrEqual(RATE + (20_000 + message) / seconds);
    expect(rate).toBeGreaterThanOrEqual(RATE * 0.9);
    // Backlog is left, yet every live summary older than a second has been acknowledged.
    expect(r.box.outbox.stats().classes.summary.items).toBeGreaterThan(1000);
    const waiting = new Set((await r.box.outbox.list('summary', 1e9)).map((e) => e.item.id));
    expect(live.filter((l) => l.at < clock.now() - 1000 && waiting.has(l.id))).toEqual([]);
  }, 60_000);
});
