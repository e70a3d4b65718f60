// The uplink over a real aedes broker to the acknowledging peer, with the outbox on a real
// LevelDB: items of every class arrive and leave the outbox only once acknowledged, rejects go to
// the loss ledger, the down topics reach their hook, token and certificate logins work, and a
// restart in the middle of a drain loses nothing.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../edge/clock/clock.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { silentLogger } from '../../edge/observe/log.js';
import type { Db } from '../../edge/store/db.js';
import { Uplink } from '../../edge/uplink/client.js';
import { encodeAck, uplinkTopics, type UplinkClass } from '../../edge/uplink/protocol.js';
import { AckPeer } from '../helpers/ack-peer.js';
import { connectClient, hasOpenssl, metric, selfSignedCert, startPlainBroker, Teardown } from '../helpers/mqtt.js';
import { openTestOutbox } from '../helpers/outbox.js';
import { tempDir } from '../helpers/temp-dir.js';
import { GATEWAY as GW, startRig, uplinkConfig, type Rig } from '../helpers/uplink.js';
import { exampleAlert, exampleRaw, exampleSummary } from '../helpers/uplink-items.js';
import { waitFor } from '../helpers/wait.js';

const teardown = new Teardown();
afterEach(() => teardown.run());

async function rig(options: Parameters<typeof startRig>[0] = {}): Promise<Rig> {
  const r = await startRig({ ...options, uplink: { statusIntervalMs: 3_600_000, lingerMs: 5, ...options.uplink } });
  teardown.defer(() => r.close());
  return r;
}

const summaries = (n: number, from = 0) => Array.from({ length: n }, (_, i) => exampleSummary(GW, `motor-${from + i}`, 0, [1, 2, 3 + i]));

/** Wait until the outbox holds nothing but what the uplink never sends unprompted. */
async function drained(r: Rig): Promise<void> {
  await waitFor(() => r.box.outbox.stats().used === 0 && r.uplink.idle, `the outbox to drain (holds ${r.box.outbox.stats().used} bytes)`);
}

/** LevelDB batches wait (counted in `writes`) until `release()`. */
function holdWrites(db: Db): { readonly writes: number; release: () => void } {
  const batch = db.batch.bind(db) as (...args: unknown[]) => Promise<void>;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const state = { writes: 0, release };
  (db as unknown as { batch: (...args: unknown[]) => unknown }).batch = (...args: unknown[]) => {
    if (args.length === 0) return batch();
    state.writes++;
    return gate.then(() => batch(...args));
  };
  return state;
}

function held(peer: AckPeer, cls: UplinkClass): string[] {
  return peer.of(cls).map((h) => `${h.id}@${h.revision}`).sort();
}

describe('Uplink', () => {
  it('sends every class to the peer, and items leave the outbox only once acknowledged', async () => {
    const r = await rig({ peer: false, uplink: { ackTimeoutMs: 300 } });
    const { outbox } = r.box;
    const sent = summaries(1200);
    for (const s of sent) outbox.add('summary', s);
    outbox.add('alert', exampleAlert(GW, 'pump-1'));
    outbox.add('raw', exampleRaw(GW, 'pump-1'));
    await waitFor(() => r.uplink.connected, 'the uplink to connect');
    // Nobody acknowledges yet: what was sent is still held.
    await waitFor(() => metric(r.metrics, 'tributary_uplink_sent_items_total', 'summary') >= 1200, 'the summaries to go once');
    expect(outbox.stats().classes.summary.items).toBe(1200);
    // The peer comes; what went unheard goes again after the ack timeout.
    const peer = await r.startPeer();
    await drained(r);
    expect(held(peer, 'summary')).toEqual(sent.map((s) => `${s.id}@0`).sort());
    expect(peer.of('alert')).toHaveLength(1);
    expect(peer.of('raw')).toHaveLength(1);
    expect(peer.of('status')).toHaveLength(1);
    expect(peer.deadLetters).toEqual([]);
    expect(metric(r.metrics, 'tributary_uplink_retransmitted_total', 'summary')).toBeGreaterThanOrEqual(1200);
    expect(metric(r.metrics, 'tributary_uplink_acked_total', 'summary')).toBe(1200);
  });

  it('sends items queued while connected, in few messages, gzip-compressed', async () => {
    const r = await rig({ uplink: { lingerMs: 50 } });
    await waitFor(() => r.uplink.connected, 'the uplink to connect');
    const sent = summaries(300);
    for (const s of sent) r.box.outbox.add('summary', s);
    await drained(r);
    expect(held(r.peer!, 'summary')).toEqual(sent.map((s) => `${s.id}@0`).sort());
    expect(metric(r.metrics, 'tributary_uplink_sent_batches_total', 'summary')).toBeLessThanOrEqual(3);
    const bytes = metric(r.metrics, 'tributary_uplink_sent_bytes_total', 'summary');
    expect(bytes / 300).toBeLessThan(JSON.stringify(sent[0]).length / 3); // compressed well below the JSON
    expect(metric(r.metrics, 'tributary_outbox_acked_total', 'summary')).toBe(300);
  });

  it('sends alert events at once, without lingering, the alerts of one turn in one message', async () => {
    // A fake clock that is never moved: lingerMs never passes, so whatever arrives did not wait for it.
    const r = await rig({ clock: new FakeClock(), uplink: { lingerMs: 60_000 } });
    await waitFor(() => r.uplink.connected && r.peer!.of('status').length === 1 && r.uplink.idle, 'the uplink to connect and send its first status report');
    const alerts = [exampleAlert(GW, 'pump-1'), { ...exampleAlert(GW, 'pump-2'), id: 'b'.repeat(32) }];
    for (const a of alerts) r.box.outbox.add('alert', a); // one turn: one message
    await waitFor(() => r.peer!.of('alert').length === 2 && r.uplink.idle, 'the alerts to arrive');
    expect(metric(r.metrics, 'tributary_uplink_sent_batches_total', 'alert')).toBe(1);
    expect(r.box.outbox.stats().classes.alert.items).toBe(0);
  });

  it('gives alert events in-flight messages of their own: summaries and earlier alerts waiting for acks never hold one back', async () => {
    const r = await rig({ peer: false, uplink: { maxInFlightBatches: 2, maxBatchItems: 10, ackTimeoutMs: 60_000 } });
    const sentBatches = (cls: UplinkClass) => metric(r.metrics, 'tributary_uplink_sent_batches_total', cls);
    await waitFor(() => r.uplink.connected && sentBatches('status') === 1, 'the first status report to go');
    for (const s of summaries(100)) r.box.outbox.add('summary', s);
    // Nobody acknowledges: the status report and one message of summaries fill maxInFlightBatches.
    await waitFor(() => sentBatches('summary') === 1 && r.uplink.inFlightBatches === 2, 'the summaries to fill what they may');
    r.box.outbox.add('alert', exampleAlert(GW, 'pump-1'));
    await waitFor(() => sentBatches('alert') === 1, 'the first alert to go');
    r.box.outbox.add('alert', { ...exampleAlert(GW, 'pump-2'), id: 'b'.repeat(32) });
    await waitFor(() => sentBatches('alert') === 2, 'the second alert to go, in a message of its own');
    expect(r.uplink.inFlightBatches).toBe(4);
    expect(sentBatches('summary')).toBe(1);
  });

  it('sends an alert event while a pump waits on LevelDB for a batch of summaries', async () => {
    const clock = new FakeClock();
    // A few items kept in memory as queued: most of the summaries must be written and read back.
    const r = await rig({ clock, uplink: { lingerMs: 100 }, outbox: { freshBytes: 1024 } });
    await waitFor(() => r.uplink.connected && r.peer!.of('status').length === 1 && r.uplink.idle, 'the uplink to connect and send its first status report');
    // LevelDB stops answering writes: the pump that takes the summaries waits for them to be written.
    const gate = holdWrites(r.box.db);
    for (const s of summaries(20)) r.box.outbox.add('summary', s);
    clock.advance(100); // the linger is over: a pump takes the summaries and writes them first
    await waitFor(() => gate.writes === 1 && !r.uplink.idle, 'the pump to wait for the write');
    r.box.outbox.add('alert', exampleAlert(GW, 'pump-1'));
    await waitFor(() => r.peer!.of('alert').length === 1, 'the alert to arrive');
    expect(r.peer!.of('summary')).toHaveLength(0);
    gate.release();
    await waitFor(() => r.peer!.of('summary').length === 20, 'the summaries to arrive once written');
  });

  it('sends the newest items as queued, without waiting for LevelDB to write them', async () => {
    const clock = new FakeClock();
    const r = await rig({ clock, uplink: { lingerMs: 100 } });
    await waitFor(() => r.uplink.connected && r.peer!.of('status').length === 1 && r.uplink.idle, 'the uplink to connect and send its first status report');
    const gate = holdWrites(r.box.db);
    const sent = summaries(20);
    for (const s of sent) r.box.outbox.add('summary', s);
    r.box.outbox.add('alert', exampleAlert(GW, 'pump-1'));
    clock.advance(100);
    await waitFor(() => r.peer!.of('summary').length === 20 && r.peer!.of('alert').length === 1, 'the summaries and the alert to arrive');
    expect(gate.writes).toBeGreaterThan(0); // their write began, and is still held
    expect(held(r.peer!, 'summary')).toEqual(sent.map((s) => `${s.id}@${s.revision}`).sort());
    gate.release();
    await drained(r);
  });

  it('sends other items once none has been queued for lingerMs, and at most maxLingerMs after the first', async () => {
    const clock = new FakeClock();
    const r = await rig({ clock, uplink: { lingerMs: 100, maxLingerMs: 500 } });
    await waitFor(() => r.uplink.connected && r.peer!.of('status').length === 1 && r.uplink.idle, 'the uplink to connect and send its first status report');
    const batch = summaries(40);
    // A pump starts inside the timer that fires during advance(): idle goes false at once.
    const step = (ms: number, i: number) => {
      r.box.outbox.add('summary', batch[i]!);
      clock.advance(ms);
      return r.uplink.idle;
    };
    // A burst: one every 60 ms keeps the messages lingering past 100 ms after the first.
    expect([step(60, 0), step(60, 1)]).toEqual([true, true]);
    clock.advance(39);
    expect(r.uplink.idle).toBe(true);
    clock.advance(1); // 100 ms after the last one
    expect(r.uplink.idle).toBe(false);
    await waitFor(() => r.peer!.of('summary').length === 2 && r.uplink.idle, 'the two summaries to arrive');
    expect(metric(r.metrics, 'tributary_uplink_sent_batches_total', 'summary')).toBe(1);
    // Items queued every 50 ms without end go 500 ms after the first at the latest.
    const idle: boolean[] = [];
    for (let i = 0; i < 10; i++) idle.push(step(50, 2 + i));
    expect(idle.slice(0, 9).every(Boolean)).toBe(true);
    expect(idle[9]).toBe(false);
    await waitFor(() => r.peer!.of('summary').length === 12, 'the next ten to arrive');
  });

  it('holds items queued since the linger began when an ack runs a pump meanwhile', async () => {
    const clock = new FakeClock();
    const r = await rig({ clock, uplink: { lingerMs: 100 } });
    await waitFor(() => r.uplink.connected && r.peer!.of('status').length === 1 && r.uplink.idle, 'the uplink to connect and send its first status report');
    const [first, second] = summaries(2);
    r.box.outbox.add('summary', first!);
    clock.advance(100);
    r.box.outbox.add('summary', second!); // queued while the first is on its way: a new linger
    // The first one's ack arrives and runs a pump; the second still lingers.
    await waitFor(() => r.box.outbox.stats().classes.summary.items === 1 && r.uplink.idle, 'the first summary to be acknowledged');
    expect(held(r.peer!, 'summary')).toEqual([`${first!.id}@0`]);
    clock.advance(100);
    await waitFor(() => r.peer!.of('summary').length === 2, 'the second summary to go once its linger is over');
  });

  it('counts a reject in the loss ledger and drops the item; the rest arrive', async () => {
    const r = await rig();
    const [bad, ...good] = summaries(5);
    r.peer!.faults.reject.set(bad!.id, 'forbidden');
    for (const s of [bad!, ...good]) r.box.outbox.add('summary', s);
    await drained(r);
    expect(held(r.peer!, 'summary')).toEqual(good.map((s) => `${s.id}@0`).sort());
    expect(r.box.outbox.ledger.items('rejected', 'summary')).toBe(1);
    expect(metric(r.metrics, 'tributary_uplink_rejected_total', 'summary')).toBe(1);
  });

  it('hands config and model pushes to the hook and counts other down messages as ignored', async () => {
    const got: Array<[string, string]> = [];
    const r = await rig({ onDown: (kind, payload) => got.push([kind, payload.toString()]) });
    await waitFor(() => r.uplink.connected, 'the uplink to connect');
    const cloud = await connectClient(r.url, { clientId: 'cloud' }, teardown);
    await cloud.publishAsync(uplinkTopics.config(GW), '{"v":1}', { qos: 1 });
    await cloud.publishAsync(`tributary/v1/${GW}/firmware`, 'x', { qos: 1 });
    await waitFor(() => got.length === 1 && metric(r.metrics, 'tributary_uplink_down_ignored_total', 'firmware') === 1, 'the pushes');
    expect(got).toEqual([['config', '{"v":1}']]);
  });

  it('ignores (and counts) an ack for an id it does not hold and an ack that does not decode', async () => {
    const r = await rig();
    await waitFor(() => r.uplink.connected, 'the uplink to connect');
    const cloud = await connectClient(r.url, { clientId: 'cloud' }, teardown);
    const ack = encodeAck({ gateway: GW, acks: [{ class: 'summary', id: 'f'.repeat(32), rev: 0 }] });
    await cloud.publishAsync(ack.topic, ack.payload, { qos: 1 });
    await cloud.publishAsync(ack.topic, Buffer.from([0x1f, 0x8b, 1, 2, 3]), { qos: 1 });
    await waitFor(() => metric(r.metrics, 'tributary_uplink_acks_ignored_total', 'unknown_id') === 1 && metric(r.metrics, 'tributary_uplink_acks_ignored_total', 'bad_compression') === 1, 'both acks to be counted');
    expect(r.uplink.connected).toBe(true);
  });

  it('resumes after a restart in the middle of a drain: nothing is lost', async () => {
    const dir = tempDir('tributary-uplink-restart-');
    teardown.defer(() => dir[Symbol.dispose]());
    const broker = teardown.add(await startPlainBroker());
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const peer = teardown.add(await AckPeer.start({ url }));
    const sent = summaries(3000);
    let box = await openTestOutbox(dir.path, { clock: systemClock });
    for (const s of sent) box.outbox.add('summary', s);
    const first = new Uplink({ gateway: GW, config: uplinkConfig({ url, maxBatchItems: 100, maxInFlightBatches: 1 }), outbox: box.outbox, clock: systemClock, log: silentLogger(), metrics: box.metrics });
    await first.open();
    await waitFor(() => peer.items.size >= 500, 'part of the backlog to arrive');
    await first.close();
    box = await box.reopen();
    teardown.defer(() => box.close());
    expect(box.outbox.stats().classes.summary.items).toBeLessThan(3000);
    const second = teardown.add(new Uplink({ gateway: GW, config: uplinkConfig({ url }), outbox: box.outbox, clock: systemClock, log: silentLogger(), metrics: box.metrics }));
    await second.open();
    await waitFor(() => box.outbox.stats().classes.summary.items === 0 && second.idle, 'the rest to drain');
    expect(held(peer, 'summary')).toEqual(sent.map((s) => `${s.id}@0`).sort());
  });
});

describe('Uplink logins', () => {
  it('logs in with a user name and a token read from a file', async () => {
    const dir = tempDir('tributary-uplink-token-');
    teardown.defer(() => dir[Symbol.dispose]());
    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, 's3cret-token\n');
    const logins: string[] = [];
    const broker = teardown.add(
      await startPlainBroker(0, {
        authenticate: (client, username, password, done) => {
          logins.push(`${username}:${password?.toString()}`);
          done(null, client.id === 'peer' || (username === 'gw-7' && password?.toString() === 's3cret-token'));
        },
      }),
    );
    const r = await rig({ broker, peer: false, uplink: { username: 'gw-7', tokenFile } });
    await waitFor(() => r.uplink.connected, 'the uplink to log in');
    expect(logins).toContain('gw-7:s3cret-token');
  });

  it.skipIf(!hasOpenssl)('connects over mqtts with a CA and a client certificate', async () => {
    const dir = tempDir('tributary-uplink-tls-');
    teardown.defer(() => dir[Symbol.dispose]());
    mkdirSync(dir.path, { recursive: true });
    const server = selfSignedCert(dir.path, 'server');
    const client = selfSignedCert(dir.path, 'client');
    const aedes = await Aedes.createBroker();
    const subjects: string[] = [];
    const tls = createTlsServer(
      { cert: readFileSync(server.certFile), key: readFileSync(server.keyFile), ca: readFileSync(client.certFile), requestCert: true, rejectUnauthorized: true },
      (socket: TLSSocket) => {
        subjects.push(String(socket.getPeerCertificate().subject?.CN));
        aedes.handle(socket);
      },
    );
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', () => resolve()));
    teardown.defer(() => new Promise<void>((resolve) => aedes.close(() => tls.close(() => resolve()))));
    const port = (tls.address() as { port: number }).port;
    const box = await openTestOutbox(dir.path + '/db', { clock: systemClock });
    teardown.defer(() => box.close());
    const uplink = new Uplink({
      gateway: GW,
      config: uplinkConfig({ url: `mqtts://127.0.0.1:${port}`, caFile: server.certFile, certFile: client.certFile, keyFile: client.keyFile }),
      outbox: box.outbox, clock: systemClock, log: silentLogger(), metrics: box.metrics,
    });
    teardown.add(uplink);
    await uplink.open();
    await waitFor(() => uplink.connected, 'the uplink to connect over TLS');
    expect(subjects).toContain('client');
  });

  it('refuses to open when the token file cannot be read', async () => {
    const dir = tempDir('tributary-uplink-nofile-');
    teardown.defer(() => dir[Symbol.dispose]());
    const box = await openTestOutbox(dir.path, { clock: systemClock });
    teardown.defer(() => box.close());
    const uplink = new Uplink({ gateway: GW, config: uplinkConfig({ url: 'mqtt://127.0.0.1:1', username: 'u', tokenFile: '/nonexistent/token' }), outbox: box.outbox, clock: systemClock, log: silentLogger(), metrics: box.metrics });
    await expect(uplink.open()).rejects.toMatchObject({ code: 'ERR_FILE_READ' });
  });
});
