// Checks the window engine's options once, at construction: a bad value is a programmer or config
// mistake and throws a TypeError at once rather than misbehaving later.

import type { WindowEngineOptions } from './contract.js';
import { planWindows, type WindowPlan } from './plan.js';

export function checkOptions(options: WindowEngineOptions): WindowPlan {
  if (typeof options.gateway !== 'string' || options.gateway.length === 0) throw new TypeError('gateway must be a non-empty string');
  nonNegative(options.maxOutOfOrdernessMs, 'maxOutOfOrdernessMs');
  nonNegative(options.allowedLatenessMs, 'allowedLatenessMs');
  if (options.staggerMs !== undefined) nonNegative(options.staggerMs, 'staggerMs');
  if (!(typeof options.idleTimeoutMs === 'number' && Number.isFinite(options.idleTimeoutMs) && options.idleTimeoutMs > 0)) {
    throw new TypeError(`idleTimeoutMs must be a positive number of ms, got ${String(options.idleTimeoutMs)}`);
  }
  if (!(Number.isSafeInteger(options.maxKeys) && options.maxKeys >= 1)) throw new TypeError(`maxKeys must be a positive integer, got ${String(options.maxKeys)}`);
  for (const name of ['onSummary', 'onLate', 'onRejected'] as const) {
    if (typeof options[name] !== 'function') throw new TypeError(`${name} must be a function`);
  }
  if (options.clock === undefined || typeof options.clock.now !== 'function') throw new TypeError('clock is required');
  return planWindows(options.windows);
}

function nonNegative(value: unknown, name: string): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) throw new TypeError(`${name} must be a non-negative number of ms, got ${String(value)}`);
}
