// The machine's pace, measured in the same run as the system: this VM is shared, and the same code
// runs a fifth slower in one hour than in the next (and up to a third slower from one second to the
// next). Two measures, both taken in the benchmark's own process:
// - how long a fixed piece of work takes: eight passes of running sums over 65,536 numbers, the
//   window engine's kind of arithmetic, JIT-compiled and allocating nothing (so this process's
//   garbage collector stays out of it). Timed 200 times before the run's processes start (the
//   machine at rest), and every 250 ms while they run (what they leave of it; over a minute its
//   median also averages out the second-to-second swings, which makes it the run's pace);
// - the benchmark's own event-loop delay. It stamps every arrival on the live stream, so its delay
//   is in every latency it reports.
// The probe costs about 0.4 % of one core while the run goes.

import type { IntervalHistogram } from 'node:perf_hooks';
import { loopDelayHistogram, loopDelaySeconds } from '../../../edge/observe/process-gauges.js';
import { quantile, round } from '../stats.js';

const VALUES = Float64Array.from({ length: 1 << 16 }, (_, i) => Math.sin(i));
const PROBE_EVERY_MS = 250;
/** What the passes computed, kept so the compiler cannot drop them. */
let result = 0;

function passes(): number {
  let sum = 0;
  let squares = 0;
  let max = -Infinity;
  for (let pass = 0; pass < 8; pass++) {
    for (let i = 0; i < VALUES.length; i++) {
      const v = VALUES[i]! * 1.0001 + pass;
      sum += v;
      squares += v * v;
      if (v > max) max = v;
    }
  }
  return sum + squares + max;
}

/** One timing of the fixed work, in ms. */
export function workMs(): number {
  const t = performance.now();
  result += passes();
  return performance.now() - t;
}

/** The median of `n` timings of the fixed work, after 20 to warm V8 up. */
export function idleWorkMs(n = 200): number {
  for (let i = 0; i < 20; i++) workMs();
  return quantile(Array.from({ length: n }, workMs), 0.5);
}

export interface MachinePace {
  /** The fixed work, timed every 250 ms during the interval: median and p99 (ms). */
  readonly workP50Ms: number;
  readonly workP99Ms: number;
  /** This process's event-loop delay over the interval (ms), as the gateway's metric counts it. */
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
}

/** Times the fixed work and this process's loop from `start()` to `stop()`. */
export class PaceProbe {
  readonly #work: number[] = [];
  #timer: NodeJS.Timeout | undefined;
  #lag: IntervalHistogram | undefined;

  start(): void {
    this.#lag = loopDelayHistogram();
    this.#timer = setInterval(() => this.#work.push(workMs()), PROBE_EVERY_MS);
  }

  stop(): MachinePace {
    clearInterval(this.#timer);
    const lag = this.#lag!;
    lag.disable();
    return {
      workP50Ms: round(quantile(this.#work, 0.5), 2),
      workP99Ms: round(quantile(this.#work, 0.99), 2),
      lagP99Ms: round(loopDelaySeconds(lag.percentile(99)) * 1000, 1),
      lagMaxMs: round(loopDelaySeconds(lag.max) * 1000, 1),
    };
  }
}
