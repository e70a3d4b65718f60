// The analysis stage's metrics: model inference, scores, skipped windows, alert events.

import type { Registry } from '../observe/metrics.js';

/** Inference time buckets (seconds): from a fraction of a millisecond to a second. */
const INFERENCE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export function analysisMetrics(registry: Registry) {
  return {
    inference: registry.histogram('tributary_model_inference_seconds', 'Time of one batched model inference (all devices due at one window close)', INFERENCE_BUCKETS),
    rowsScored: registry.counter('tributary_model_rows_scored_total', 'Device windows scored, by model', ['model']),
    modelErrors: registry.counter('tributary_model_errors_total', 'Batched inferences that failed at run time, by model (their windows go unscored)', ['model']),
    skipped: registry.counter('tributary_model_windows_skipped_total', 'Device windows a model applies to but that went unscored, by reason (missing_features, model_failed)', ['reason']),
    anomalous: registry.counter('tributary_model_anomalous_windows_total', 'Scored windows over their model threshold, by model', ['model']),
    alertEvents: registry.counter('tributary_alert_events_total', 'Alert events (raised, updated, cleared), by rule', ['rule', 'state']),
    detectorsFired: registry.counter('tributary_detector_fired_total', 'Streaming detector firings, by detector', ['detector']),
    observations: registry.counter('tributary_window_observations_total', 'Device windows (all metrics) handed to models and rules; revised ones counted separately', ['revised']),
  };
}

export type AnalysisMetrics = ReturnType<typeof analysisMetrics>;
