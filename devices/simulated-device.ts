// One simulated device: its signal model sampled at its rate, the failures that hit it applied,
// as a ReadingStream of messages for its transport.

import type { DeliveryFailure, SignalFailure } from './failures/contract.js';
import { DELIVERY_FAILURES, DELIVERY_ORDER, isSignalMode, SIGNAL_FAILURES } from './failures/registry.js';
import type { DeviceMessage } from './message.js';
import type { DeviceSpec, FailureWindow } from './scenario/plan.js';
import { quantise, type DeviceSignal } from './signals/contract.js';
import { randomAt } from './signals/random.js';
import { createSignal } from './signals/registry.js';
import type { ReadingStream } from './stream.js';

interface Active<F> {
  readonly window: FailureWindow;
  readonly impl: F;
  flushed: boolean;
}

export class SimulatedDevice implements ReadingStream {
  readonly device: string;
  readonly signal: DeviceSignal;
  readonly #startTime: number;
  readonly #endMs: number;
  readonly #periodMs: number;
  readonly #phaseMs: number;
  readonly #signalFailures: Array<Active<SignalFailure>>;
  readonly #deliveryFailures: Array<Active<DeliveryFailure>>;
  #k = 0;

  /**
   * @param startTime simulated time at the start of the run (ms since the epoch)
   * @param durationMs simulated length of the run (ms); Infinity runs until stopped
   */
  constructor(spec: DeviceSpec, startTime: number, durationMs = Infinity) {
    this.device = spec.id;
    this.#startTime = startTime;
    this.#endMs = durationMs;
    this.#periodMs = 1000 / spec.group.ratePerSec;
    // Devices are not synchronised: each starts at its own point within one period.
    this.#phaseMs = randomAt(spec.seed, 0) * this.#periodMs;
    this.signal = createSignal(spec.group.kind, spec.seed, startTime + this.#phaseMs);
    const signal = this.signal;
    this.#signalFailures = spec.failures.flatMap((w) => (isSignalMode(w.mode) ? [active(w, SIGNAL_FAILURES[w.mode](w, signal))] : []));
    this.#deliveryFailures = DELIVERY_ORDER.flatMap((mode) => spec.failures.filter((w) => w.mode === mode).map((w) => active(w, DELIVERY_FAILURES[mode](w))));
  }

  get nextAt(): number {
    const at = this.#phaseMs + this.#k * this.#periodMs; // multiplied, not summed, so it never drifts
    return at < this.#endMs ? at : Infinity;
  }

  get suppressed(): number {
    return this.#deliveryFailures.reduce((n, f) => n + f.impl.suppressed, 0);
  }

  take(): DeviceMessage[] {
    const t = this.#startTime + this.nextAt;
    this.#k++;
    let values = this.signal.next(t);
    for (const f of this.#signalFailures) if (t >= f.window.start && t < f.window.end) values = f.impl.apply(values, t);
    for (const m of this.signal.metrics) if (values[m.name] !== undefined) values[m.name] = quantise(values[m.name]!, m);
    return this.#deliver([{ device: this.device, kind: 'good', ts: Math.floor(t), values }], t, false);
  }

  flush(): DeviceMessage[] {
    return this.#deliver([], Infinity, true);
  }

  /** Pass messages through the delivery failures in order, releasing what a closed window holds. */
  #deliver(messages: DeviceMessage[], t: number, final: boolean): DeviceMessage[] {
    let out = messages;
    for (const f of this.#deliveryFailures) {
      if (final || t >= f.window.end) {
        if (!f.flushed) {
          f.flushed = true;
          out = [...f.impl.flush(), ...out];
        }
      } else if (t >= f.window.start) out = f.impl.apply(out, t);
    }
    return out;
  }
}

function active<F>(window: FailureWindow, impl: F): Active<F> {
  return { window, impl, flushed: false };
}
