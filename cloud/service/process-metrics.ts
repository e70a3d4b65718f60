// The worker's own process on /metrics: how late its event loop runs (a stall there delays every
// message, ack and live-stream event the worker handles) and how much memory it holds. The gateway
// reports the same of itself (edge/gateway/pipeline-metrics.ts).

import type { IntervalHistogram } from 'node:perf_hooks';
import type { Registry } from '../../edge/observe/metrics.js';
import { loopDelayHistogram, setLoopDelay, setMemory } from '../../edge/observe/process-gauges.js';

/** Registers the worker's process gauges on `registry`; returns the loop-delay histogram (disable it at close). */
export function workerProcessMetrics(registry: Registry): IntervalHistogram {
  const lag = loopDelayHistogram();
  registry.gauge('tributary_cloud_event_loop_lag_seconds', "Event-loop delay since the previous scrape: how much later than due a 10-ms timer ran", ['quantile'], (g) => setLoopDelay(g, lag));
  registry.gauge('tributary_cloud_process_memory_bytes', 'Memory of the worker process: rss, heap_used, heap_total, external (C++ objects bound to JavaScript, e.g. LevelDB buffers), array_buffers', ['kind'], setMemory);
  return lag;
}
