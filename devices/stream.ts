// The reading-stream contract: one device's readings in time order, pulled by the fleet's run
// loop whenever the device's transport can take more. Simulated devices and replayed recordings
// both implement it, so pacing, backpressure and counting live in one place (fleet.ts).
//
// Lifecycle: `nextAt` names when the next reading is due (simulated ms since the run started);
// the fleet calls `take()` once that time has come and the transport is writable; at the end of
// the run, `flush()` once, for anything a failure still holds.

import type { DeviceMessage } from './message.js';

export interface ReadingStream {
  readonly device: string;
  /** Simulated ms since the start of the run at which the next reading is due; Infinity when there are no more. */
  readonly nextAt: number;
  /** The messages for the reading due at `nextAt` (none, one or several); advances `nextAt`. */
  take(): DeviceMessage[];
  /** Messages still held back (e.g. an unfinished out-of-order burst), given up at the end of the run. */
  flush(): DeviceMessage[];
  /** Readings measured but deliberately never sent (dropout). */
  readonly suppressed: number;
}
