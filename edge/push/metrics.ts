// Metrics of config and model push on the gateway: pushes received, applied, and refused by the
// error code that refused them.

import type { CounterChild, Registry } from '../observe/metrics.js';

export interface PushMetrics {
  received(kind: string): CounterChild;
  applied(kind: string): CounterChild;
  refused(kind: string, code: string): CounterChild;
}

export function pushMetrics(r: Registry): PushMetrics {
  const received = r.counter('tributary_push_received_total', 'Config and model pushes received from the cloud, by kind', ['kind']);
  const applied = r.counter('tributary_push_applied_total', 'Pushes applied without a restart, by kind', ['kind']);
  const refused = r.counter('tributary_push_refused_total', 'Pushes refused (the gateway kept what it ran), by kind and the error code that refused them', ['kind', 'reason']);
  return {
    received: (kind) => received.labels(kind),
    applied: (kind) => applied.labels(kind),
    refused: (kind, code) => refused.labels(kind, code),
  };
}
