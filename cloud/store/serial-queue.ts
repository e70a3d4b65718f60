// Runs async jobs one at a time, in call order: a store's writes read state, decide and write, so
// two batches must never interleave. A failed job does not stop the ones after it.

export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #queued = 0;

  /** Jobs queued so far: a caller can tell whether anything was queued after its own job. */
  get queued(): number {
    return this.#queued;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.#queued++;
    const result = this.#tail.then(job);
    this.#tail = result.catch(() => {});
    return result;
  }

  /** Resolves once every job queued so far has finished. */
  idle(): Promise<void> {
    return this.#tail.then(() => {});
  }
}
