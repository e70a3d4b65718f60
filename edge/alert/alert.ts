// What the analysis stage hands to alert rules (a window observation, or a raw reading for
// `reading-threshold`) and what they emit (alert events). Alert events are part of the uplink
// protocol: the cloud keeps the highest revision per id.

import type { WindowRef } from '../features/summary.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** Every rule type a gateway raises alerts for: the uplink protocol and the checkpoint check list them from here. */
export const ALERT_RULE_TYPES = ['threshold', 'rate-of-change', 'score', 'silent', 'detector', 'reading-threshold'] as const;

export type AlertRuleType = (typeof ALERT_RULE_TYPES)[number];

/** A model's verdict on one device's window: the score joins that window's summaries. */
export interface ModelScore {
  readonly model: string;
  readonly version: string;
  /** Anomaly score: higher is worse. */
  readonly value: number;
  /** The manifest's decision threshold: value > threshold is anomalous. */
  readonly threshold: number;
}

/** A streaming detector's output for one value of one (device, metric feature). */
export interface DetectorResult {
  /** The detector's configured name. */
  readonly detector: string;
  readonly kind: string;
  /** What it watched, e.g. `vib_rms.mean`. */
  readonly feature: string;
  readonly value: number;
  /** The detector's own statistic (e.g. the robust z), comparable with its threshold. */
  readonly statistic: number;
  /** The threshold the statistic was compared with (fired = statistic > threshold). */
  readonly threshold?: number;
  readonly fired: boolean;
  /** Detectors that tell them apart (`level-shift`): which change fired. */
  readonly change?: 'level-shift' | 'spike';
}

/**
 * Everything known about one device's window once every metric of it has closed: the features of
 * each metric as `<metric>.<feature>` (e.g. `vib_rms.mean`, `bearing_temp.slope`), the model's
 * score when a model applies to this device and window, and the detectors that ran on it.
 */
export interface WindowObservation {
  readonly device: string;
  readonly window: WindowRef;
  readonly features: Readonly<Record<string, number>>;
  readonly score?: ModelScore;
  readonly detectors?: readonly DetectorResult[];
}

/** Why an alert event happened: enough for an engineer to check the rule's decision. */
export interface AlertEvidence {
  /** The rule as configured (type, parameters, hysteresis). */
  readonly rule: Readonly<Record<string, unknown>>;
  /** The window that caused this event; absent for `silent` (judged on the clock) and `reading-threshold` (on each reading). */
  readonly window?: WindowRef;
  /**
   * `reading-threshold`: the reading that caused this event, its event time (`ts`, ms since the
   * epoch, the device's clock) and when the gateway received it (`receivedAt`, gateway clock).
   */
  readonly reading?: { readonly ts: number; readonly receivedAt: number };
  /** The features the rule looked at, `<metric>.<feature>` → value; for `reading-threshold`, `<metric>` → the reading's value. */
  readonly features?: Readonly<Record<string, number>>;
  readonly score?: ModelScore;
  readonly detector?: DetectorResult;
  /** Consecutive bad (raise) or good (clear) windows (readings, for `reading-threshold`) counted by the hysteresis. */
  readonly bad?: number;
  readonly good?: number;
  /** `silent`: last reading seen (ms since the epoch, gateway clock). */
  readonly lastSeen?: number;
  /**
   * Numbers the rule derived, by name: `excess` (how far beyond the limit in this window or
   * reading, ≤ 0 within it) and `reported` (the excess the occurrence last reported) for windowed
   * and reading rules; `ratePerSecond`, `previous`, `seconds` (rate-of-change); `over`, `of`
   * (score: windows over the threshold among the last M); `silentMs` (silent).
   */
  readonly computed?: Readonly<Record<string, number>>;
}

/**
 * One event in an alert's life: raised, updated (still bad, new evidence), cleared. Every event of
 * one occurrence shares its id; revision is 0 when raised and grows by one per event, so the cloud
 * keeps the highest revision per id like it does for summaries.
 */
export interface AlertEvent {
  /** 32 hex characters of SHA-256 over (gateway, device, rule, raisedAt): stable across re-sends. */
  readonly id: string;
  readonly revision: number;
  readonly state: 'raised' | 'updated' | 'cleared';
  readonly gateway: string;
  readonly device: string;
  /** The rule's configured name. */
  readonly rule: string;
  readonly ruleType: AlertRuleType;
  readonly severity: AlertSeverity;
  /** Event time (ms since the epoch) at which the occurrence was raised: the end of the window that raised it (the reading's ts for `reading-threshold`). */
  readonly raisedAt: number;
  /** Event time of this event (window end, the reading's ts for `reading-threshold`, or the gateway clock for `silent`). */
  readonly at: number;
  /** Gateway clock when this event was emitted. */
  readonly emittedAt: number;
  /** One line for people, e.g. `vib_rms.mean 4.1 > 3.5 in 3 of 3 windows`. */
  readonly message: string;
  readonly evidence: AlertEvidence;
}
