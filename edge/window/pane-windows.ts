// Tumbling and hopping windows over panes: a value updates one pane; a window is emitted by merging
// its panes once the device watermark passes its end, and revised when a late value lands in it.
//
// Retention (L = allowed lateness, W = watermark): a closed window [s, e) is kept until W >= e + L;
// a pane until W >= paneStart + maxSize + L. A not-too-late value has ts + L >= W, and every window
// containing it has e > ts, so e + L > W: it is retained. Each of its panes starts at p >= s, so
// p + maxSize + L >= s + size + L = e + L > W: the panes are retained too.

import { emptyPartials } from '../features/partials.js';
import type { Partials } from '../features/summary.js';
import type { SummaryEmitter } from './emitter.js';
import type { Panes } from './panes.js';
import { alignDown, firstEndingAfter, lastStartingBy, type PaneSpec, type WindowPlan } from './plan.js';
import type { KeyState } from './state.js';

export class PaneWindows {
  readonly #specs: readonly PaneSpec[];
  readonly #paneMs: number;
  readonly #maxSize: number;
  readonly #lateness: number;
  readonly #emitter: SummaryEmitter;

  constructor(plan: WindowPlan, allowedLatenessMs: number, emitter: SummaryEmitter) {
    this.#specs = plan.paneSpecs;
    this.#paneMs = plan.paneMs;
    this.#maxSize = plan.maxSize;
    this.#lateness = allowedLatenessMs;
    this.#emitter = emitter;
  }

  /** Add a value at or after the watermark: no window containing it can have closed yet. */
  add(key: KeyState, ts: number, v: number): void {
    const panes = key.panes;
    let i = panes.cur;
    if (i < 0 || ts < panes.start(i) || ts >= panes.start(i) + this.#paneMs) i = this.#paneFor(panes, ts);
    panes.add(i, ts, v);
  }

  /**
   * Add a value behind the watermark W (but within lateness): every window containing it that has
   * already closed (end <= W) is emitted again with revision + 1, or for the first time (revision 0)
   * when it closed empty and so was never emitted.
   */
  addLate(key: KeyState, ts: number, v: number, watermark: number): void {
    key.panes.add(this.#paneFor(key.panes, ts), ts, v);
    for (const spec of this.#specs) {
      const last = lastStartingBy(ts, spec);
      for (let k = firstEndingAfter(ts, spec); k <= last; k++) {
        const start = k * spec.slide;
        const end = start + spec.size;
        if (end > watermark) break; // later windows end later still
        const merged = this.#merge(key, start, end);
        // The window held data before this value iff it was emitted: every closed window with data is.
        let revision = 0;
        if (merged.count > 1) {
          let revs = key.revs[spec.index];
          if (revs === undefined) key.revs[spec.index] = revs = new Map();
          revision = (revs.get(start) ?? 0) + 1;
          revs.set(start, revision);
        }
        this.#emit(key, spec, start, end, merged, revision);
      }
    }
  }

  /** Emit (revision 0) every window with data whose end is in (w0, w1]: the watermark moved from w0 to w1. */
  close(key: KeyState, w0: number, w1: number): void {
    const panes = key.panes;
    if (panes.length === 0) return;
    for (const spec of this.#specs) {
      const stop = firstEndingAfter(w1, spec); // windows k < stop have ended by w1
      let k = Math.max(firstEndingAfter(w0, spec), firstEndingAfter(panes.start(0), spec));
      let i = 0;
      while (k < stop) {
        const start = k * spec.slide;
        const end = start + spec.size;
        while (i < panes.length && panes.start(i) < start) i++;
        if (i === panes.length) break;
        const first = panes.start(i);
        if (first >= end) {
          // Empty window: jump to the first window containing the next pane.
          k = Math.max(k + 1, firstEndingAfter(first, spec));
          continue;
        }
        this.#emit(key, spec, start, end, this.#mergeFrom(panes, i, start, end), 0);
        k++;
      }
    }
  }

  /** Drop panes and revision records no window within allowed lateness needs any more. */
  purge(key: KeyState, watermark: number): void {
    const panes = key.panes;
    const limit = watermark - this.#maxSize - this.#lateness;
    let n = 0;
    while (n < panes.length && panes.start(n) <= limit) n++;
    panes.dropFirst(n);
    for (const spec of this.#specs) {
      const revs = key.revs[spec.index];
      if (revs === undefined) continue;
      for (const start of revs.keys()) if (start + spec.size + this.#lateness <= watermark) revs.delete(start);
      if (revs.size === 0) key.revs[spec.index] = undefined;
    }
  }

  /** The next watermark at which any window can close (ends are pane multiples) or be purged (pane multiples + L). */
  nextEvent(watermark: number): number {
    const g = this.#paneMs;
    const L = this.#lateness;
    return Math.min(alignDown(watermark, g) + g, alignDown(watermark - L, g) + g + L);
  }

  /** Windows with data not yet emitted (end > W), over all pane specs. */
  openCount(key: KeyState, watermark: number): number {
    let count = 0;
    for (const spec of this.#specs) {
      const from = firstEndingAfter(watermark, spec);
      let counted = from - 1; // last window index counted
      const panes = key.panes;
      for (let i = 0; i < panes.length; i++) {
        const paneStart = panes.start(i);
        const lo = Math.max(counted + 1, firstEndingAfter(paneStart, spec));
        const hi = lastStartingBy(paneStart, spec);
        if (hi >= lo) {
          count += hi - lo + 1;
          counted = hi;
        }
      }
    }
    return count;
  }

  #emit(key: KeyState, spec: PaneSpec, start: number, end: number, partials: Partials, revision: number): void {
    this.#emitter.emit(key.device, key.metric, spec.kind, start, end, spec.size, spec.kind === 'hopping' ? spec.slide : undefined, partials, revision);
  }

  #merge(key: KeyState, start: number, end: number): Partials {
    const panes = key.panes;
    let i = 0;
    while (i < panes.length && panes.start(i) < start) i++;
    return this.#mergeFrom(panes, i, start, end);
  }

  #mergeFrom(panes: Panes, i: number, start: number, end: number): Partials {
    const acc = emptyPartials(start);
    for (; i < panes.length && panes.start(i) < end; i++) panes.mergeInto(acc, i);
    return acc;
  }

  /** The index of the pane containing ts, made in sorted position if new; it becomes the current pane. */
  #paneFor(panes: Panes, ts: number): number {
    const i = panes.at(alignDown(ts, this.#paneMs));
    panes.cur = i;
    return i;
  }
}
