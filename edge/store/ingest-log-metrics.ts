// The ingest log's metrics: appends, the bytes it hands LevelDB, group-commit sizes and latency,
// the queue waiting for disk, write errors and trimming.

import type { Registry } from '../observe/metrics.js';

export function ingestLogMetrics(registry: Registry, queued: () => number) {
  return {
    appends: registry.counter('tributary_log_appends_total', 'Readings appended to the ingest log'),
    bytes: registry.counter('tributary_log_bytes_written_total', 'Bytes of keys and values the ingest log handed to LevelDB (records, index, dictionary; before LevelDB\'s own overhead)'),
    commits: registry.counter('tributary_log_commits_total', 'Group commits (one LevelDB batch each), by whether they were synced to disk', ['sync']),
    commitSize: registry.histogram('tributary_log_commit_readings', 'Readings per group commit', [1, 4, 16, 64, 256, 1024, 4096]),
    durable: registry.histogram('tributary_log_durable_seconds', 'From append to the reading being on disk', [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1]),
    writeErrors: registry.counter('tributary_log_write_errors_total', 'Group commits that failed (they are retried)'),
    refused: registry.counter('tributary_log_refused_total', 'Appends refused because the queue was at its hard limit'),
    trimmed: registry.counter('tributary_log_trimmed_total', 'Records deleted: needed neither for replay nor by the flight recorder'),
    queue: registry.gauge('tributary_log_queue_depth', 'Readings appended but not yet on disk', [], (g) => g.set(queued())),
  };
}

export type IngestLogMetrics = ReturnType<typeof ingestLogMetrics>;
