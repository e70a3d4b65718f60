// Failed password checks counted per client address, so nobody can guess passwords at the speed
// of scrypt (or keep the thread pool busy with it): after `maxFailures` failures within `windowMs`
// an address is refused without a check until its window ends. Bounded: the least recently failing
// addresses are forgotten beyond `maxAddresses`.

import type { Clock } from '../../edge/clock/clock.js';

export interface LoginThrottleOptions {
  /** Failures allowed per address within one window (default 10). */
  readonly maxFailures?: number;
  /** The window, from an address's first failure (milliseconds, default 300000). */
  readonly windowMs?: number;
  /** Addresses remembered at most (default 10000). */
  readonly maxAddresses?: number;
}

interface Entry {
  failures: number;
  readonly since: number;
}

export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;

  constructor(
    private readonly clock: Clock,
    o: LoginThrottleOptions = {},
  ) {
    this.#maxFailures = o.maxFailures ?? 10;
    this.#windowMs = o.windowMs ?? 300_000;
    this.#maxAddresses = o.maxAddresses ?? 10_000;
  }

  /** Milliseconds `address` must still wait, or 0 when it may try. */
  waitMs(address: string): number {
    const e = this.#live(address);
    return e && e.failures >= this.#maxFailures ? e.since + this.#windowMs - this.clock.now() : 0;
  }

  failed(address: string): void {
    const e = this.#live(address) ?? { failures: 0, since: this.clock.now() };
    e.failures++;
    this.#entries.delete(address);
    this.#entries.set(address, e);
    if (this.#entries.size > this.#maxAddresses) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** A success forgets the address's failures. */
  succeeded(address: string): void {
    this.#entries.delete(address);
  }

  #live(address: string): Entry | undefined {
    const e = this.#entries.get(address);
    if (e && this.clock.now() - e.since >= this.#windowMs) {
      this.#entries.delete(address);
      return undefined;
    }
    return e;
  }
}
