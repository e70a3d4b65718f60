// How each windowed rule type judges one device's window, and `reading-threshold` one reading:
// bad or good, by how much, and the evidence it looked at. Hysteresis and events are the
// occurrence's business (occurrence.ts); `silent` is judged on the clock instead (silent.ts).

import type { ReadingRuleConfig, WindowedRuleConfig } from '../config/analysis-schema.js';
import type { DetectorResult, ModelScore, WindowObservation } from './alert.js';

/** What a rule remembers about a device between windows (JSON-serialisable, for checkpoints). */
export interface RuleMemory {
  /** rate-of-change: the previous window's end (ms) and value. */
  previous?: [end: number, value: number];
  /** score: 1 (over) or 0 for each of the last M scored windows, oldest first. */
  recent?: Array<0 | 1>;
}

/** One window (or reading) judged by one rule. */
export interface Judgement {
  readonly bad: boolean;
  /** How far beyond the limit, in the rule's units; ≤ 0 within it. */
  readonly excess: number;
  /** Magnitude of the limit crossed: the default `updated` step is 10% of it. */
  readonly limit: number;
  readonly features: Readonly<Record<string, number>>;
  readonly computed?: Readonly<Record<string, number>>;
  readonly score?: ModelScore;
  readonly detector?: DetectorResult;
  /** A difference that is news even when not worse: the detector's change kind. */
  readonly variant?: string;
  /** This window in words, e.g. `bearing_temp.mean 81.2 > 80`. */
  readonly detail: string;
}

interface WindowRuleType<R> {
  /** Judge one window; undefined when it says nothing (feature or score absent): counters stay as they are. */
  judge(rule: R, obs: WindowObservation, detectors: readonly DetectorResult[], memory: RuleMemory): Judgement | undefined;
}

type RuleOf<T extends WindowedRuleConfig['type']> = Extract<WindowedRuleConfig, { type: T }>;

/** A number for people: four significant digits, no exponent noise. */
export const fmt = (n: number): string => String(Number(n.toPrecision(4)));

const featureValue = (obs: WindowObservation, feature: string): number | undefined => {
  const v = obs.features[feature];
  return v !== undefined && Number.isFinite(v) ? v : undefined;
};

interface Limits {
  readonly above?: number;
  readonly below?: number;
}

/**
 * `name`'s value against an above and/or below limit: how `threshold` judges a feature and
 * `reading-threshold` a reading. A class, so that its words and evidence are made only for the
 * judgements that become an event: a per-reading rule judges every reading, most of them fine.
 */
class BeyondLimits implements Judgement {
  readonly bad: boolean;
  readonly excess: number;
  /** The limit crossed (or nearer to being crossed), signed. */
  readonly #crossed: number;
  readonly limit: number;

  constructor(
    readonly name: string,
    readonly value: number,
    readonly limits: Limits,
  ) {
    const { above, below } = limits;
    const overAbove = above === undefined ? -Infinity : value - above;
    const underBelow = below === undefined ? -Infinity : below - value;
    const high = overAbove >= underBelow;
    this.excess = high ? overAbove : underBelow;
    this.bad = this.excess > 0;
    this.#crossed = (high ? above : below)!;
    this.limit = Math.abs(this.#crossed);
  }

  get features(): Readonly<Record<string, number>> {
    return { [this.name]: this.value };
  }

  get detail(): string {
    const { name, value, limits } = this;
    if (this.bad) return `${name} ${fmt(value)} ${this.#crossed === limits.above ? '>' : '<'} ${this.#crossed}`;
    const bounds = [limits.below !== undefined && `≥ ${limits.below}`, limits.above !== undefined && `≤ ${limits.above}`].filter(Boolean).join(' and ');
    return `${name} ${fmt(value)} (${bounds})`;
  }
}

export const windowRuleTypes = {
  threshold: {
    judge(rule, obs) {
      const v = featureValue(obs, rule.feature);
      return v === undefined ? undefined : new BeyondLimits(rule.feature, v, rule);
    },
  },

  'rate-of-change': {
    judge(rule, obs, _detectors, memory) {
      const v = featureValue(obs, rule.feature);
      if (v === undefined) return undefined;
      const previous = memory.previous;
      memory.previous = [obs.window.end, v];
      if (!previous || obs.window.end <= previous[0]) return undefined;
      const seconds = (obs.window.end - previous[0]) / 1000;
      const rate = (v - previous[1]) / seconds;
      const measure = rule.direction === 'rise' ? rate : rule.direction === 'fall' ? -rate : Math.abs(rate);
      const excess = measure - rule.limitPerSecond;
      const word = excess > 0 ? '>' : '≤';
      return {
        bad: excess > 0,
        excess,
        limit: rule.limitPerSecond,
        features: { [rule.feature]: v },
        computed: { ratePerSecond: rate, previous: previous[1], seconds },
        detail: `${rule.feature} ${fmt(previous[1])} → ${fmt(v)} in ${fmt(seconds)} s: ${fmt(rate)}/s (${rule.direction} ${word} ${rule.limitPerSecond}/s)`,
      };
    },
  },

  score: {
    judge(rule, obs, _detectors, memory) {
      const score = obs.score;
      if (!score || !Number.isFinite(score.value) || (rule.model !== undefined && score.model !== rule.model)) return undefined;
      const threshold = rule.threshold ?? score.threshold;
      const recent = (memory.recent ??= []);
      recent.push(score.value > threshold ? 1 : 0);
      if (recent.length > rule.ofWindows) recent.splice(0, recent.length - rule.ofWindows);
      const over = recent.reduce<number>((a, b) => a + b, 0);
      return {
        bad: over >= rule.inWindows,
        excess: score.value - threshold,
        limit: Math.abs(threshold),
        features: {},
        computed: { over, of: recent.length },
        score,
        detail: `${score.model} score ${fmt(score.value)} ${score.value > threshold ? '>' : '≤'} ${fmt(threshold)}; over in ${over} of the last ${recent.length} windows (raise at ${rule.inWindows} of ${rule.ofWindows})`,
      };
    },
  },

  detector: {
    judge(rule, _obs, detectors) {
      const d = detectors.find((r) => r.detector === rule.detector);
      if (!d) return undefined;
      const threshold = d.threshold ?? 0;
      const change = d.change === undefined ? '' : ` (${d.change})`;
      return {
        bad: d.fired && (rule.change === undefined || d.change === rule.change),
        excess: d.statistic - threshold,
        limit: threshold,
        features: { [d.feature]: d.value },
        detector: d,
        ...(d.change === undefined ? {} : { variant: d.change }),
        detail: `${d.detector} (${d.kind}) on ${d.feature} ${fmt(d.value)}: statistic ${fmt(d.statistic)} ${d.fired ? '>' : '≤'} ${fmt(threshold)}${change}`,
      };
    },
  },
} as const satisfies { [T in WindowedRuleConfig['type']]: WindowRuleType<RuleOf<T>> };

/** Judge one window by `rule`, whatever its type. */
export function judge(rule: WindowedRuleConfig, obs: WindowObservation, detectors: readonly DetectorResult[], memory: RuleMemory): Judgement | undefined {
  // The table above pairs each type with a judge of that type's rules; indexing it by a union loses the pairing.
  const type: WindowRuleType<WindowedRuleConfig> = windowRuleTypes[rule.type];
  return type.judge(rule, obs, detectors, memory);
}

/** Judge one reading's values by a `reading-threshold` rule; undefined when the reading lacks the metric or its value is not finite: counters stay as they are. */
export function judgeReading(rule: ReadingRuleConfig, values: Readonly<Record<string, number>>): Judgement | undefined {
  const v = values[rule.metric];
  return v !== undefined && Number.isFinite(v) ? new BeyondLimits(rule.metric, v, rule) : undefined;
}
