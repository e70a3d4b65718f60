// Which observations a detector or rule looks at: one window definition (none for rules judged on
// the clock or on each reading), and optionally only some devices (by id) or device kinds.
// Compiled once, so matching an observation costs two set lookups.

import type { WindowSpec } from '../window/contract.js';
import { windowKey } from '../window/key.js';

export interface ScopeConfig {
  readonly window?: WindowSpec;
  readonly devices?: readonly string[];
  readonly kinds?: readonly string[];
}

export class Scope {
  /** windowKey() of the window it looks at; undefined when built without a default window (`silent`, `reading-threshold`). */
  readonly window: string | undefined;
  readonly #devices: ReadonlySet<string> | undefined;
  readonly #kinds: ReadonlySet<string> | undefined;

  constructor(config: ScopeConfig, defaultWindow?: WindowSpec) {
    const window = config.window ?? defaultWindow;
    this.window = window && windowKey(window);
    this.#devices = config.devices && new Set(config.devices);
    this.#kinds = config.kinds && new Set(config.kinds);
  }

  /** True when the device is listed, or its kind is, or no filter is set. `kind` is asked only when needed. */
  includes(device: string, kind: () => string | undefined): boolean {
    if (!this.#devices && !this.#kinds) return true;
    if (this.#devices?.has(device)) return true;
    if (!this.#kinds) return false;
    const k = kind();
    return k !== undefined && this.#kinds.has(k);
  }
}
