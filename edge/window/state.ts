// Per-device and per-(device, metric) window state, as classes so every instance has one stable shape.
//
// All keys of a device share its watermark, so watermark bookkeeping lives on the device and a
// watermark step walks the device's keys once.

import type { Partials } from '../features/summary.js';
import { Panes } from './panes.js';

/** One session of one key and session spec: covers [start, lastTs + gap). */
export class Session {
  /** Time sums are relative to `start`; rebased when a late reading moves the start earlier. */
  readonly p: Partials;
  start: number;
  lastTs: number;
  /** Revision last emitted under the id of `start`; −1 when never emitted under it. */
  rev = -1;
  /** Changed since it was last emitted. */
  dirty = true;

  constructor(p: Partials, ts: number) {
    this.p = p;
    this.start = ts;
    this.lastTs = ts;
  }
}

/** What every key of an engine holds: its window specs, and room for the panes it keeps in the steady state. */
export interface KeyShape {
  readonly paneSpecs: number;
  readonly sessionSpecs: number;
  /** Panes made room for at once (panes.ts): more grow the key's buffer. */
  readonly paneCapacity: number;
}

export class KeyState {
  readonly device: string;
  readonly metric: string;
  /** Panes sorted by start (panes.ts), each made by a value in it. */
  readonly panes: Panes;
  /** Per pane spec: window start → revision, for closed windows revised by late readings (rare, so lazy). */
  readonly revs: Array<Map<number, number> | undefined>;
  /** Per session spec: sessions sorted by start. */
  readonly sessions: Session[][];

  constructor(device: string, metric: string, shape: KeyShape) {
    this.device = device;
    this.metric = metric;
    this.panes = new Panes(shape.paneCapacity);
    this.revs = new Array<Map<number, number> | undefined>(shape.paneSpecs).fill(undefined);
    this.sessions = Array.from({ length: shape.sessionSpecs }, () => []);
  }

  /** True when nothing is retained, so the key can be dropped. */
  get empty(): boolean {
    if (this.panes.length > 0) return false;
    for (const m of this.revs) if (m !== undefined && m.size > 0) return false;
    for (const list of this.sessions) if (list.length > 0) return false;
    return true;
  }
}

export class DeviceState {
  readonly id: string;
  /** Largest event time seen (ms). */
  maxTs = -Infinity;
  /** How far the watermark lags maxTs (ms): maxOutOfOrdernessMs + the device's stagger. */
  readonly lag: number;
  /** Event-time watermark (ms): max(maxTs − lag, idle advance); never decreases. */
  watermark = -Infinity;
  /** The watermark up to which windows have been emitted and purged. */
  processedW = -Infinity;
  /**
   * The smallest watermark at which a window could close or be purged. Between processedW and this
   * no window ends, so `ts < watermark` and `end <= watermark` are decided the same against either.
   */
  nextWake = -Infinity;
  /** Processing time (clock ms) of the last reading. */
  lastArrival: number;
  readonly keys = new Map<string, KeyState>();
  // The metric names of the previous reading, in order, with their keys: a device nearly always
  // sends the same metrics in the same order, so comparing names skips the Map lookups.
  readonly names: string[] = [];
  readonly cached: KeyState[] = [];

  constructor(id: string, now: number, lag: number) {
    this.id = id;
    this.lastArrival = now;
    this.lag = lag;
  }

  /** Forget the name → key cache (after a key was dropped). */
  resetCache(): void {
    this.names.length = 0;
    this.cached.length = 0;
  }
}
