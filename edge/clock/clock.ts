// The clock every operator takes instead of calling Date.now() or setTimeout directly,
// so windows, watermarks and idle timeouts can be tested on a fake clock in microseconds.

export interface TimerHandle {
  /** Let the process exit even while this timer is pending (Node's `unref`). */
  unref(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Run `fn` every `ms` milliseconds until cleared. */
  setInterval(fn: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle): void;
}

/** The real clock: Date.now() and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
