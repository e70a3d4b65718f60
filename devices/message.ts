// A device message: one payload a simulated device hands to its transport. Usually one reading;
// failure modes may turn it into a duplicate or into bytes the gateway must refuse.

import type { Values } from './signals/contract.js';

/** How the fleet counts a message, so the counts can be compared with the gateway's. */
export type MessageKind = 'good' | 'malformed' | 'duplicate';

/**
 * What is wrong with a malformed message. The transport's codec renders each for its framing so
 * that the gateway's decoder refuses it (a reason in its dead-letter store).
 */
export const DEFECTS = ['truncated', 'non-finite', 'wrong-type', 'bad-timestamp', 'no-metrics', 'not-utf8'] as const;
export type Defect = (typeof DEFECTS)[number];

export interface DeviceMessage {
  readonly device: string;
  readonly kind: MessageKind;
  /** Event time written into the payload (ms since the epoch), after any clock skew. */
  readonly ts: number;
  readonly values: Readonly<Values>;
  /** kind `malformed` only. */
  readonly defect?: Defect;
}
