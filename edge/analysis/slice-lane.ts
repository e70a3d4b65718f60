// A first-in first-out lane that hands its items on in slices, one slice per turn of the event
// loop (setImmediate), so a burst of bulk work — a whole fleet's window summaries going to the
// outbox — lets I/O callbacks (ingest-log commits, sockets, alerts) run between its slices instead
// of holding the loop for the whole burst.
//
// Not a timer: setImmediate runs after the loop's I/O phase whatever the clock says, so the
// stage's behaviour does not depend on time, only on turns.

export class SliceLane<T> {
  readonly #items: T[] = [];
  /** Index of the next item to hand on (items before it are gone; compacted as the lane empties). */
  #head = 0;
  #scheduled = false;
  #waiters: Array<() => void> = [];

  /**
   * @param slice items handed on per turn (≥ 1)
   * @param sink receives each slice, in order
   * @param onError told when the sink throws (a bug in it): the lane moves past that slice rather
   *   than wedging, and the process goes on
   */
  constructor(
    private readonly slice: number,
    private readonly sink: (items: T[]) => void,
    private readonly onError: (err: unknown) => void,
  ) {
    if (!Number.isInteger(slice) || slice < 1) throw new TypeError(`slice must be an integer ≥ 1, got ${slice}`);
  }

  /** Items waiting to be handed on. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  push(items: readonly T[]): void {
    if (items.length === 0) return;
    for (const item of items) this.#items.push(item);
    this.#schedule();
  }

  /** Resolves once every item pushed so far has been handed on. */
  drained(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#turn());
  }

  #turn(): void {
    this.#scheduled = false;
    const end = Math.min(this.#items.length, this.#head + this.slice);
    const slice = this.#items.slice(this.#head, end);
    this.#head = end;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else {
      this.#schedule();
    }
    try {
      this.sink(slice);
    } catch (err) {
      this.onError(err);
    } finally {
      if (this.size === 0 && this.#waiters.length > 0) {
        const waiters = this.#waiters;
        this.#waiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
