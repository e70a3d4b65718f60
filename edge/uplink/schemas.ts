// The uplink's message shapes as TypeBox schemas: the batch envelope, the four item classes and
// the acknowledgement. Receivers are tolerant readers: unknown properties are ignored (a newer
// sender may add optional fields within a version), missing or mistyped ones are refused.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ALERT_RULE_TYPES, type AlertEvent } from '../alert/alert.js';
import type { Summary } from '../features/summary.js';
import { AppliedReportSchema } from './push-schemas.js';
import { UPLINK_CLASSES, type UplinkClass } from './topics.js';

const NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const Name = (description: string) => Type.String({ pattern: NAME, description });
const Metric = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$' });
/** Every item id is 32 lower-case hex characters (a SHA-256 prefix). */
export const ITEM_ID_PATTERN = '^[0-9a-f]{32}$';
const ItemId = Type.String({ pattern: ITEM_ID_PATTERN, description: 'deterministic item id' });
const Revision = Type.Integer({ minimum: 0, description: '0 when first emitted, +1 per change; the receiver keeps the highest' });
const Ms = (description: string) => Type.Integer({ description: `${description} (ms since the Unix epoch)` });
const Count = Type.Integer({ minimum: 0 });
const Num = Type.Number();

export const UplinkClassSchema = Type.Union([Type.Literal('alert'), Type.Literal('summary'), Type.Literal('raw'), Type.Literal('status')]);

const WindowRefSchema = Type.Object({
  kind: Type.Union([Type.Literal('tumbling'), Type.Literal('hopping'), Type.Literal('session')]),
  start: Ms('inclusive start'),
  end: Ms('exclusive end'),
  size: Type.Integer({ minimum: 1, description: 'window size, or the session gap (ms)' }),
  slide: Type.Optional(Type.Integer({ minimum: 1, description: 'hopping windows: the slide (ms)' })),
});

const numbers = <K extends string>(keys: readonly K[]) => Type.Object(Object.fromEntries(keys.map((k) => [k, Num])) as Record<K, typeof Num>);

export const SummarySchema = Type.Object({
  id: ItemId,
  revision: Revision,
  gateway: Name('gateway id'),
  device: Name('device id'),
  metric: Metric,
  window: WindowRefSchema,
  features: numbers(['count', 'sum', 'min', 'max', 'mean', 'std', 'rms', 'first', 'last', 'slope', 'peakToPeak']),
  partials: numbers(['count', 'sum', 'sumSq', 'min', 'max', 'first', 'firstTs', 'last', 'lastTs', 'tRef', 'sumT', 'sumTT', 'sumTV']),
  emittedAt: Ms('gateway clock when this revision was emitted'),
  retracted: Type.Optional(Type.Boolean({ description: 'a session absorbed into another: drop everything held under this id' })),
});

const ModelScoreSchema = Type.Object({ model: Type.String(), version: Type.String(), value: Num, threshold: Num });
const DetectorResultSchema = Type.Object({ detector: Type.String(), kind: Type.String(), feature: Type.String(), value: Num, statistic: Num, fired: Type.Boolean() });

export const AlertEventSchema = Type.Object({
  id: ItemId,
  revision: Revision,
  state: Type.Union([Type.Literal('raised'), Type.Literal('updated'), Type.Literal('cleared')]),
  gateway: Name('gateway id'),
  device: Name('device id'),
  rule: Type.String({ minLength: 1 }),
  ruleType: Type.Union(ALERT_RULE_TYPES.map((t) => Type.Literal(t))),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
  raisedAt: Ms('event time the occurrence was raised'),
  at: Ms('event time of this event'),
  emittedAt: Ms('gateway clock when this event was emitted'),
  message: Type.String(),

  evidence: Type.Object({
    rule: Type.Record(Type.String(), Type.Unknown()),
    window: Type.Optional(WindowRefSchema),
    reading: Type.Optional(Type.Object({ ts: Ms('event time of the reading that caused the event (reading-threshold)'), receivedAt: Ms('gateway clock when that reading arrived') })),
    features: Type.Optional(Type.Record(Type.String(), Num)),
    score: Type.Optional(ModelScoreSchema),
    detector: Type.Optional(DetectorResultSchema),
    bad: Type.Optional(Count),
    good: Type.Optional(Count),
    lastSeen: Type.Optional(Ms('last reading seen')),
  }),
});

/** One raw reading inside a flight-recorder snippet. */
export const RawReadingSchema = Type.Object({
  ts: Ms('event time'),
  receivedAt: Ms('gateway clock at arrival'),
  tsFromArrival: Type.Optional(Type.Literal(true, { description: 'present when the payload had no timestamp' })),
  values: Type.Record(Type.String(), Num, { description: 'metric name → value' }),
});

export const RawSnippetSchema = Type.Object({
  id: ItemId,
  revision: Revision,
  gateway: Name('gateway id'),
  device: Name('device id'),
  alert: Type.String({ pattern: ITEM_ID_PATTERN, description: 'id of the alert whose surroundings these readings are' }),
  part: Type.Integer({ minimum: 0, description: 'a long snippet is sent in parts, each its own item' }),
  parts: Type.Integer({ minimum: 1 }),
  from: Ms('event time range start (inclusive)'),
  to: Ms('event time range end (inclusive)'),
  readings: Type.Array(RawReadingSchema, { description: 'oldest event time first' }),
});

const Backlog = Type.Object({
  items: Count,
  bytes: Count,
  oldestAt: Type.Union([Ms('when the oldest unsent item was queued'), Type.Null()]),
});

/** One line of the data-loss ledger: cumulative since `lossSince`, so a lost status message loses nothing. */
export const LossEntrySchema = Type.Object({
  class: UplinkClassSchema,
  /** `evicted` (byte budget), `expired` (TTL), `rejected` (by the cloud), or a later reason. */
  reason: Type.String({ pattern: '^[a-z][a-z_]{0,31}$' }),
  items: Count,
  bytes: Count,
  /** Gateway clock of the most recent drop counted here. */
  lastAt: Ms('most recent drop'),
});

export const StatusReportSchema = Type.Object({
  id: ItemId,
  revision: Revision,
  gateway: Name('gateway id'),
  seq: Type.Integer({ minimum: 0, description: 'status sequence number; never reused by a gateway' }),
  at: Ms('gateway clock when the report was made'),
  backlog: Type.Object(Object.fromEntries(UPLINK_CLASSES.map((c) => [c, Backlog])) as Record<(typeof UPLINK_CLASSES)[number], typeof Backlog>),
  budget: Type.Object({ bytes: Count, used: Count }, { description: 'the outbox byte budget and the bytes held' }),
  lossSince: Ms('when the ledger started counting'),
  loss: Type.Array(LossEntrySchema),
  oldestUnsentAgeMs: Type.Union([Count, Type.Null()], { description: 'age of the oldest unsent item (ms); null when nothing waits' }),
  // Added within v1 (an optional field): older gateways leave it out, older clouds ignore it.
  applied: Type.Optional(AppliedReportSchema),
});

export const ItemSchemas = {
  alert: AlertEventSchema,
  summary: SummarySchema,
  raw: RawSnippetSchema,
  status: StatusReportSchema,
} as const satisfies Record<(typeof UPLINK_CLASSES)[number], TSchema>;

/** The envelope of every up message. Items are checked one by one against their class's schema. */
export const BatchEnvelopeSchema = Type.Object({
  v: Type.Integer({ minimum: 1, description: 'protocol version' }),
  gateway: Name('gateway id'),
  class: UplinkClassSchema,
  batch: Name('batch id, unique per gateway'),
  sentAt: Ms('gateway clock when sent'),
  items: Type.Array(Type.Object({}), { minItems: 1, maxItems: 10_000 }),
});

const AckRef = Type.Object({ class: UplinkClassSchema, id: ItemId, rev: Revision });

export const AckSchema = Type.Object({
  v: Type.Integer({ minimum: 1 }),
  gateway: Name('gateway id'),
  batch: Type.Optional(Name('the batch this answers, when it answers one')),
  /** Held durably by the cloud: revision `rev` (and so every earlier one) of item `id`. */
  acks: Type.Array(AckRef, { maxItems: 10_000 }),
  /** Refused for good: the gateway drops them and counts them in its loss ledger as `rejected`. */
  rejects: Type.Optional(
    Type.Array(Type.Composite([AckRef, Type.Object({ reason: Type.String({ pattern: '^[a-z][a-z_]{0,31}$' }), detail: Type.Optional(Type.String({ maxLength: 500 })) })]), { maxItems: 10_000 }),
  ),
});

export type RawReading = Static<typeof RawReadingSchema>;
export type RawSnippet = Static<typeof RawSnippetSchema>;
export type LossEntry = Static<typeof LossEntrySchema>;
export type StatusReport = Static<typeof StatusReportSchema>;
export type Ack = Static<typeof AckSchema>;
export type AckRef = Static<typeof AckRef>;
export type Reject = NonNullable<Ack['rejects']>[number];

// The schemas and the in-process types must describe the same objects, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };
const summaryMatches: Same<Static<typeof SummarySchema>, Mutable<Summary>> = true;
const alertMatches: Same<Static<typeof AlertEventSchema>, Mutable<AlertEvent>> = true;
const classesMatch: Same<Static<typeof UplinkClassSchema>, UplinkClass> = true;
void summaryMatches;
void classesMatch;
void alertMatches;
