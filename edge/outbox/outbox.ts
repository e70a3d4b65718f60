// The outbox: everything waiting for the cloud — alert events, summaries, raw snippets and status
// reports — in LevelDB, under ONE byte budget shared by the four classes. Only an acknowledgement
// (or a reject, or the budget, or a TTL) takes an item out; everything survives a restart.
//
// Budget: when the items held exceed `maxBytes`, the oldest items are evicted in EVICTION_ORDER —
// raw snippets, then summaries, then status reports, and alert events only once no other class
// holds anything. When alert events alone exceed the budget the oldest of them go too: the disk
// is a hard limit, and the newest events describe the machines' present state. Every item that
// leaves without an ack is counted by class and reason (metric and loss ledger, loss-ledger.ts).
//
// Revisions: a summary (or raw or status item) queued again with a higher revision replaces the
// unsent older revision (the cloud keeps only the highest anyway); alert events keep every
// revision, as each is an event of the alert's life. The same id and revision queued twice (a
// summary re-emitted by recovery) is queued once. An ack of (id, rev) releases every queued
// revision ≤ rev of that id.
//
// Disk: items go through the gateway's BatchWriter (one LevelDB batch per flush interval with the
// other stores), deletions after acks too, so an SD card sees a few large writes rather than one
// per item. The newest items (not raw snippets) are also kept as queued, in memory, until the
// uplink reads them (FRESH_BYTES): the uplink sends an alert event at once instead of first
// writing (and waiting for) every summary batched with it, and a burst of closing windows goes
// out without being read back from LevelDB and decoded. An item is
// about 120 bytes on disk for a summary (item-codec.ts); what the outbox holds in memory per item is its QueuedItem (class-queue.ts), for the budget, the queue order
// and acks by id, so memory grows with the budget (about 170 bytes per queued item, measured by `npm run bench -- uplink`),
// plus the newest items as objects (at most freshBytes of their encoded size: about 2,000 summaries by default).

import { Turn } from '../analysis/turn.js';
import type { Clock, TimerHandle } from '../clock/clock.js';
import { Resource } from '../lifecycle/resource.js';
import type { Logger } from '../observe/log.js';
import type { Registry } from '../observe/metrics.js';
import type { AnySublevel, BatchWriter } from '../store/batch-writer.js';
import { sublevel, type Db } from '../store/db.js';
import type { ItemText, UplinkItems } from '../uplink/protocol.js';
import { UPLINK_CLASSES, type UplinkClass } from '../uplink/topics.js';
import { ClassQueue, type Entry, type QueuedItem, type TakeOptions } from './class-queue.js';
import { decodeItem, decodeItemText, encodeItem, encodeItemJson, itemKey, MAX_ITEM_SEQ, parseItemKey, readHeader } from './item-codec.js';
import { LossLedger, type LossReason } from './loss-ledger.js';
import { OutboxMeta } from './outbox-meta.js';
import type { RawSnippetText } from './snippet-parts.js';
import { outboxMetrics, type OutboxMetrics } from './metrics.js';

export type { QueuedItem, TakeOptions };

/**
 * Encoded bytes of the newest items kept in memory as queued until the uplink reads them (about
 * 2,000 summaries): what a fleet's window-closing burst queues while the uplink lingers.
 */
export const FRESH_BYTES = 256 * 1024;
/** Classes kept fresh: a raw snippet's readings take far more memory as objects than encoded. */
const FRESH_CLASSES: ReadonlySet<UplinkClass> = new Set(['alert', 'summary', 'status']);

/** Which class is evicted first when the budget is exceeded; oldest item first within a class. */
export const EVICTION_ORDER: readonly UplinkClass[] = ['raw', 'summary', 'status', 'alert'];

/** Sublevels of the gateway's database the outbox uses (short: key bytes reach the SD card too). */
export const OUTBOX_SUBLEVELS = { items: 'ob', ledger: 'obl', meta: 'obm' } as const;

export type BinarySublevel = AnySublevel<Buffer, Buffer>;

export function outboxItems(db: Db): BinarySublevel {
  return db.sublevel<Buffer, Buffer>(OUTBOX_SUBLEVELS.items, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
}

export interface OutboxOptions {
  readonly db: Db;
  /** The gateway's batch writer: the outbox's puts and deletes share its LevelDB batches. */
  readonly writer: BatchWriter;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /** The byte budget every class shares: bytes of keys and values handed to LevelDB. */
  readonly maxBytes: number;
  /** Per class: items queued longer than this are dropped as `expired` (ms; 0 or absent: never). */
  readonly ttlMs?: Partial<Record<UplinkClass, number>>;
  /** How often items past their TTL are looked for (ms, default 60000). */
  readonly expireIntervalMs?: number;
  /** Encoded bytes of the newest items kept as queued until read (default FRESH_BYTES; 0: none). */
  readonly freshBytes?: number;
  /** How long a read decodes items of other classes than alert events before it gives the loop up (ms, default TURN_BUDGET_MS). */
  readonly turnBudgetMs?: number;
}

/** What `add` did: queued it, or not, because it (or a newer revision) already waits. */
export type AddResult = 'queued' | 'duplicate' | 'superseded';

export interface ClassStats {
  readonly items: number;
  readonly bytes: number;
  /** When the oldest item still waiting was queued (ms since the epoch), null when none waits. */
  readonly oldestAt: number | null;
  /** Items taken for sending, not yet acknowledged. */
  readonly taken: number;
}

export interface OutboxStats {
  readonly maxBytes: number;
  readonly used: number;
  readonly classes: Readonly<Record<UplinkClass, ClassStats>>;
  /** When the oldest item of any class was queued, null when the outbox is empty. */
  readonly oldestAt: number | null;
}


export interface ReadItem<C extends UplinkClass = UplinkClass> {
  readonly entry: QueuedItem;
  readonly item: UplinkItems[C];
}

/** An item read for sending: raw snippets and status reports stored as JSON come as their text. */
export interface SendItem<C extends UplinkClass = UplinkClass> {
  readonly entry: QueuedItem;
  readonly item: UplinkItems[C] | ItemText;
}

export class Outbox extends Resource {
  readonly name = 'outbox';
  readonly #o: OutboxOptions;
  readonly #items: BinarySublevel;
  readonly #meta: OutboxMeta;
  readonly #prefix: number;
  readonly #queues: Readonly<Record<UplinkClass, ClassQueue>>;
  readonly #ids = new Map<string, Entry | Entry[]>();
  readonly #ledger: LossLedger;
  readonly #m: OutboxMetrics;
  readonly #listeners = new Set<(cls?: UplinkClass) => void>();
  /** The newest items as queued, oldest first, until read (FRESH_BYTES): read() takes them from here. */
  readonly #fresh = new Map<QueuedItem, unknown>();
  #freshBytes = 0;
  #used = 0;
  #seq = 0;
  #expireTimer: TimerHandle | undefined;
  #evictedSinceLog = 0;
  #lastEvictLog = -Infinity;

  constructor(options: OutboxOptions) {
    super();
    if (!(Number.isSafeInteger(options.maxBytes) && options.maxBytes > 0)) throw new TypeError(`outbox maxBytes must be a positive integer, got ${options.maxBytes}`);
    this.#o = options;
    this.#items = outboxItems(options.db);
    this.#meta = new OutboxMeta(options.db, sublevel(options.db, OUTBOX_SUBLEVELS.meta));
    this.#ledger = new LossLedger(sublevel(options.db, OUTBOX_SUBLEVELS.ledger), options.writer);
    this.#prefix = Buffer.byteLength(this.#items.prefix);
    this.#queues = Object.fromEntries(UPLINK_CLASSES.map((c) => [c, new ClassQueue(c)])) as Record<UplinkClass, ClassQueue>;
    this.#m = outboxMetrics(options.metrics, {
      maxBytes: options.maxBytes,
      classStats: (c) => this.#classStats(c),
      now: () => options.clock.now(),
    });
  }

  get maxBytes(): number {
    return this.#o.maxBytes;
  }

  /** Bytes of the budget held now. */
  get used(): number {
    return this.#used;
  }

  /**
   * Always false: with a byte budget the outbox never refuses an item, it evicts by EVICTION_ORDER
   * instead (and counts it), so it never asks the gateway to pause its sources.
   */
  get full(): boolean {
    return false;
  }

  /** When the loss ledger started counting (ms since the epoch): when this outbox was first created. */
  get lossSince(): number {
    return this.#meta.lossSince;
  }

  /**
   * Queue an item. Synchronous: the write goes out with the batch writer's next batch. May evict
   * older items (and, when it alone exceeds the budget, the item itself). Throws TypeError for an
   * item without a 32-hex id and a whole revision.
   */
  add<C extends UplinkClass>(cls: C, item: UplinkItems[C]): AddResult {
    return this.#add(cls, item.id, item.revision, (now) => encodeItem(cls, item, now), item);
  }

  /**
   * add('raw', …) for a snippet part already in its JSON text (snippet-parts.ts snippetPartsText):
   * the flight recorder's readings go from the log's records to the stored item without an object
   * per reading.
   */
  addRawText(part: RawSnippetText): AddResult {
    return this.#add('raw', part.id, part.revision, (now) => encodeItemJson('raw', part.id, part.revision, part.json, now));
  }

  #add(cls: UplinkClass, id: string, revision: number, encode: (now: number) => Buffer, item?: UplinkItems[UplinkClass]): AddResult {
    this.assertOpen();
    const held = this.#held(id);
    if (held.some((e) => e.rev === revision)) {
      this.#m.duplicates[cls].inc();
      return 'duplicate';
    }
    if (cls !== 'alert' && held.some((e) => e.rev > revision)) {
      this.#m.superseded[cls].inc();
      return 'superseded';
    }
    const now = this.#o.clock.now();
    const value = encode(now);
    const seq = this.#seq++;
    if (seq > MAX_ITEM_SEQ) throw new TypeError('outbox seq space exhausted');
    const key = itemKey(cls, seq);
    const entry: Entry = { cls, seq, id, rev: revision, bytes: this.#prefix + key.length + value.length, queuedAt: now, taken: false, sends: 0, gone: false };
    this.#insert(entry);
    this.#o.writer.put(this.#items, key, value);
    if (item !== undefined && FRESH_CLASSES.has(cls)) this.#keepFresh(entry, item);
    this.#m.bytesWritten.inc(entry.bytes);
    this.#m.queued[cls].inc();
    if (cls !== 'alert') for (const old of held) if (!old.taken && old.rev < revision) this.#drop(old, 'superseded');
    this.#enforceBudget();
    for (const listener of this.#listeners) listener(cls);
    return 'queued';
  }

  /** The cloud holds (id, rev): release every queued revision ≤ rev of it. Returns how many (0: unknown id). */
  ack(id: string, rev: number, cls?: UplinkClass): number {
    let n = 0;
    for (const e of this.#held(id)) {
      if (e.rev <= rev && (cls === undefined || e.cls === cls)) {
        this.#drop(e, 'acked');
        n++;
      }
    }
    return n;
  }

  /** The cloud refused (id, rev) for good: drop it and count it in the ledger as `rejected`. Returns how many (0 or 1). */
  reject(id: string, rev: number, cls?: UplinkClass): number {
    const e = this.#held(id).find((x) => x.rev === rev && (cls === undefined || x.cls === cls));
    if (!e) return 0;
    this.#drop(e, 'rejected');
    return 1;
  }

  /** Drop an item the uplink cannot send (e.g. larger than any message may be), with the reason in the ledger. */
  discard(entry: QueuedItem, reason: LossReason): void {
    if (!entry.gone) this.#drop(entry as Entry, reason);
  }

  /** Mark up to `max` waiting items of `cls` as taken for sending, in the order asked for. */
  take(cls: UplinkClass, options: TakeOptions): QueuedItem[] {
    const q = this.#queues[cls];
    const out = [...q.waiting(options)];
    for (const e of out) q.setTaken(e, true);
    return out;
  }

  /** Whether `take` would return anything now (without taking it). */
  hasWaiting(cls: UplinkClass, options: TakeOptions): boolean {
    return !this.#queues[cls].waiting({ ...options, max: 1 }).next().done;
  }

  /**
   * Items taken but not acknowledged (a timeout, a lost connection) wait again, to be sent again.
   * `sent` false: they never left (e.g. a batch was split), so the next send is not a retransmission.
   */
  release(entries: Iterable<QueuedItem>, sent = true): void {
    let any = false;
    for (const e of entries) {
      if (e.gone || !e.taken) continue;
      this.#queues[e.cls].setTaken(e as Entry, false);
      if (!sent) (e as Entry).sends--;
      any = true;
    }
    if (any) for (const listener of this.#listeners) listener();
  }

  /**
   * The items of `entries` still queued, in the same order: the newest as they were queued
   * (no LevelDB at all when a message holds only those), the others read from LevelDB and
   * decoded, writing the batch writer's pending ops first when an item is not there yet. A record
   * that cannot be decoded is dropped (ledger reason `corrupt`) rather than wedging the uplink.
   */
  async read<C extends UplinkClass>(entries: readonly QueuedItem[], options?: { readonly text?: false }): Promise<Array<ReadItem<C>>>;
  /** With `text`: items stored as JSON (raw snippets, alert events, status reports) come back as their text (protocol.ts ItemText). */
  async read<C extends UplinkClass>(entries: readonly QueuedItem[], options: { readonly text: true }): Promise<Array<SendItem<C>>>;
  async read<C extends UplinkClass>(entries: readonly QueuedItem[], options: { readonly text?: boolean } = {}): Promise<Array<SendItem<C>>> {
    const fresh = entries.map((e) => this.#takeFresh(e) as UplinkItems[C] | undefined);
    const values: Array<Buffer | undefined> = [];
    const missing = (): number[] => entries.flatMap((e, i) => (fresh[i] === undefined && values[i] === undefined && !e.gone ? [i] : []));
    const stored = async (wanted: number[]): Promise<void> => {
      if (wanted.length === 0) return;
      const found = await this.#items.getMany(wanted.map((i) => itemKey(entries[i]!.cls, entries[i]!.seq)));
      wanted.forEach((i, j) => (values[i] = found[j]));
    };
    await stored(missing());
    const notYetWritten = missing();
    if (notYetWritten.length > 0) {
      await this.#o.writer.flush();
      await stored(notYetWritten);
    }
    const out: Array<SendItem<C>> = [];
    const decode = options.text === true ? decodeItemText : decodeItem;
    // Decoding 1,000 summaries or a few raw snippets read back is 5–12 ms (a CPU profile of the
    // e2e benchmark): other classes than alert events give the loop up as they go.
    const turn = new Turn(this.#o.turnBudgetMs);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.gone) continue;
      const item = fresh[i];
      if (item !== undefined) {
        out.push({ entry, item });
        continue;
      }
      const value = values[i];
      if (value === undefined) continue;
      if (entry.cls !== 'alert' && turn.due()) {
        await turn.next();
        if (entry.gone) continue;
      }
      try {
        out.push({ entry, item: decode(entry.cls as C, value) });
      } catch (err) {
        this.#o.log.error({ err, class: entry.cls, id: entry.id }, 'outbox record cannot be decoded; dropped');
        this.#drop(entry as Entry, 'corrupt');
      }
    }
    return out;
  }

  /** The first `limit` items of a class, oldest or newest first, decoded (for inspection). */
  async list<C extends UplinkClass>(cls: C, limit: number, order: 'newest' | 'oldest' = 'newest'): Promise<Array<{ seq: number; queuedAt: number; item: UplinkItems[C] }>> {
    const q = this.#queues[cls];
    const picked: QueuedItem[] = [];
    for (const e of order === 'oldest' ? q.oldestFirst() : q.newestFirst()) {
      if (picked.length >= limit) break;
      picked.push(e);
    }
    return (await this.read<C>(picked)).map(({ entry, item }) => ({ seq: entry.seq, queuedAt: entry.queuedAt, item }));
  }

  stats(): OutboxStats {
    const classes = Object.fromEntries(UPLINK_CLASSES.map((c) => [c, this.#classStats(c)])) as Record<UplinkClass, ClassStats>;
    const oldest = UPLINK_CLASSES.map((c) => classes[c].oldestAt).filter((a): a is number => a !== null);
    return { maxBytes: this.#o.maxBytes, used: this.#used, classes, oldestAt: oldest.length ? Math.min(...oldest) : null };
  }

  /** The loss ledger: cumulative since `lossSince`. */
  get ledger(): LossLedger {
    return this.#ledger;
  }

  /**
   * Call `listener` whenever items become available to send: with the class of an item just
   * queued, or without one when items were released to be sent again. Returns a function that stops it.
   */
  onAvailable(listener: (cls?: UplinkClass) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The next status report seq, never handed out before, across restarts too. */
  nextStatusSeq(): Promise<number> {
    return this.#meta.nextStatusSeq();
  }

  /** Drop what has outlived its class TTL now (also runs every expireIntervalMs). Returns how many. */
  expire(): number {
    const now = this.#o.clock.now();
    let n = 0;
    for (const cls of UPLINK_CLASSES) {
      const ttl = this.#o.ttlMs?.[cls] ?? 0;
      if (!(ttl > 0)) continue;
      for (const e of this.#queues[cls].oldestFirst()) {
        if (e.queuedAt > now - ttl) break;
        this.#drop(e, 'expired');
        n++;
      }
    }
    if (n > 0) this.#o.log.warn({ expired: n }, 'outbox items expired before the cloud acknowledged them');
    return n;
  }

  /** Write what waits in the batch writer (e.g. before a checkpoint). */
  async flush(): Promise<void> {
    this.#ledger.persist();
    await this.#o.writer.flush();
  }

  protected async _open(): Promise<void> {
    await this.#ledger.load();
    const damaged: Array<{ key: Buffer; cls: UplinkClass | undefined; bytes: number }> = [];
    for await (const [key, value] of this.#items.iterator()) {
      const bytes = this.#prefix + key.length + value.length;
      let parsed: { cls: UplinkClass; seq: number } | undefined;
      try {
        parsed = parseItemKey(key);
        const h = readHeader(value);
        this.#insert({ cls: parsed.cls, seq: parsed.seq, id: h.id, rev: h.rev, bytes, queuedAt: h.queuedAt, taken: false, sends: 0, gone: false });
        if (parsed.seq >= this.#seq) this.#seq = parsed.seq + 1;
      } catch (err) {
        // One damaged record must not keep the gateway from starting: drop it and say so.
        this.#o.log.error({ err, key: key.toString('hex') }, 'outbox record cannot be read; dropped');
        damaged.push({ key, cls: parsed?.cls, bytes });
        if (parsed && parsed.seq >= this.#seq) this.#seq = parsed.seq + 1;
      }
    }
    for (const d of damaged) {
      this.#o.writer.del(this.#items, d.key);
      if (d.cls) {
        this.#m.dropped(d.cls, 'corrupt').inc();
        this.#ledger.record(d.cls, 'corrupt', 1, d.bytes, this.#o.clock.now());
      }
    }
    await this.#meta.load(this.#o.clock);
    this.#enforceBudget(); // the budget may have been lowered since the last run
    const every = this.#o.expireIntervalMs ?? 60_000;
    this.#expireTimer = this.#o.clock.setInterval(() => this.expire(), every);
    this.#expireTimer.unref();
    this.#o.log.info({ items: this.#countAll(), usedBytes: this.#used, maxBytes: this.#o.maxBytes }, 'outbox open');
  }

  protected async _close(): Promise<void> {
    if (this.#expireTimer) this.#o.clock.clear(this.#expireTimer);
    this.#listeners.clear();
    await this.flush();
  }

  #insert(e: Entry): void {
    this.#queues[e.cls].push(e);
    this.#used += e.bytes;
    const held = this.#ids.get(e.id);
    if (held === undefined) this.#ids.set(e.id, e);
    else if (Array.isArray(held)) held.push(e);
    else this.#ids.set(e.id, [held, e]);
  }

  /** Keep `item` as queued, letting the oldest kept go past freshBytes. */
  #keepFresh(e: Entry, item: unknown): void {
    this.#fresh.set(e, item);
    this.#freshBytes += e.bytes;
    for (const old of this.#fresh.keys()) {
      if (this.#freshBytes <= (this.#o.freshBytes ?? FRESH_BYTES)) break;
      this.#takeFresh(old);
    }
  }

  /** The item kept as queued for `e`, no longer kept; undefined when it is not. */
  #takeFresh(e: QueuedItem): unknown {
    const item = this.#fresh.get(e);
    if (item !== undefined) {
      this.#fresh.delete(e);
      this.#freshBytes -= e.bytes;
    }
    return item;
  }

  #held(id: string): readonly Entry[] {
    const held = this.#ids.get(id);
    return held === undefined ? [] : Array.isArray(held) ? held.slice() : [held];
  }

  #drop(e: Entry, reason: LossReason | 'acked' | 'superseded'): void {
    if (e.gone) return;
    this.#takeFresh(e);
    this.#queues[e.cls].remove(e);
    this.#used -= e.bytes;
    const held = this.#ids.get(e.id);
    if (held === e) this.#ids.delete(e.id);
    else if (Array.isArray(held)) {
      const rest = held.filter((x) => x !== e);
      if (rest.length === 0) this.#ids.delete(e.id);
      else this.#ids.set(e.id, rest.length === 1 ? rest[0]! : rest);
    }
    this.#o.writer.del(this.#items, itemKey(e.cls, e.seq));
    if (reason === 'acked') this.#m.acked[e.cls].inc();
    else if (reason === 'superseded') this.#m.superseded[e.cls].inc();
    else {
      this.#m.dropped(e.cls, reason).inc();
      this.#ledger.record(e.cls, reason, 1, e.bytes, this.#o.clock.now());
    }
  }

  #enforceBudget(): void {
    let evicted = 0;
    let alerts = 0;
    while (this.#used > this.#o.maxBytes) {
      const cls = EVICTION_ORDER.find((c) => this.#queues[c].count > 0);
      if (cls === undefined) break;
      if (cls === 'alert') alerts++;
      this.#drop(this.#queues[cls].oldest()!, 'evicted');
      evicted++;
    }
    if (evicted === 0) return;
    if (alerts > 0) this.#o.log.error({ alerts, maxBytes: this.#o.maxBytes }, 'outbox: alert events alone exceed the byte budget; evicted the oldest alert events');
    // One warning a minute at most while evicting, not one per item.
    this.#evictedSinceLog += evicted;
    const now = this.#o.clock.now();
    if (now - this.#lastEvictLog >= 60_000) {
      this.#o.log.warn({ evicted: this.#evictedSinceLog, maxBytes: this.#o.maxBytes }, 'outbox is at its byte budget: evicting the oldest items (raw snippets, then summaries)');
      this.#evictedSinceLog = 0;
      this.#lastEvictLog = now;
    }
  }

  #classStats(cls: UplinkClass): ClassStats {
    const q = this.#queues[cls];
    return { items: q.count, bytes: q.bytes, oldestAt: q.oldest()?.queuedAt ?? null, taken: q.taken };
  }

  #countAll(): number {
    return UPLINK_CLASSES.reduce((n, c) => n + this.#queues[c].count, 0);
  }
}
