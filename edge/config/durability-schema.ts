// Config of the ingest log and checkpoints: how readings are made durable before they count.

import { Type } from '@sinclair/typebox';

const Ms = (description: string, def: number, minimum = 0) => Type.Integer({ minimum, default: def, description: `${description} (milliseconds, default ${def})` });

export const DurabilitySchema = Type.Object(
  {
    commitIntervalMs: Ms('ingest-log group commits start at least this far apart: at most 1000 / this fsyncs per second, each write waits at most this long', 5, 1),
    highWater: Type.Integer({ minimum: 1, default: 20000, description: 'readings waiting for disk at which the sources are paused until the log catches up; at 4 × this, appends are refused with ERR_STORE_LOG_FULL (default 20000)' }),
    flightRecorderMs: Ms('raw readings are kept this long after arrival, in the segment files of `recorder/` in dataDir, so the readings around an alert can be uploaded; 0 keeps none beyond what replay needs', 300000),
    checkpointIntervalMs: Ms('window and alert state with the log position are checkpointed this often (and at shutdown); a restart replays the log after the last one', 10000, 100),
    resendGuardReadings: Type.Integer({
      minimum: 0,
      default: 100000,
      description:
        'after a restart, a reading arriving again that matches one of the newest resendGuardPerDevice readings of its device among this many at the end of the log (same device, timestamp and values) is taken as a resend of a reading logged before the crash whose acknowledgement was lost, and not counted twice (default 100000; 0 turns the guard off)',
    }),
    resendGuardPerDevice: Type.Integer({ minimum: 1, default: 32, description: 'readings per device the resend guard remembers: at least the unacknowledged readings a device may have in flight (default 32)' }),
    resendGuardMs: Ms('how long after a restart the resend guard applies', 300000),
  },
  { additionalProperties: false, default: {}, description: 'the ingest log and checkpoints' },
);
