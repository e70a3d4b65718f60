// Failure modes that change what the device sends: dropout, clock skew, out-of-order bursts,
// duplicates and malformed payloads. The readings behind them are still measured, so the signal
// carries on as if nothing happened once the window closes.

import { DEFECTS, type DeviceMessage } from '../message.js';
import { Draws } from '../signals/random.js';
import type { DeliveryFailure, DeliveryFailureFactory } from './contract.js';

/** A transform that holds nothing back, so flushing gives nothing. */
function holdingNothing(apply: (messages: DeviceMessage[]) => DeviceMessage[], counted?: { n: number }): DeliveryFailure {
  return { apply, flush: () => [], get suppressed() { return counted?.n ?? 0; } };
}

export const dropout: DeliveryFailureFactory = () => {
  const counted = { n: 0 };
  return holdingNothing((messages) => {
    counted.n += messages.length;
    return [];
  }, counted);
};

export const clockSkew: DeliveryFailureFactory = (w) => holdingNothing((messages) => messages.map((m) => ({ ...m, ts: m.ts + w.skewMs })));

export const duplicates: DeliveryFailureFactory = (w) => {
  const d = new Draws(w.seed);
  const chance = Math.min(1, 0.25 * w.severity);
  return holdingNothing((messages) =>
    messages.flatMap((m) => (d.uniform() < chance && m.kind === 'good' ? [m, { ...m, kind: 'duplicate' as const }] : [m])),
  );
};

export const malformedPayloads: DeliveryFailureFactory = (w) => {
  const d = new Draws(w.seed);
  const chance = Math.min(1, 0.25 * w.severity);
  return holdingNothing((messages) =>
    messages.map((m) => {
      const hit = d.uniform() < chance;
      const defect = DEFECTS[Math.floor(d.uniform() * DEFECTS.length)]!;
      return hit && m.kind === 'good' ? { ...m, kind: 'malformed' as const, defect } : m;
    }),
  );
};

/**
 * Holds readings in bursts and sends each burst shuffled (never in its original order), as a
 * device with a retrying radio or a multi-path network does. Every reading keeps its timestamp.
 */
export const outOfOrderBurst: DeliveryFailureFactory = (w) => {
  const d = new Draws(w.seed);
  const burst = Math.max(2, Math.round(5 * w.severity));
  let held: DeviceMessage[] = [];
  return {
    apply(messages) {
      held.push(...messages);
      if (held.length < burst) return [];
      const out = shuffle(held, d);
      held = [];
      return out;
    },
    flush() {
      const out = held;
      held = [];
      return out;
    },
    suppressed: 0,
  };
};

/** Fisher-Yates; an unchanged order is reversed instead, so every burst really is out of order. */
function shuffle<T>(items: readonly T[], d: Draws): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(d.uniform() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out.every((x, i) => x === items[i]) ? out.reverse() : out;
}
