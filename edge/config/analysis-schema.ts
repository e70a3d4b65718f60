// Config schema of the analysis stage: the streaming detectors (`detectors`) and the alert rules
// (`alerts`). The gateway config embeds both; checkAnalysisConfig (analysis-check.ts) adds the
// checks a schema cannot express.

import { Type, type Static, type TObject, type TSchema, type TUnion } from '@sinclair/typebox';
import type { Features } from '../features/summary.js';
import { METRIC_NAME_PATTERN } from '../decode/reading.js';
import { detectorKinds } from '../detect/registry.js';
import { WindowSpecSchema } from './window-schema.js';

/** Every key of Features: a feature name is `<metric>.<one of these>`. */
export const FEATURE_KEYS = ['count', 'sum', 'min', 'max', 'mean', 'std', 'rms', 'first', 'last', 'slope', 'peakToPeak'] as const satisfies readonly (keyof Features)[];
// Fails to compile when Features gains a key this list lacks.
const everyFeatureListed: Exclude<keyof Features, (typeof FEATURE_KEYS)[number]> extends never ? true : false = true;
void everyFeatureListed;

/**
 * A union of objects told apart by the string key `tag` (JSON Schema `oneOf` + OpenAPI's
 * `discriminator`, which Ajv supports): defaults apply inside the chosen branch, and errors are
 * that branch's only. TypeBox's own Union (anyOf) gets neither.
 */
const Tagged = <T extends TObject[]>(tag: string, branches: [...T], options: { description: string }) =>
  Type.Unsafe<Static<TUnion<T>>>({ ...options, oneOf: branches, discriminator: { propertyName: tag } });

const Name = (what: string) => Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: `${what}: 1-64 of A-Z a-z 0-9 _ . - ; unique` });

const Feature = Type.String({
  pattern: `^[A-Za-z_][A-Za-z0-9_.:-]{0,63}\\.(${FEATURE_KEYS.join('|')})$`,
  description: `a window feature, <metric>.<feature> with feature one of ${FEATURE_KEYS.join(', ')} (e.g. bearing_temp.mean)`,
});

/** Which observations a detector or rule looks at. */
const Scope = {
  window: Type.Optional({ ...WindowSpecSchema, description: "the window whose observations it looks at, one of windows.definitions (default: the analysis' default window, the first definition)" }),
  devices: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'device ids it applies to (with kinds: a device matching either); default every device' })),
  kinds: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'device kinds it applies to (with devices: a device matching either); default every kind' })),
};

const detector = <K extends string, P extends TSchema>(kind: K, params: P) =>
  Type.Object(
    { name: Name('detector name, used by `detector` alert rules'), kind: Type.Literal(kind), feature: Feature, ...Scope, params },
    { additionalProperties: false },
  );

export const DetectorSchema = Tagged('kind', [detector('robust-z', detectorKinds['robust-z'].params), detector('level-shift', detectorKinds['level-shift'].params)], {
  description: 'a streaming detector run on one feature of every device it applies to, each (device, detector) with its own history',
});
// Fails to compile when a detector kind is registered but missing from the union above.
const everyKindListed: Exclude<keyof typeof detectorKinds, Static<typeof DetectorSchema>['kind']> extends never ? true : false = true;
void everyKindListed;

export const DetectorsSchema = Type.Array(DetectorSchema, { default: [], description: 'streaming detectors (none by default)' });

const Count = (description: string, def: number, unit = 'windows') => Type.Integer({ minimum: 1, maximum: 1000, default: def, description: `${description} (${unit}, default ${def})` });

const Common = {
  name: Name('rule name, part of every alert id: keep it stable'),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')], { default: 'warning', description: 'info | warning | critical (default warning)' }),
  devices: Scope.devices,
  kinds: Scope.kinds,
};

const UpdateStep = Type.Optional(
  Type.Number({
    exclusiveMinimum: 0,
    description:
      "while raised, an `updated` event needs the excess over the limit to have doubled and grown by at least this much since last reported (the rule's units; default 10% of the limit's magnitude)",
  }),
);

/** Rules judged once per window: scope, hysteresis and the `updated` step. */
const Windowed = {
  ...Common,
  window: Scope.window,
  raiseAfter: Count('raise after this many bad windows in a row', 1),
  clearAfter: Count('clear after this many good windows in a row', 1),
  updateStep: UpdateStep,
};

/** Rules judged on each reading as it is logged: scope, hysteresis counted in readings, the `updated` step; no window. */
const PerReading = {
  ...Common,
  raiseAfter: Count('raise after this many readings carrying the metric are beyond the limit in a row', 1, 'readings'),
  clearAfter: Count('clear after this many readings carrying the metric are within the limit in a row', 1, 'readings'),
  updateStep: UpdateStep,
};

const rule = <T extends string, P extends Record<string, TSchema>>(type: T, props: P, description: string) =>
  Type.Object({ type: Type.Literal(type), ...props }, { additionalProperties: false, description });

export const ThresholdRuleSchema = rule(
  'threshold',
  {
    ...Windowed,
    feature: Feature,
    above: Type.Optional(Type.Number({ description: "bad when the feature is above this (the feature's units)" })),
    below: Type.Optional(Type.Number({ description: "bad when the feature is below this (the feature's units)" })),
  },
  'a feature above and/or below a limit',
);

export const ReadingThresholdRuleSchema = rule(
  'reading-threshold',
  {
    ...PerReading,
    metric: Type.String({ pattern: METRIC_NAME_PATTERN.source, description: 'a metric name of the readings (e.g. vib_rms), not a window feature' }),
    above: Type.Optional(Type.Number({ description: "bad when the reading's value is above this (the metric's units)" })),
    below: Type.Optional(Type.Number({ description: "bad when the reading's value is below this (the metric's units)" })),
  },
  "a raw reading's metric above and/or below a limit, judged on each reading as soon as the ingest log has taken it (before its group commit), without waiting for a window to close",
);

export const RateOfChangeRuleSchema = rule(
  'rate-of-change',
  {
    ...Windowed,
    feature: Feature,
    limitPerSecond: Type.Number({ exclusiveMinimum: 0, description: "bad when the feature changes faster than this between a device's consecutive windows (feature units per second)" }),
    direction: Type.Union([Type.Literal('rise'), Type.Literal('fall'), Type.Literal('either')], {
      default: 'either',
      description: 'rise: only increases count; fall: only decreases; either: the absolute change (default either)',
    }),
  },
  "the change of a feature between a device's consecutive windows, per second",
);

export const ScoreRuleSchema = rule(
  'score',
  {
    ...Windowed,
    model: Type.Optional(Type.String({ minLength: 1, description: 'only scores of this model (default any model)' })),
    threshold: Type.Optional(Type.Number({ description: "a window is over when its score exceeds this (default: the model's own threshold)" })),
    inWindows: Count('N: bad when at least N of the last M scored windows are over', 1),
    ofWindows: Count('M: the scored windows considered', 1),
  },
  "the model's anomaly score over its threshold in N of M consecutive scored windows",
);

export const SilentRuleSchema = rule(
  'silent',
  {
    ...Common,
    afterMs: Type.Integer({ minimum: 1, description: 'raised when a device has sent no reading for this long (milliseconds, gateway clock); cleared by its next reading' }),
  },
  'a device that went quiet (checked on the gateway clock, not per window)',
);

export const DetectorRuleSchema = rule(
  'detector',
  {
    ...Windowed,
    detector: Name('the detector (a `detectors[].name`) whose firing is bad'),
    change: Type.Optional(Type.Union([Type.Literal('level-shift'), Type.Literal('spike')], { description: 'only this kind of change counts (default any firing)' })),
  },
  'a named streaming detector fired',
);

export const AlertRuleSchema = Tagged('type', [ThresholdRuleSchema, RateOfChangeRuleSchema, ScoreRuleSchema, SilentRuleSchema, DetectorRuleSchema, ReadingThresholdRuleSchema], {
  description: 'an alert rule: `type` picks which, the other keys are that type\'s',
});

export const AlertRulesSchema = Type.Array(AlertRuleSchema, { default: [], description: 'alert rules (none by default)' });

export const AlertsSchema = Type.Object(
  {
    rules: AlertRulesSchema,
    forgetAfterMs: Type.Integer({
      minimum: 1,
      default: 86_400_000,
      description: 'a device with no reading and no window for this long, and no open alert, has its detector and rule state dropped (milliseconds, gateway clock, default 86400000 = 1 day)',
    }),
    maxDevices: Type.Integer({ minimum: 1, default: 100_000, description: 'bound on devices with detector or rule state; observations of further devices are counted and skipped (default 100000)' }),
  },
  { additionalProperties: false, default: {}, description: 'alert rules and the bounds on their state' },
);

/** Both parts together, as they sit at the top level of the gateway config. */
export const AnalysisSchema = Type.Object({ detectors: DetectorsSchema, alerts: AlertsSchema }, { additionalProperties: false });

export type DetectorConfig = Static<typeof DetectorSchema>;
export type AlertRuleConfig = Static<typeof AlertRuleSchema>;
/** Rules judged once per closed window. */
export type WindowedRuleConfig = Exclude<AlertRuleConfig, { type: 'silent' | 'reading-threshold' }>;
/** Rules judged on each reading. */
export type ReadingRuleConfig = Extract<AlertRuleConfig, { type: 'reading-threshold' }>;
/** Rules with hysteresis (raiseAfter, clearAfter, updateStep): every type but `silent`. */
export type SteppedRuleConfig = WindowedRuleConfig | ReadingRuleConfig;
export type AlertsConfig = Static<typeof AlertsSchema>;
export type AnalysisConfig = Static<typeof AnalysisSchema>;
