// The failure contracts: a failure mode is a transform, active while simulated time is inside
// its window (start ≤ t < end), on either the measured values or the messages sent.
//
// Lifecycle: made once per (device, window) before the run; called in time order for every
// reading inside the window; a delivery failure is flushed once, at the first reading after its
// window or at the end of the run, and must then give back anything it holds.

import type { DeviceMessage } from '../message.js';
import type { FailureWindow } from '../scenario/plan.js';
import type { DeviceSignal, Values } from '../signals/contract.js';

/** Changes what the sensor measures. */
export interface SignalFailure {
  /** The values measured at `t`; may change `values` in place (it is a fresh sample) and return it. */
  apply(values: Values, t: number): Values;
}

/** Changes what the device sends. */
export interface DeliveryFailure {
  /** The messages to send instead of `messages` at `t`: none, the same, changed, or more. */
  apply(messages: DeviceMessage[], t: number): DeviceMessage[];
  /** Messages still held back, released once when the window is over. */
  flush(): DeviceMessage[];
  /** Readings this failure kept from being sent at all (dropout). */
  readonly suppressed: number;
}

export type SignalFailureFactory = (window: FailureWindow, signal: DeviceSignal) => SignalFailure;
export type DeliveryFailureFactory = (window: FailureWindow) => DeliveryFailure;

/** How far through its window `t` is, 0 at the start to 1 at the end. */
export function progress(window: FailureWindow, t: number): number {
  return Math.min(1, Math.max(0, (t - window.start) / (window.end - window.start)));
}
