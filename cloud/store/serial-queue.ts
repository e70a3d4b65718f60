// Runs async jobs one at a time, in call order: a store's writes read state, decide and write, so
// two batches must never interleave. A failed job does not stop the ones after it.
//
// `runFirst` puts a job ahead of every job still waiting (behind the one running and earlier
// `runFirst` jobs): for a write whose order against the waiting ones does not matter because they
// touch other keys, e.g. an alert event that should not wait behind a queue of summary batches.

export class SerialQueue {
  /** Jobs waiting, in the order they will run; the first `#urgent` of them came by runFirst. */
  #waiting: Array<() => Promise<void>> = [];
  #urgent = 0;
  #running = false;
  #queued = 0;

  /** Jobs queued by run() so far: a caller can tell whether anything was queued after its own job. */
  get queued(): number {
    return this.#queued;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.#queued++;
    return this.#enqueue(job, false);
  }

  /** Run `job` before everything still waiting (not counted in `queued`: nothing waits behind it). */
  runFirst<T>(job: () => Promise<T>): Promise<T> {
    return this.#enqueue(job, true);
  }

  /** Resolves once every job queued so far has finished. */
  idle(): Promise<void> {
    return this.#enqueue(async () => {}, false);
  }

  #enqueue<T>(job: () => Promise<T>, urgent: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const wrapped = () => job().then(resolve, reject);
      if (urgent) this.#waiting.splice(this.#urgent++, 0, wrapped);
      else this.#waiting.push(wrapped);
      if (!this.#running) {
        this.#running = true;
        // Started on a microtask, never inside the caller's own call (group commit gathers meanwhile).
        queueMicrotask(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      if (this.#urgent > 0) this.#urgent--;
      await job();
    }
    this.#running = false;
  }
}
