// The alert engine's checkpoint: every device's detector histories and rule state as plain JSON,
// checked on the way back in, since it comes from a file that a crash may have left half-written.

import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { codedError } from '../errors/catalogue.js';
import { ALERT_RULE_TYPES } from './alert.js';

const Num = Type.Number();

const EventSchema = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{32}$' }),
  revision: Type.Integer({ minimum: 0 }),
  state: Type.Union([Type.Literal('raised'), Type.Literal('updated'), Type.Literal('cleared')]),
  gateway: Type.String(),
  device: Type.String(),
  rule: Type.String(),
  ruleType: Type.Union(ALERT_RULE_TYPES.map((t) => Type.Literal(t))),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]),
  raisedAt: Num,
  at: Num,
  emittedAt: Num,
  message: Type.String(),
  evidence: Type.Object({ rule: Type.Record(Type.String(), Type.Unknown()), lastSeen: Type.Optional(Num) }),
});

const TrackSchema = Type.Object(
  {
    bad: Type.Integer({ minimum: 0 }),
    good: Type.Integer({ minimum: 0 }),
    memory: Type.Object(
      { previous: Type.Optional(Type.Tuple([Num, Num])), recent: Type.Optional(Type.Array(Type.Union([Type.Literal(0), Type.Literal(1)]))) },
      { additionalProperties: false },
    ),
    open: Type.Optional(
      Type.Object(
        { last: EventSchema, reported: Num, variants: Type.Optional(Type.Array(Type.String())), resumedAt: Type.Optional(Num) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const DeviceSchema = Type.Object(
  {
    lastActive: Num,
    lastSeen: Type.Optional(Num),
    lastEnd: Type.Record(Type.String(), Num),
    detectors: Type.Record(Type.String(), Type.Object({ kind: Type.String(), history: Type.Array(Num) }, { additionalProperties: false })),
    tracks: Type.Record(Type.String(), TrackSchema),
  },
  { additionalProperties: false },
);

export const EngineSnapshotSchema = Type.Object(
  { version: Type.Literal(1), gateway: Type.String(), takenAt: Num, devices: Type.Record(Type.String(), DeviceSchema) },
  { additionalProperties: false },
);

export type EngineSnapshot = Static<typeof EngineSnapshotSchema>;
export type DeviceSnapshot = Static<typeof DeviceSchema>;

/** The checkpoint, checked; throws ERR_ALERT_RESTORE naming the first thing wrong with it. */
export function checkSnapshot(state: unknown, gateway: string): EngineSnapshot {
  if (!Value.Check(EngineSnapshotSchema, state)) {
    const first = Value.Errors(EngineSnapshotSchema, state).First();
    throw codedError('ERR_ALERT_RESTORE', [first ? `${first.path || '/'}: ${first.message}` : 'it does not match the expected shape']);
  }
  // Alert ids hash the gateway id: another gateway's state would emit events under ids it never raised.
  if (state.gateway !== gateway) throw codedError('ERR_ALERT_RESTORE', [`it belongs to gateway ${state.gateway}, not ${gateway}`]);
  return state;
}
