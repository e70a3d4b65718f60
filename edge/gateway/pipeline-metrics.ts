// The gateway's pipeline counters, one per stage, registered once on the gateway's registry.

import type { Registry } from '../observe/metrics.js';
import { loopDelayHistogram, setLoopDelay, setMemory } from '../observe/process-gauges.js';

export function pipelineMetrics(registry: Registry) {
  const lag = loopDelayHistogram();
  return {
    lag,
    received: registry.counter('tributary_messages_received_total', 'Raw messages handed to the decoder, by source', ['source']),
    decoded: registry.counter('tributary_readings_decoded_total', 'Readings that decoded and validated'),
    deadLettered: registry.counter('tributary_dead_letters_total', 'Messages or metrics refused and kept in the dead-letter store, by reason', ['reason']),
    lateAccepted: registry.counter('tributary_readings_late_accepted_total', 'Readings behind the watermark but within allowed lateness (their windows were re-emitted)'),
    resent: registry.counter('tributary_readings_resent_total', 'Readings sent again after a restart that were already in the ingest log (their acknowledgement was lost): not counted twice'),
    pauses: registry.counter('tributary_backpressure_pauses_total', 'Times the sources were paused until the pipeline caught up, by what fell behind: log (the ingest log) or analysis (scoring and rules)', ['reason']),
    late: registry.counter('tributary_readings_late_total', 'Readings beyond allowed lateness, kept in the late-data store'),
    summaries: registry.counter('tributary_summaries_total', 'Summaries written to the outbox, by window kind', ['kind']),
    revisions: registry.counter('tributary_summary_revisions_total', 'Of those, re-emissions (revision > 0) caused by late data'),
    evicted: registry.counter('tributary_store_evicted_total', 'Entries evicted from a full store, oldest first, by store', ['store']),
    writeErrors: registry.counter('tributary_store_write_errors_total', 'LevelDB batch writes that failed (they are retried)'),
    memory: registry.gauge('tributary_process_memory_bytes', 'Memory of the gateway process: rss, heap_used, heap_total, external (C++ objects bound to JavaScript, e.g. LevelDB and onnxruntime buffers), array_buffers', ['kind'], setMemory),
    lagGauge: registry.gauge('tributary_event_loop_lag_seconds', 'Event-loop delay since the previous scrape: how much later than due a 10-ms timer ran', ['quantile'], (g) => setLoopDelay(g, lag)),
  };
}

export type PipelineMetrics = ReturnType<typeof pipelineMetrics>;
