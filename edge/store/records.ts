// What the dead-letter and late-data stores keep for each entry.

import type { ErrorCode } from '../errors/catalogue.js';
import type { Reading } from '../decode/reading.js';

/** Input the gateway could not use, kept with why so it can be inspected and replayed. */
export interface DeadLetter {
  readonly code: ErrorCode;
  /** Short counter label, e.g. `not_json`. */
  readonly reason: string;
  readonly message: string;
  readonly source: string;
  readonly topic: string;
  readonly device?: string;
  /** The payload bytes, base64. */
  readonly payload: string;
  /** Set when only the first decode.maxPayloadBytes bytes were kept: the original size. */
  readonly truncatedFrom?: number;
  readonly receivedAt: number;
}

/** A reading that arrived after its windows were closed and past allowed lateness. */
export interface LateReading {
  readonly reading: Reading;
  /** The device watermark when it arrived (ms since the epoch). */
  readonly watermark: number;
  readonly source: string;
}
