// Runs async jobs one at a time, in call order: a store's writes read state, decide and write, so
// two batches must never interleave. A failed job does not stop the ones after it. (Writes of keys
// no other write touches can have a queue of their own: the LevelDB store's alert writes.)

export class SerialQueue {
  /** Jobs waiting, in the order they will run. */
  #waiting: Array<() => Promise<void>> = [];
  #running = false;
  #queued = 0;

  /** Jobs queued by run() so far: a caller can tell whether anything was queued after its own job. */
  get queued(): number {
    return this.#queued;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.#queued++;
    return this.#enqueue(job);
  }

  /** Resolves once every job queued so far has finished. */
  idle(): Promise<void> {
    return this.#enqueue(async () => {});
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push(() => job().then(resolve, reject));
      if (!this.#running) {
        this.#running = true;
        // Started on a microtask, never inside the caller's own call (group commit gathers meanwhile).
        queueMicrotask(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      await this.#waiting.shift()!();
    }
    this.#running = false;
  }
}
