// After a crash, a device may send again readings the gateway had logged but not yet acknowledged
// (the PUBACK died with the process). The guard remembers the readings at the end of the log at
// start-up and takes an arriving reading with the same device, timestamp and values as such a
// resend, once each, for a while: nothing acknowledged is counted twice.
//
// Only readings stamped by the device can be recognised; one stamped on arrival is new each time.

import type { Reading } from '../decode/reading.js';

/** The identity of a reading: device, event time and every metric value. */
export function readingKey(r: Reading): string {
  const names = Object.keys(r.values).sort();
  let key = `${r.device}\u0000${r.ts}`;
  for (const n of names) key += `\u0000${n}=${r.values[n]}`;
  return key;
}

export class ResendGuard {
  readonly #pending = new Map<string, number>();
  #resends = 0;

  /**
   * @param tail the readings at the end of the log, oldest first
   * @param perDevice of those, the newest this many per device are remembered: a device can only
   *   have that many unacknowledged readings in flight (MQTT's receive maximum), so older ones
   *   were acknowledged
   * @param until clock time after which the guard lets everything through and forgets
   */
  constructor(
    tail: Iterable<Reading>,
    perDevice: number,
    private readonly until: number,
  ) {
    const byDevice = new Map<string, string[]>();
    for (const r of tail) {
      if (r.tsFromArrival) continue;
      let keys = byDevice.get(r.device);
      if (keys === undefined) byDevice.set(r.device, (keys = []));
      keys.push(readingKey(r));
      if (keys.length > 2 * perDevice) keys.splice(0, keys.length - perDevice);
    }
    for (const keys of byDevice.values()) for (const key of keys.slice(-perDevice)) this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
  }

  get size(): number {
    return this.#pending.size;
  }

  get resends(): number {
    return this.#resends;
  }

  /** True (and the match is used up) when `r` is a resend of a logged reading. */
  isResend(r: Reading, now: number): boolean {
    if (this.#pending.size === 0) return false;
    if (now > this.until) {
      this.#pending.clear();
      return false;
    }
    if (r.tsFromArrival) return false;
    const key = readingKey(r);
    const left = this.#pending.get(key);
    if (left === undefined) return false;
    if (left <= 1) this.#pending.delete(key);
    else this.#pending.set(key, left - 1);
    this.#resends++;
    return true;
  }
}
