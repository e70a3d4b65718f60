// What a process says of itself, the gateway and a cloud worker alike: how late its event loop runs
// and how much memory it holds. Each registers its own gauges (under its own names) and fills them
// with these.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Gauge } from './metrics.js';

/** How often the loop-delay histogram samples: each sample is the time between two ticks of a timer this often. */
export const LAG_RESOLUTION_MS = 10;

/**
 * A sample of that histogram (ns) as the loop's delay (s): how much later than its interval the
 * tick came. Node records the whole time between ticks, so an idle loop samples ~10 ms.
 */
export const loopDelaySeconds = (ns: number): number => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS) / 1e3;

/** A histogram of the loop's delay, sampling from now on (disable it when done). */
export function loopDelayHistogram(): IntervalHistogram {
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  return lag;
}

/** Sets `g` (label `quantile`: 0.5, 0.99, 1) to the loop's delay since the previous call, then starts over. */
export function setLoopDelay(g: Gauge, lag: IntervalHistogram): void {
  g.set(loopDelaySeconds(lag.percentile(50)), '0.5');
  g.set(loopDelaySeconds(lag.percentile(99)), '0.99');
  g.set(loopDelaySeconds(lag.max), '1');
  lag.reset();
}

/** Sets `g` (label `kind`) to the process's memory: rss, heap_used, heap_total, external, array_buffers. */
export function setMemory(g: Gauge): void {
  const m = process.memoryUsage();
  g.set(m.rss, 'rss');
  g.set(m.heapUsed, 'heap_used');
  g.set(m.heapTotal, 'heap_total');
  g.set(m.external, 'external');
  g.set(m.arrayBuffers, 'array_buffers');
}
