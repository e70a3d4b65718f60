// Turns a closed window's partials into a Summary, stamps it with the clock, and counts it.

import type { Clock } from '../clock/clock.js';
import { deriveFeatures } from '../features/partials.js';
import { summaryId, type Partials, type Summary, type WindowKind, type WindowRef } from '../features/summary.js';

export class SummaryEmitter {
  summariesOut = 0;
  revisionsOut = 0;
  readonly #gateway: string;
  readonly #clock: Clock;
  readonly #onSummary: (summary: Summary) => void;

  constructor(gateway: string, clock: Clock, onSummary: (summary: Summary) => void) {
    this.#gateway = gateway;
    this.#clock = clock;
    this.#onSummary = onSummary;
  }

  /**
   * Emit one revision of a window. `partials` must not be mutated afterwards (callers pass a fresh
   * merge or a copy). `slide` is given for hopping windows only.
   */
  emit(
    device: string,
    metric: string,
    kind: WindowKind,
    start: number,
    end: number,
    size: number,
    slide: number | undefined,
    partials: Partials,
    revision: number,
    retracted = false,
  ): void {
    const window: WindowRef = slide === undefined ? { kind, start, end, size } : { kind, start, end, size, slide };
    const summary: Summary = {
      id: summaryId(this.#gateway, device, metric, kind, start, size),
      revision,
      gateway: this.#gateway,
      device,
      metric,
      window,
      features: deriveFeatures(partials),
      partials,
      emittedAt: this.#clock.now(),
      ...(retracted ? { retracted: true } : {}),
    };
    this.summariesOut++;
    if (revision > 0) this.revisionsOut++;
    this.#onSummary(summary);
  }
}
