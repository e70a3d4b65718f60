// The one list of failure implementations, by mode, and the order delivery failures apply in.

import type { DeliveryFailureFactory, SignalFailureFactory } from './contract.js';
import { clockSkew, dropout, duplicates, malformedPayloads, outOfOrderBurst } from './delivery.js';
import { FAILURE_MODES, type FailureMode } from './modes.js';
import { bearingWear, noiseBurst, overheating, spikes, stuckSensor } from './signal.js';

type ModesActing<A> = { [M in FailureMode]: (typeof FAILURE_MODES)[M]['acts'] extends A ? M : never }[FailureMode];
export type SignalMode = ModesActing<'signal'>;
export type DeliveryMode = ModesActing<'delivery'>;

export const SIGNAL_FAILURES = {
  'bearing-wear': bearingWear,
  overheating,
  'stuck-sensor': stuckSensor,
  spikes,
  'noise-burst': noiseBurst,
} as const satisfies Record<SignalMode, SignalFailureFactory>;

/**
 * Delivery failures, in the order they apply to a message, following its path: a device that is
 * off sends nothing (dropout); its clock stamps it (skew); its firmware encodes it (malformed);
 * the network repeats (duplicates) and reorders (out-of-order) what was sent.
 */
export const DELIVERY_FAILURES = {
  dropout,
  'clock-skew': clockSkew,
  'malformed-payloads': malformedPayloads,
  duplicates,
  'out-of-order-burst': outOfOrderBurst,
} as const satisfies Record<DeliveryMode, DeliveryFailureFactory>;

export const DELIVERY_ORDER = Object.keys(DELIVERY_FAILURES) as DeliveryMode[];

export function isSignalMode(mode: FailureMode): mode is SignalMode {
  return FAILURE_MODES[mode].acts === 'signal';
}
