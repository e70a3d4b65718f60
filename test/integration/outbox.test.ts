// The outbox on a real LevelDB: classes, acks by id and revision, the shared byte budget and its
// eviction order, TTLs, the loss ledger, taking items for sending, and a restart that restores
// the same contents and accounting.

import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../edge/alert/alert.js';
import type { FakeClock } from '../../edge/clock/fake-clock.js';
import { EVICTION_ORDER, outboxItems, type Outbox } from '../../edge/outbox/outbox.js';
import { encodeItem, itemKey } from '../../edge/outbox/item-codec.js';
import { readOutbox } from '../../edge/outbox/read-outbox.js';
import { openDb } from '../../edge/store/db.js';
import { ItemText, UPLINK_CLASSES, type UplinkClass, type UplinkItems } from '../../edge/uplink/protocol.js';
import { metric, Teardown } from '../helpers/mqtt.js';
import { openTestOutbox, type TestOutbox, type TestOutboxOptions } from '../helpers/outbox.js';
import { tempDir } from '../helpers/temp-dir.js';
import { exampleAlert, exampleRaw, exampleStatus, exampleSummary } from '../helpers/uplink-items.js';

const GW = 'gw-7';
const teardown = new Teardown();
afterEach(() => teardown.run());

async function open(options: TestOutboxOptions = {}): Promise<TestOutbox & { dir: string }> {
  const dir = tempDir('tributary-outbox-');
  teardown.defer(() => dir[Symbol.dispose]());
  const t = await openTestOutbox(dir.path, options);
  teardown.defer(() => t.close());
  return { ...t, dir: dir.path };
}

const alertNo = (n: number, revision = 0): AlertEvent => ({ ...exampleAlert(GW, `pump-${n}`, revision), id: n.toString(16).padStart(32, '0') });
const summaryNo = (n: number, revision = 0) => exampleSummary(GW, `motor-${n}`, 0, [1, 2, 3], revision);
const rawNo = (n: number) => exampleRaw(GW, `pump-${n}`, 'b'.repeat(32), n);
const statusNo = (n: number) => exampleStatus(GW, n);

async function ids(outbox: Outbox, cls: UplinkClass): Promise<string[]> {
  return (await outbox.list(cls, 1e9, 'oldest')).map((e) => `${e.item.id}@${e.item.revision}`);
}

/** Budget bytes an item takes: sublevel prefix `!ob!`, a 7-byte key, and the stored value. */
const itemBytes = <C extends UplinkClass>(cls: C, item: UplinkItems[C], at: number): number => 4 + 7 + encodeItem(cls, item, at).length;

describe('Outbox', () => {
  it('queues every class and lists it back, with per-class accounting', async () => {
    const { outbox, clock } = await open();
    const at = clock.now();
    outbox.add('summary', summaryNo(1));
    outbox.add('summary', summaryNo(2));
    outbox.add('alert', alertNo(1));
    outbox.add('raw', rawNo(1));
    outbox.add('status', statusNo(1));
    expect(await ids(outbox, 'summary')).toEqual([`${summaryNo(1).id}@0`, `${summaryNo(2).id}@0`]);
    expect((await outbox.list('alert', 10))[0]!.item).toStrictEqual(alertNo(1));
    const stats = outbox.stats();
    expect(stats.classes.summary).toEqual({ items: 2, bytes: itemBytes('summary', summaryNo(1), at) + itemBytes('summary', summaryNo(2), at), oldestAt: at, taken: 0 });
    expect(stats.used).toBe(UPLINK_CLASSES.reduce((n, c) => n + stats.classes[c].bytes, 0));
    expect(stats.oldestAt).toBe(at);
  });

  it('reads the newest items as queued, from memory; older ones, and ones read before, from LevelDB', async () => {
    const kept = 10 * itemBytes('summary', summaryNo(0), 0);
    const { outbox, writer, db } = await open({ freshBytes: kept });
    for (let n = 0; n < 300; n++) outbox.add('summary', summaryNo(n));
    outbox.add('alert', alertNo(1));
    const [alert] = outbox.take('alert', { from: 'oldest', max: 1 });
    expect((await outbox.read([alert!])).map((r) => r.item)).toStrictEqual([alertNo(1)]);
    const [newest] = outbox.take('summary', { from: 'newest', max: 1 });
    expect((await outbox.read([newest!])).map((r) => r.item)).toStrictEqual([summaryNo(299)]);
    // Nothing was written for them: the 301 puts still wait for the writer's interval.
    expect(writer.pending).toBe(301);
    expect(await outboxItems(db).get(itemKey('alert', alert!.seq))).toBeUndefined();
    // The oldest summary is no longer kept (past freshBytes): reading it makes the writer write.
    const [oldest] = outbox.take('summary', { from: 'oldest', max: 1 });
    expect((await outbox.read([oldest!])).map((r) => r.item)).toStrictEqual([summaryNo(0)]);
    expect(writer.pending).toBe(0);
    // An item read once (then released, say) comes from LevelDB, decoded to the same item.
    outbox.release([alert!, newest!]);
    expect((await outbox.read([alert!, newest!])).map((r) => r.item)).toStrictEqual([alertNo(1), summaryNo(299)]);
  });

  it('decodes items read back from LevelDB across turns of the loop, leaving out one acked meanwhile', async () => {
    // A budget of 0: the read gives the loop up before each decode (4 ms by default).
    const { outbox } = await open({ freshBytes: 0, turnBudgetMs: 0 });
    for (let n = 0; n < 30; n++) outbox.add('summary', summaryNo(n));
    const entries = outbox.take('summary', { from: 'oldest', max: 30 });
    let turns = 0;
    let done = false;
    const tick = (): void => {
      if (done) return;
      // The cloud's ack of summary 3 comes in while the read is under way.
      if (++turns === 1) expect(outbox.ack(summaryNo(3).id, 0, 'summary')).toBe(1);
      setImmediate(tick);
    };
    setImmediate(tick);
    const read = await outbox.read(entries);
    done = true;
    expect(read.map((r) => r.item)).toStrictEqual(Array.from({ length: 30 }, (_, n) => n).filter((n) => n !== 3).map((n) => summaryNo(n)));
    // One turn per decode at least (reading from LevelDB itself takes a few, whatever the budget).
    expect(turns).toBeGreaterThanOrEqual(29);
  });

  it('reads raw snippets, alert events and status reports for sending as their JSON text, summaries as objects', async () => {
    const { outbox } = await open({ freshBytes: 0 });
    outbox.add('raw', rawNo(1));
    outbox.add('status', statusNo(1));
    outbox.add('alert', alertNo(1));
    outbox.add('summary', summaryNo(1));
    for (const [cls, item] of [['raw', rawNo(1)], ['status', statusNo(1)], ['alert', alertNo(1)]] as const) {
      const [read] = await outbox.read(outbox.take(cls, { from: 'oldest', max: 1 }), { text: true });
      expect(read?.item).toEqual(new ItemText(JSON.stringify(item)));
    }
    const [summary] = await outbox.read(outbox.take('summary', { from: 'oldest', max: 1 }), { text: true });
    expect(summary?.item).toStrictEqual(summaryNo(1));
  });

  it('reads items that are still waiting in the batch writer', async () => {
    const { outbox, writer } = await open({ flushIntervalMs: 1e9, freshBytes: 0 });
    outbox.add('summary', summaryNo(1));
    expect(writer.pending).toBe(1);
    const [read] = await outbox.read(outbox.take('summary', { from: 'oldest', max: 1 }));
    expect(read?.item).toStrictEqual(summaryNo(1));
  });

  it('evicts raw snippets, then the oldest summaries, then status reports, and alerts only when nothing else is left', async () => {
    // An outage: summaries keep coming, with an alert, a raw snippet and a status report now and then.
    const adds: Array<{ cls: UplinkClass; item: UplinkItems[UplinkClass] }> = [];
    for (let i = 0; i < 400; i++) {
      adds.push({ cls: 'summary', item: summaryNo(i) });
      if (i % 40 === 7) adds.push({ cls: 'alert', item: alertNo(i) });
      if (i % 40 === 8) adds.push({ cls: 'raw', item: rawNo(i) });
      if (i % 100 === 9) adds.push({ cls: 'status', item: statusNo(i) });
    }
    const maxBytes = 12_000;
    const { outbox, metrics, clock } = await open({ maxBytes });
    // The reference: the documented rule, applied to the items' sizes.
    const model: Array<{ cls: UplinkClass; key: string; bytes: number }> = [];
    const evicted: typeof model = [];
    for (const { cls, item } of adds) {
      outbox.add(cls, item);
      model.push({ cls, key: `${item.id}@${item.revision}`, bytes: itemBytes(cls, item, clock.now()) });
      while (model.reduce((n, m) => n + m.bytes, 0) > maxBytes) {
        const victim = EVICTION_ORDER.map((c) => model.findIndex((m) => m.cls === c)).find((i) => i >= 0)!;
        evicted.push(...model.splice(victim, 1));
      }
      expect(outbox.used).toBeLessThanOrEqual(maxBytes);
    }
    for (const cls of UPLINK_CLASSES) expect(await ids(outbox, cls)).toEqual(model.filter((m) => m.cls === cls).map((m) => m.key));
    // Every alert survived; every raw snippet was evicted; summaries went oldest first.
    expect(await ids(outbox, 'alert')).toHaveLength(adds.filter((a) => a.cls === 'alert').length);
    expect(evicted.filter((e) => e.cls === 'raw')).toHaveLength(adds.filter((a) => a.cls === 'raw').length);
    const kept = await ids(outbox, 'summary');
    expect(kept).toEqual(adds.filter((a) => a.cls === 'summary').slice(-kept.length).map((a) => `${a.item.id}@0`));
    // The ledger says exactly what went, and the metric agrees.
    for (const cls of UPLINK_CLASSES) {
      const gone = evicted.filter((e) => e.cls === cls);
      const row = outbox.ledger.entries().find((e) => e.class === cls && e.reason === 'evicted');
      expect(row ? { items: row.items, bytes: row.bytes } : { items: 0, bytes: 0 }).toEqual({ items: gone.length, bytes: gone.reduce((n, e) => n + e.bytes, 0) });
      expect(metric(metrics, 'tributary_outbox_evicted_total', cls, 'evicted')).toBe(gone.length);
    }
  });

  it('evicts the oldest alert events when alerts alone exceed the budget', async () => {
    const { clock } = await open(); // for the size of one alert event at this clock's time
    const one = itemBytes('alert', alertNo(1), clock.now());
    const { outbox } = await open({ maxBytes: one * 3 + 10 });
    for (let i = 1; i <= 5; i++) outbox.add('alert', alertNo(i));
    expect(await ids(outbox, 'alert')).toEqual([3, 4, 5].map((i) => `${alertNo(i).id}@0`));
    expect(outbox.ledger.items('evicted', 'alert')).toBe(2);
  });

  it('drops items past their class TTL as expired', async () => {
    const { outbox, clock } = await open({ ttlMs: { summary: 3_600_000 }, expireIntervalMs: 60_000 });
    const fake = clock as FakeClock;
    outbox.add('summary', summaryNo(1));
    outbox.add('alert', alertNo(1));
    fake.advance(1_800_000);
    outbox.add('summary', summaryNo(2));
    fake.advance(1_800_000); // the expiry timer runs every minute: the first summary is an hour old now
    expect(await ids(outbox, 'summary')).toEqual([`${summaryNo(2).id}@0`]);
    expect(await ids(outbox, 'alert')).toHaveLength(1); // alerts have no TTL here
    expect(outbox.ledger.entries()).toEqual([expect.objectContaining({ class: 'summary', reason: 'expired', items: 1 })]);
  });

  it('reopens with the same contents, accounting and ledger, and never reuses a status seq', async () => {
    const first = await open({ maxBytes: 4_000 });
    const { outbox } = first;
    for (let i = 0; i < 40; i++) outbox.add('summary', summaryNo(i));
    for (let i = 0; i < 3; i++) outbox.add('alert', alertNo(i));
    outbox.add('raw', rawNo(1));
    outbox.ack(summaryNo(39).id, 0);
    outbox.reject(alertNo(0).id, 0);
    const seqs = [await outbox.nextStatusSeq(), await outbox.nextStatusSeq()];
    const before = { stats: outbox.stats(), ledger: outbox.ledger.entries(), since: outbox.lossSince, contents: await Promise.all(UPLINK_CLASSES.map((c) => outbox.list(c, 1e9, 'oldest'))) };
    expect(before.ledger.length).toBeGreaterThan(1);

    (first.clock as FakeClock).advance(5000);
    const second = await first.reopen();
    teardown.defer(() => second.close());
    const again = second.outbox;
    expect(again.stats()).toEqual(before.stats);
    expect(again.ledger.entries()).toEqual(before.ledger);
    expect(again.lossSince).toBe(before.since);
    expect(await Promise.all(UPLINK_CLASSES.map((c) => again.list(c, 1e9, 'oldest')))).toEqual(before.contents);
    expect(await again.nextStatusSeq()).toBeGreaterThan(Math.max(...seqs));
    // Acks still work on the restored index, and new items continue the queue.
    expect(again.ack(alertNo(1).id, 0)).toBe(1);
    again.add('summary', summaryNo(100));
    expect((await again.list('summary', 1))[0]!.item.id).toBe(summaryNo(100).id);
  });

  it('can be read straight from LevelDB while the gateway is stopped', async () => {
    const t = await open();
    for (let i = 0; i < 5; i++) t.outbox.add('summary', summaryNo(i));
    t.outbox.add('alert', alertNo(1));
    const listed = await t.outbox.list('summary', 3, 'newest');
    await t.close();
    const db = await openDb(t.dir);
    teardown.defer(() => db.close());
    const read = await readOutbox(db, 'summary', 3, 'newest');
    expect(read.size).toBe(5);
    expect(read.entries).toEqual(listed);
    expect((await readOutbox(db, 'alert', Infinity, 'oldest')).entries.map((e) => e.item)).toEqual([alertNo(1)]);
  });

  it('evicts at open when the budget was lowered, and drops a damaged record with the reason corrupt', async () => {
    const first = await open();
    for (let i = 0; i < 20; i++) first.outbox.add('summary', summaryNo(i));
    first.outbox.add('alert', alertNo(1));
    await first.outbox.flush();
    await first.db.batch([{ type: 'put', sublevel: outboxItems(first.db), key: itemKey('raw', 999), value: Buffer.from('garbage') }], {});
    const second = await first.reopen({ maxBytes: 1_000 });
    teardown.defer(() => second.close());
    expect(second.outbox.used).toBeLessThanOrEqual(1_000);
    expect(await ids(second.outbox, 'alert')).toHaveLength(1);
    expect(second.outbox.ledger.items('corrupt', 'raw')).toBe(1);
    expect(second.outbox.ledger.items('evicted', 'summary')).toBeGreaterThan(10);
  });
});
