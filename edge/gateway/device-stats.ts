// Per-device accounting: what each device sent and what became of it, so a fleet operator (or a
// test) can check that every reading is accounted for. Served at /devices.

export interface DeviceCounts {
  /** Readings that decoded and entered the windows. */
  readings: number;
  /** Messages from this device refused into the dead-letter store. */
  deadLetters: number;
  /** Gateway clock (ms since the epoch) of the last message from the device. */
  lastSeen: number;
}

export class DeviceStats {
  readonly #devices = new Map<string, DeviceCounts>();

  /** @param maxDevices bound on devices tracked; beyond it new devices are counted in `untracked`. */
  constructor(private readonly maxDevices: number) {}

  /** Messages from devices first seen after the bound was reached. */
  untracked = 0;

  reading(device: string, at: number): void {
    const c = this.#get(device);
    if (!c) return;
    c.readings++;
    c.lastSeen = at;
  }

  deadLetter(device: string, at: number): void {
    const c = this.#get(device);
    if (!c) return;
    c.deadLetters++;
    c.lastSeen = at;
  }

  get size(): number {
    return this.#devices.size;
  }

  get(device: string): Readonly<DeviceCounts> | undefined {
    return this.#devices.get(device);
  }

  toJSON(): Record<string, DeviceCounts> {
    return Object.fromEntries(this.#devices);
  }

  #get(device: string): DeviceCounts | undefined {
    let c = this.#devices.get(device);
    if (!c) {
      if (this.#devices.size >= this.maxDevices) {
        this.untracked++;
        return undefined;
      }
      c = { readings: 0, deadLetters: 0, lastSeen: 0 };
      this.#devices.set(device, c);
    }
    return c;
  }
}
