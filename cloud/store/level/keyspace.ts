// A named key range of the cloud store's one LevelDB database: string keys under a `<name>!`
// prefix, Buffer values. Keys and values are handed to classic-level as Buffers because its
// utf8 transcoding and sublevel prefixing cost about 5 µs per operation in a batch, three times
// the write itself; with thousands of operations per batch that decided the store's throughput.

import type { AbstractSnapshot } from 'abstract-level';
import type { ClassicLevel } from 'classic-level';
import { codedError } from '../../../edge/errors/catalogue.js';

export type Db = ClassicLevel<Buffer, Buffer>;

export type LevelOp = { readonly type: 'put'; readonly key: Buffer; readonly value: Buffer } | { readonly type: 'del'; readonly key: Buffer };

/** Reads from an explicit snapshot see the database as it was when the snapshot was taken. */
export interface ReadOptions {
  readonly snapshot?: AbstractSnapshot | undefined;
}

export interface KeyRange extends ReadOptions {
  readonly gte?: string;
  readonly gt?: string;
  readonly lt?: string;
  readonly lte?: string;
  readonly reverse?: boolean;
  readonly limit?: number;
}

export class Keyspace {
  readonly #prefix: string;
  readonly #prefixBytes: number;
  /** The first key after every key of this space (`!` + 1 is `"`). */
  readonly #end: Buffer;

  constructor(
    private readonly db: Db,
    name: string,
  ) {
    this.#prefix = `${name}!`;
    this.#prefixBytes = Buffer.byteLength(this.#prefix);
    this.#end = Buffer.from(`${name}"`);
  }

  key(k: string): Buffer {
    return Buffer.from(this.#prefix + k, 'utf8');
  }

  put(k: string, value: Buffer | string): LevelOp {
    return { type: 'put', key: this.key(k), value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value };
  }

  del(k: string): LevelOp {
    return { type: 'del', key: this.key(k) };
  }

  async get(k: string, options: ReadOptions = {}): Promise<Buffer | undefined> {
    return read(() => this.db.get(this.key(k), options));
  }

  async getMany(keys: readonly string[], options: ReadOptions = {}): Promise<Array<Buffer | undefined>> {
    if (keys.length === 0) return [];
    return read(() => this.db.getMany(keys.map((k) => this.key(k)), options));
  }

  /**
   * Read on the event loop instead of libuv's pool, for a few keys that are in the memtable or in
   * table blocks the page cache holds: behind the pool's summary writes and roll-up reads, an alert's
   * `getMany` of one key waited up to 8–12 ms at p99 (`npm run bench -- e2e`) for microseconds of work.
   */
  getManySync(keys: readonly string[]): Array<Buffer | undefined> {
    try {
      return keys.map((k) => this.db.getSync(this.key(k)));
    } catch (err) {
      throw codedError('ERR_STORE_READ', [(err as Error).message], { cause: err });
    }
  }

  /** Every entry in range, keys without the prefix. */
  async all(range: KeyRange = {}): Promise<Array<[string, Buffer]>> {
    const out: Array<[string, Buffer]> = [];
    for await (const chunk of this.chunks(range)) out.push(...chunk);
    return out;
  }

  /** Entries in range, a chunk at a time; the iterator is closed when the loop ends early too. */
  async *chunks(range: KeyRange = {}, size = 1000): AsyncGenerator<Array<[string, Buffer]>> {
    const it = this.db.iterator(this.#bounds(range));
    try {
      for (;;) {
        const entries = await read(() => it.nextv(size));
        if (entries.length === 0) return;
        yield entries.map(([k, v]) => [k.toString('utf8', this.#prefixBytes), v]);
      }
    } finally {
      await it.close();
    }
  }

  #bounds(r: KeyRange): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    if (r.gt !== undefined) o.gt = this.key(r.gt);
    else o.gte = this.key(r.gte ?? '');
    if (r.lte !== undefined) o.lte = this.key(r.lte);
    else o.lt = r.lt === undefined ? this.#end : this.key(r.lt);
    if (r.reverse) o.reverse = true;
    if (r.limit !== undefined) o.limit = r.limit;
    if (r.snapshot !== undefined) o.snapshot = r.snapshot;
    return o;
  }
}

/** Run a LevelDB read, turning its failure into ERR_STORE_READ. */
export async function read<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw codedError('ERR_STORE_READ', [(err as Error).message], { cause: err });
  }
}

/** One atomic batch, fsynced before it resolves (the cloud acknowledges gateways only after this). */
export async function writeBatch(db: Db, ops: readonly LevelOp[]): Promise<void> {
  if (ops.length === 0) return;
  try {
    // A chained batch: abstract-level's array form clones and normalises every operation first.
    const batch = db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    await batch.write({ sync: true });
  } catch (err) {
    throw codedError('ERR_STORE_WRITE', [(err as Error).message], { cause: err });
  }
}
