// Session windows: a session covers [first reading, last reading + gap); readings closer than the
// gap join a session, and a reading within the gap of two sessions bridges them into one.
//
// A session is emitted when W >= lastTs + gap and purged when W >= lastTs + gap + L. A not-too-late
// reading (ts + L >= W) can only join sessions with lastTs + gap > ts, so lastTs + gap + L > W:
// every session it joins is still retained. Its id uses (start, gap), so a late reading that moves
// the start earlier, or a bridge that absorbs a later session, retracts the id that disappears.

import { addValue, copyPartials, emptyPartials, mergeInto, rebase } from '../features/partials.js';
import type { SummaryEmitter } from './emitter.js';
import type { SessionSpec, WindowPlan } from './plan.js';
import { Session, type KeyState } from './state.js';

export class SessionWindows {
  readonly #specs: readonly SessionSpec[];
  readonly #lateness: number;
  readonly #emitter: SummaryEmitter;

  constructor(plan: WindowPlan, allowedLatenessMs: number, emitter: SummaryEmitter) {
    this.#specs = plan.sessionSpecs;
    this.#lateness = allowedLatenessMs;
    this.#emitter = emitter;
  }

  /**
   * Add a value to every session spec of the key. Returns the earliest end of a touched session
   * that is still open (the device must wake by then), or Infinity.
   */
  add(key: KeyState, ts: number, v: number, watermark: number): number {
    let wake = Infinity;
    for (const spec of this.#specs) {
      const end = this.#addTo(key, spec.gap, key.sessions[spec.index]!, ts, v, watermark);
      if (end < wake) wake = end;
    }
    return wake;
  }

  /** Emit sessions that ended by W (new or changed), purge those past lateness; returns the next event. */
  close(key: KeyState, watermark: number): number {
    let next = Infinity;
    for (const spec of this.#specs) {
      const list = key.sessions[spec.index]!;
      let purge = 0;
      for (const s of list) {
        const end = s.lastTs + spec.gap;
        if (end > watermark) {
          next = Math.min(next, end);
          break; // sessions are disjoint and sorted, so later ones end later
        }
        if (s.dirty || s.rev < 0) this.#emit(key, spec.gap, s);
        if (end + this.#lateness <= watermark) purge++;
        else next = Math.min(next, end + this.#lateness);
      }
      // Ends increase along the list, so the purgeable sessions are a prefix.
      if (purge > 0) list.splice(0, purge);
    }
    return next;
  }

  /** Sessions not yet emitted. */
  openCount(key: KeyState): number {
    let count = 0;
    for (const list of key.sessions) for (const s of list) if (s.rev < 0) count++;
    return count;
  }

  #addTo(key: KeyState, gap: number, list: Session[], ts: number, v: number, watermark: number): number {
    const last = list[list.length - 1];
    // Fast path, in-order data: the value belongs to the newest session or starts a new one after it.
    if (last === undefined || ts >= last.start) {
      if (last !== undefined && ts < last.lastTs + gap) {
        addValue(last.p, ts, v);
        if (ts > last.lastTs) last.lastTs = ts;
        return this.#touched(key, gap, last, watermark);
      }
      const s = new Session(emptyPartials(ts), ts);
      addValue(s.p, ts, v);
      list.push(s);
      return this.#touched(key, gap, s, watermark);
    }
    // Out of order: find the run of sessions within the gap of ts (contiguous, as the list is sorted).
    let from = -1;
    let to = -1;
    let at = list.length; // insertion point for a new session
    for (let j = 0; j < list.length; j++) {
      const s = list[j]!;
      if (s.start - gap < ts && ts < s.lastTs + gap) {
        if (from < 0) from = j;
        to = j;
      } else if (from >= 0) break;
      else if (s.start > ts) {
        at = j;
        break;
      }
    }
    if (from < 0) {
      const s = new Session(emptyPartials(ts), ts);
      addValue(s.p, ts, v);
      list.splice(at, 0, s);
      return this.#touched(key, gap, s, watermark);
    }
    const target = list[from]!;
    if (ts < target.start && target.rev >= 0) {
      // The start moves earlier, so the id changes: withdraw the one consumers hold.
      this.#emit(key, gap, target, true);
      target.rev = -1;
    }
    for (let j = from + 1; j <= to; j++) {
      const absorbed = list[j]!;
      if (absorbed.rev >= 0) this.#emit(key, gap, absorbed, true);
      mergeInto(target.p, absorbed.p);
      if (absorbed.lastTs > target.lastTs) target.lastTs = absorbed.lastTs;
    }
    if (to > from) list.splice(from + 1, to - from);
    if (ts < target.start) {
      rebase(target.p, ts);
      target.start = ts;
    }
    addValue(target.p, ts, v);
    if (ts > target.lastTs) target.lastTs = ts;
    return this.#touched(key, gap, target, watermark);
  }

  /** A session changed: emit it at once if it has already ended by W, else the device wakes at its end. */
  #touched(key: KeyState, gap: number, s: Session, watermark: number): number {
    s.dirty = true;
    const end = s.lastTs + gap;
    if (end > watermark) return end;
    this.#emit(key, gap, s);
    return end + this.#lateness;
  }

  /** Emit the session's next revision (or a retraction of its current id); partials are copied as it lives on. */
  #emit(key: KeyState, gap: number, s: Session, retracted = false): void {
    const revision = s.rev + 1;
    this.#emitter.emit(key.device, key.metric, 'session', s.start, s.lastTs + gap, gap, undefined, copyPartials(s.p), revision, retracted);
    s.rev = revision;
    s.dirty = false;
  }
}
