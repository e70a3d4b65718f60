// The window operator's contract: event-time windows keyed by (device, metric).
//
// Lifecycle: construct with a clock, fresh or from a snapshot → add() readings (run) → advance()
// on the clock's ticks closes windows of devices that went silent → snapshot() at any point for a
// checkpoint → flush() closes every open window (drain) → close() clears timers and state.

import type { Clock } from '../clock/clock.js';
import type { Reading } from '../decode/reading.js';
import type { TributaryError } from '../errors/catalogue.js';
import type { Summary } from '../features/summary.js';
import type { WindowSnapshot } from './snapshot.js';

export type WindowSpec =
  | { readonly kind: 'tumbling'; readonly sizeMs: number }
  | { readonly kind: 'hopping'; readonly sizeMs: number; readonly slideMs: number }
  | { readonly kind: 'session'; readonly gapMs: number };

export interface WindowEngineOptions {
  /** Gateway id, part of every summary id. */
  readonly gateway: string;
  /** The windows every (device, metric) key is aggregated over; at least one. */
  readonly windows: readonly WindowSpec[];
  /** Watermark = largest event time seen for the device − this bound (ms) − the device's stagger. */
  readonly maxOutOfOrdernessMs: number;
  /**
   * Spread the closing of aligned windows over this long (ms, default 0): each device's watermark
   * lags a further fixed share of it, from 0 to staggerMs, taken from its id (stagger.ts).
   */
  readonly staggerMs?: number;
  /**
   * After this much processing time without a reading from a device (ms), its watermark follows
   * the clock: it advances by the time elapsed since the last reading, so windows still close.
   */
  readonly idleTimeoutMs: number;
  /** A closed window keeps accepting late readings for this long in event time (ms), re-emitting with revision + 1. */
  readonly allowedLatenessMs: number;
  /** Bound on open (device, metric) keys; readings for new keys beyond it are rejected. */
  readonly maxKeys: number;
  readonly clock: Clock;
  /** A window closed, or a closed window changed: one summary (revision 0, then +1 per change). */
  readonly onSummary: (summary: Summary) => void;
  /** A reading older than the device watermark minus the allowed lateness: it joins no window. */
  readonly onLate: (reading: Reading, watermark: number) => void;
  /** Metrics of a reading that could not be windowed (key limit). Other metrics of it are windowed. */
  readonly onRejected: (reading: Reading, metric: string, error: TributaryError) => void;
}

export interface WindowEngineStats {
  /** Readings added (each may carry several metrics). */
  readonly readingsIn: number;
  /** Metric values aggregated into windows. */
  readonly valuesIn: number;
  /** Readings that arrived behind the watermark but within allowed lateness (windows revised). */
  readonly lateAccepted: number;
  /** Readings beyond allowed lateness, handed to onLate. */
  readonly lateRejected: number;
  readonly summariesOut: number;
  /** Of summariesOut, those with revision > 0. */
  readonly revisionsOut: number;
  /** (device, metric) keys currently held. */
  readonly keys: number;
  /** Windows currently open (not yet emitted), over all keys and window specs. */
  readonly windowsOpen: number;
  readonly devices: number;
}

export interface WindowEngine {
  add(reading: Reading): void;
  /** Apply the idle rule at the clock's current time. The engine also runs this on its own timer. */
  advance(): void;
  /** Emit every open window now (e.g. on shutdown), as if the watermark had passed them. */
  flush(): void;
  /** The device's current watermark (ms since the epoch), or undefined for an unseen device. */
  watermark(device: string): number | undefined;
  /** The whole state as JSON-serialisable data, for a checkpoint; restore with `createWindowEngine(options, { from })`. */
  snapshot(): WindowSnapshot;
  /** Start the idle timer if it was held (`holdIdleTimer`), e.g. once the log tail is replayed. */
  startIdleTimer(): void;
  readonly stats: WindowEngineStats;
  close(): void;
}
