// Readings from a file (a CSV recording, a simulation) turned into summaries by the gateway's own
// window engine on a fake clock that follows event time, so training sees exactly the windows and
// features the gateway will compute.

import type { WindowSpecConfig } from '../config/schema.js';
import { FakeClock } from '../clock/fake-clock.js';
import type { Reading } from '../decode/reading.js';
import type { Summary } from '../features/summary.js';
import type { Recording } from '../recording/recording.js';
import { createWindowEngine } from '../window/engine.js';

export interface WindowingOptions {
  readonly window: WindowSpecConfig;
  /** Gateway id in the summaries' ids (default `train`). */
  readonly gateway?: string;
  /** As windows.maxOutOfOrdernessMs (default 0: a file is in time order). */
  readonly maxOutOfOrdernessMs?: number;
  /** As windows.allowedLatenessMs (default 0). */
  readonly allowedLatenessMs?: number;
  /** As windows.idleTimeoutMs (default 30000, the gateway's default). */
  readonly idleTimeoutMs?: number;
}

export interface WindowingStats {
  readonly readings: number;
  /** Readings too far behind their device's watermark to join a window. */
  readonly late: number;
  readonly summaries: number;
}

/**
 * Window `readings` (in roughly increasing time) and hand each summary to `onSummary`. Windows
 * still open when the readings end are not emitted: a window the data does not cover is partial.
 */
export function windowReadings(readings: Iterable<Reading>, options: WindowingOptions, onSummary: (s: Summary) => void): WindowingStats {
  let clock: FakeClock | undefined;
  let engine: ReturnType<typeof createWindowEngine> | undefined;
  let count = 0;
  let late = 0;
  let summaries = 0;
  try {
    for (const reading of readings) {
      if (engine === undefined || clock === undefined) {
        clock = new FakeClock(reading.ts);
        engine = createWindowEngine({
          gateway: options.gateway ?? 'train',
          windows: [options.window],
          maxOutOfOrdernessMs: options.maxOutOfOrdernessMs ?? 0,
          allowedLatenessMs: options.allowedLatenessMs ?? 0,
          idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
          maxKeys: Number.MAX_SAFE_INTEGER,
          clock,
          onSummary: (s) => {
            summaries++;
            onSummary(s);
          },
          onLate: () => {
            late++;
          },
          onRejected: () => {},
        });
      }
      // The clock follows event time, so a device that falls silent is closed by the idle rule as in the gateway.
      if (reading.ts > clock.now()) clock.set(reading.ts);
      engine.add(reading);
      count++;
    }
  } finally {
    engine?.close();
  }
  return { readings: count, late, summaries };
}

/** A recording's rows as readings of one device. */
export function* recordingReadings(recording: Recording, device: string): Generator<Reading> {
  for (const row of recording.rows) yield { device, ts: row.ts, tsFromArrival: false, receivedAt: row.ts, values: row.values };
}
