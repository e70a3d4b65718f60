// The outbox's own small facts, kept in LevelDB with synced writes: when its loss ledger started
// counting, and the status report seqs handed out — reserved a block at a time, so a seq is never
// handed out twice, whatever happens to the process.

import type { Clock } from '../clock/clock.js';
import type { Db, Sublevel } from '../store/db.js';

/** Status seqs reserved per synced write. */
const BLOCK = 1000;

export class OutboxMeta {
  #next = 0;
  #reserved = 0;
  #lossSince = 0;

  constructor(
    private readonly db: Db,
    private readonly sublevel: Sublevel,
  ) {}

  /** Read what earlier runs left (a first run starts counting losses now), and reserve seqs past every seq they could have used. */
  async load(clock: Clock): Promise<void> {
    const since = await this.sublevel.get('lossSince');
    this.#lossSince = since === undefined ? clock.now() : Number(since);
    this.#next = Number((await this.sublevel.get('statusSeq')) ?? 0);
    await this.#reserve(this.#next + BLOCK);
  }

  get lossSince(): number {
    return this.#lossSince;
  }

  async nextStatusSeq(): Promise<number> {
    if (this.#next >= this.#reserved) await this.#reserve(this.#next + BLOCK);
    return this.#next++;
  }

  async #reserve(upTo: number): Promise<void> {
    await this.db.batch(
      [
        { type: 'put', sublevel: this.sublevel, key: 'statusSeq', value: String(upTo) },
        { type: 'put', sublevel: this.sublevel, key: 'lossSince', value: String(this.#lossSince) },
      ],
      { sync: true },
    );
    this.#reserved = upTo;
  }
}
