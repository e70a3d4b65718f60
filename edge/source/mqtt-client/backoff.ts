// How long the MQTT client waits before each reconnect attempt: exponential, capped, jittered,
// so a fleet of gateways does not hammer a broker that has just restarted all at the same instant.

export interface BackoffOptions {
  /** Delay before the first attempt (milliseconds). */
  readonly initialMs: number;
  /** The delay never grows past this (milliseconds). */
  readonly maxMs: number;
}

/**
 * Delay before reconnect attempt `attempt` (0 for the first after a drop): a ceiling of
 * initialMs · 2^attempt capped at maxMs, of which the upper half is random ("equal jitter").
 */
export function reconnectDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new TypeError(`attempt must be a non-negative integer, got ${attempt}`);
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
