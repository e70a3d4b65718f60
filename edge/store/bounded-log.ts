// An append-only, bounded log in a LevelDB sublevel: JSON records under sequential keys,
// the oldest evicted (and counted) once `maxEntries` is exceeded. Dead letters, late readings
// and the outbox are each one of these.

import type { CounterChild } from '../observe/metrics.js';
import type { BatchWriter } from './batch-writer.js';
import { sublevel, type Db, type Sublevel } from './db.js';

export interface LogEntry<T> {
  /** Position in the log: increases by one per append, never reused. */
  readonly seq: number;
  readonly value: T;
}

const KEY_WIDTH = 16;
const keyOf = (seq: number): string => String(seq).padStart(KEY_WIDTH, '0');

export class BoundedLog<T> {
  readonly #sublevel: Sublevel;
  #first = 0; // seq of the oldest entry held
  #next = 0; // seq the next append gets

  private constructor(
    db: Db,
    readonly name: string,
    private readonly writer: BatchWriter,
    private readonly maxEntries: number,
    private readonly evicted: CounterChild,
  ) {
    this.#sublevel = sublevel(db, name);
  }

  /** Open the log named `name`, continuing the sequence where the last run left it. */
  static async open<T>(db: Db, name: string, writer: BatchWriter, maxEntries: number, evicted: CounterChild): Promise<BoundedLog<T>> {
    const log = new BoundedLog<T>(db, name, writer, maxEntries, evicted);
    const [first] = await log.#sublevel.keys({ limit: 1 }).all();
    const [last] = await log.#sublevel.keys({ limit: 1, reverse: true }).all();
    if (first !== undefined && last !== undefined) {
      log.#first = Number(first);
      log.#next = Number(last) + 1;
    }
    return log;
  }

  /** Entries held (including those still waiting in the batch writer). */
  get size(): number {
    return this.#next - this.#first;
  }

  append(value: T): number {
    const seq = this.#next++;
    this.writer.put(this.#sublevel, keyOf(seq), JSON.stringify(value));
    while (this.size > this.maxEntries) {
      this.writer.del(this.#sublevel, keyOf(this.#first++));
      this.evicted.inc();
    }
    return seq;
  }

  /** The newest (default) or oldest `limit` entries, after writing anything pending. */
  async list(limit: number, order: 'newest' | 'oldest' = 'newest'): Promise<Array<LogEntry<T>>> {
    await this.writer.flush();
    return readEntries<T>(this.#sublevel, limit, order);
  }
}

/** Read a log without opening it for writing (e.g. from `tributary edge inspect` on a stopped gateway). */
export async function readLog<T>(db: Db, name: string, limit: number, order: 'newest' | 'oldest'): Promise<{ size: number; entries: Array<LogEntry<T>> }> {
  const sub = sublevel(db, name);
  const [first] = await sub.keys({ limit: 1 }).all();
  const [last] = await sub.keys({ limit: 1, reverse: true }).all();
  const size = first === undefined || last === undefined ? 0 : Number(last) - Number(first) + 1;
  return { size, entries: await readEntries<T>(sub, limit, order) };
}

async function readEntries<T>(sub: Sublevel, limit: number, order: 'newest' | 'oldest'): Promise<Array<LogEntry<T>>> {
  const entries = await sub.iterator({ limit, reverse: order === 'newest' }).all();
  return entries.map(([k, v]) => ({ seq: Number(k), value: JSON.parse(v) as T }));
}
