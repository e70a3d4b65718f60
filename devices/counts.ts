// What the fleet sent, per device and by kind, so a test or an operator can hold it against the
// gateway's own accounting (its /devices endpoint: readings and dead letters per device).
//
// How the two compare: the gateway's readings for a device are good + duplicate (it does not
// de-duplicate), its dead letters are malformed, unless the gateway refuses a good reading for
// its own reasons (e.g. a clock-skew beyond decode.maxClockSkewMs, or unknown devices).

import type { MessageKind } from './message.js';

export interface DeviceCounts {
  /** Readings delivered as sent (handed to the socket, or acknowledged at QoS 1). */
  good: number;
  /** Payloads deliberately malformed (the gateway should dead-letter each one). */
  malformed: number;
  /** Extra copies of a reading already sent. */
  duplicate: number;
  /** Readings measured but not sent, because the device was in a dropout. */
  dropout: number;
  /** Messages the transport failed to deliver (connection lost first, closed while waiting). */
  errors: number;
}

const zero = (): DeviceCounts => ({ good: 0, malformed: 0, duplicate: 0, dropout: 0, errors: 0 });

export class FleetCounts {
  readonly #devices = new Map<string, DeviceCounts>();
  /** Messages handed to transports and not yet confirmed or failed. */
  pending = 0;
  /** good + malformed + duplicate across the fleet, for rates. */
  sent = 0;
  /** errors across the fleet. */
  errors = 0;

  constructor(devices: Iterable<string>) {
    for (const d of devices) this.#devices.set(d, zero());
  }

  delivered(device: string, kind: MessageKind): void {
    this.#get(device)[kind]++;
    this.sent++;
  }

  failed(device: string): void {
    this.#get(device).errors++;
    this.errors++;
  }

  setDropout(device: string, n: number): void {
    this.#get(device).dropout = n;
  }

  get(device: string): Readonly<DeviceCounts> | undefined {
    return this.#devices.get(device);
  }

  totals(): DeviceCounts {
    const t = zero();
    for (const c of this.#devices.values()) {
      t.good += c.good;
      t.malformed += c.malformed;
      t.duplicate += c.duplicate;
      t.dropout += c.dropout;
      t.errors += c.errors;
    }
    return t;
  }

  toJSON(): Record<string, DeviceCounts> {
    return Object.fromEntries([...this.#devices].map(([d, c]) => [d, { ...c }]));
  }

  #get(device: string): DeviceCounts {
    const c = this.#devices.get(device);
    if (!c) throw new TypeError(`device ${device} is not in this fleet`);
    return c;
  }
}
