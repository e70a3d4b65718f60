// The alert engine's state as it was at one instant, for a checkpoint, written out after that
// instant. A checkpoint holds the feed of readings while it takes its cut; copying or stringifying
// every device's detectors and rules then held the gateway's loop for 9-14 ms at 1,000 devices on
// the development VM (the e2e benchmark at 5,000 readings/s), and every reading arriving meanwhile
// waited. A cut only notes which state objects exist (one pointer per device). Its text is then
// made a slice of devices per turn of the loop, with the feed running again; until the text has
// passed a device, the engine calls capture() before changing it, and the device is copied first
// (copy on write). So the text is the state at the cut whatever ran meanwhile.

import { Turn } from '../analysis/turn.js';

export interface StateCutOptions<S> {
  /** The document's fields before `devices`, in order. */
  readonly head: Readonly<Record<string, unknown>>;
  /** Every device's state at the cut, in the order the text lists them; copied at once. */
  readonly devices: ReadonlyMap<string, S>;
  /** A device's saved form, straight from its state (the state is unchanged since the cut). */
  readonly view: (state: S) => unknown;
  /** A device's saved form as a copy that later changes to the state do not reach. */
  readonly copy: (state: S) => unknown;
  /** The cut is done with: the engine stops calling capture() for it. */
  readonly done: () => void;
  /** How long text() holds the loop before giving it up (ms; default TURN_BUDGET_MS). */
  readonly turnBudgetMs?: number;
}

export class StateCut<S> {
  /** Devices at the cut the text has not passed yet, in the text's order (the engine's map goes on changing). */
  readonly #pending: Map<string, S>;
  /** Saved forms of pending devices the engine has changed since the cut. */
  readonly #copies = new Map<string, unknown>();
  #closed = false;

  constructor(private readonly o: StateCutOptions<S>) {
    this.#pending = new Map(o.devices);
  }

  /** The engine is about to change `device`: copy it first if the text still needs it as it was. */
  capture(device: string): void {
    const state = this.#pending.get(device);
    if (state === undefined || this.#copies.has(device)) return;
    this.#copies.set(device, this.o.copy(state));
  }

  /**
   * The text of `{ ...head, devices: { <device>: <saved form>, ... } }` as JSON.stringify makes it,
   * giving the loop up every turnBudgetMs. Once only; the cut is closed after it.
   */
  async text(): Promise<string> {
    if (this.#closed) throw new TypeError('this state cut is closed');
    try {
      const parts = [JSON.stringify({ ...this.o.head, devices: {} }).slice(0, -2)];
      const turn = new Turn(this.o.turnBudgetMs);
      let first = true;
      // Deleting the entry being visited does not disturb a Map's iteration.
      for (const [device, state] of this.#pending) {
        if (turn.due()) await turn.next();
        const saved = this.#copies.has(device) ? this.#copies.get(device) : this.o.view(state);
        this.#pending.delete(device);
        this.#copies.delete(device);
        parts.push(`${first ? '' : ','}${JSON.stringify(device)}:${JSON.stringify(saved)}`);
        first = false;
      }
      parts.push('}}');
      return parts.join('');
    } finally {
      this.close();
    }
  }

  /** Give the cut up without its text (a checkpoint that failed first); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending.clear();
    this.#copies.clear();
    this.o.done();
  }
}
