// The scenario schema for `tributary devices`: which devices exist, how fast simulated time runs,
// where readings go, and which failures are injected when. Validated once (see load.ts).

import { Type, type Static } from '@sinclair/typebox';
import { FAILURE_MODE_NAMES } from '../failures/modes.js';
import { DEVICE_KINDS } from '../signals/contract.js';

const OneOf = <const T extends string>(values: readonly T[], options: { default?: T; description: string }) =>
  Type.Union(values.map((v) => Type.Literal(v)), options);

/** Accepted forms of startTime; checked further (a real date) in load.ts. */
export const START_TIME_PATTERN = '^(now(-\\d+(ms|s|m|h|d))?|\\d{4}-\\d{2}-\\d{2}T[0-9:.]+(Z|[+-]\\d{2}:?\\d{2}))$';

const Gateway = Type.Object(
  {
    url: Type.String({ pattern: '^mqtts?://', default: 'mqtt://127.0.0.1:1883', description: 'broker the MQTT devices connect to (default mqtt://127.0.0.1:1883); `--gateway` overrides it' }),
    topicPrefix: Type.String({ pattern: '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$', default: 'sensors', description: 'devices publish to <topicPrefix>/<device> (default sensors)' }),
    qos: Type.Union([Type.Literal(0), Type.Literal(1)], {
      default: 0,
      description: '0: a reading counts as sent once handed to the socket; 1: once the broker acknowledged it (default 0)',
    }),
    maxInFlight: Type.Integer({ minimum: 1, maximum: 65535, default: 100, description: 'QoS 1: unacknowledged publishes per device before it waits (default 100)' }),
    password: Type.Optional(Type.String({ minLength: 1, description: 'one password for every device; `{device}` in it is replaced by the device id' })),
    passwords: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1 }), { description: 'device id → password; overrides `password` for those devices' })),
    reconnectMs: Type.Integer({ minimum: 100, default: 1000, description: 'delay before a lost connection is retried (milliseconds, default 1000)' }),
  },
  { additionalProperties: false, default: {}, description: 'the MQTT endpoint; each device connects with clientId = username = its id (no username without a password)' },
);

const Serial = Type.Object(
  {
    framing: OneOf(['ndjson', 'csv', 'kv'], { description: 'line format, as the gateway\'s serial[].framing: ndjson, csv (columns ts, device, then the kind\'s metrics) or kv' }),
    delimiter: Type.String({ minLength: 1, maxLength: 1, default: ',', description: 'csv delimiter (default ,)' }),
    ptyDir: Type.Optional(Type.String({ minLength: 1, description: 'folder for the pty links <name>-device and <name>-gateway (default: a new temp folder), so a gateway config can name the path ahead of time' })),
  },
  { additionalProperties: false, description: 'transport serial (required for it): one pseudo-terminal pair per group, every device of the group on it' },
);

const Modbus = Type.Object(
  {
    ptyDir: Type.Optional(Type.String({ minLength: 1, description: 'folder for the pty links <name>-device and <name>-gateway (default: a new temp folder)' })),
  },
  { additionalProperties: false, description: 'transport modbus: one pty pair per group; device n is unit id n (at most 247), serving its metrics as float32 input registers' },
);

export const GroupSchema = Type.Object(
  {
    kind: OneOf(DEVICE_KINDS, { description: 'which signal model the devices follow' }),
    count: Type.Integer({ minimum: 1, maximum: 100_000, description: 'number of devices' }),
    idPrefix: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,55}$', description: 'device ids are idPrefix + a zero-padded number from 1, e.g. motor-001' }),
    name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'how failures refer to the whole group (default: idPrefix without a trailing - _ or .)' })),
    ratePerSec: Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'readings per device per simulated second' }),
    transport: OneOf(['mqtt', 'serial', 'modbus'], { default: 'mqtt', description: 'how readings leave the devices (default mqtt)' }),
    serial: Type.Optional(Serial),
    modbus: Type.Optional(Modbus),
  },
  { additionalProperties: false },
);

export const FailureSchema = Type.Object(
  {
    device: Type.String({ minLength: 1, description: 'a device id, or a group name for every device of the group' }),
    mode: OneOf(FAILURE_MODE_NAMES, { description: 'what goes wrong (see devices/failures/modes.ts)' }),
    startMs: Type.Integer({ minimum: 0, description: 'simulated time from the start of the run when it begins (milliseconds)' }),
    durationMs: Type.Integer({ minimum: 1, description: 'how long it lasts in simulated time (milliseconds)' }),
    severity: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 1, description: 'how strong, unitless (default 1); each mode says what it scales' }),
    skewMs: Type.Optional(Type.Integer({ description: 'clock-skew only: shift of the timestamps (milliseconds, default +30000)' })),
  },
  { additionalProperties: false },
);

export const ScenarioSchema = Type.Object(
  {
    gateway: Gateway,
    speedup: Type.Number({ exclusiveMinimum: 0, default: 1, description: 'simulated time ÷ real time, e.g. 60 runs an hour in a minute (default 1)' }),
    durationMs: Type.Optional(Type.Integer({ minimum: 1, description: 'simulated time to run (milliseconds); absent: until stopped (SIGINT/SIGTERM)' })),
    seed: Type.Integer({ minimum: 0, maximum: 4294967295, default: 1, description: 'the same seed gives the same readings and failures (default 1)' }),
    startTime: Type.String({
      pattern: START_TIME_PATTERN,
      default: 'now',
      description:
        'simulated time at the start: `now` (default), `now-<n><ms|s|m|h|d>`, or ISO 8601 with Z or an offset. With speedup > 1 readings run ahead of ' +
        'the wall clock, and a gateway refuses any further ahead than its decode.maxClockSkewMs, so start in the past, e.g. now-1h for an hour at speedup 60',
    }),
    tickMs: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'real time between scheduling rounds (milliseconds, default 10)' }),
    groups: Type.Array(GroupSchema, { minItems: 1, description: 'the fleet, by group' }),
    failures: Type.Array(FailureSchema, { default: [], description: 'what to inject; every injected failure is a row of the ground truth' }),
  },
  { additionalProperties: false },
);

export type Scenario = Static<typeof ScenarioSchema>;
export type GroupConfig = Static<typeof GroupSchema>;
export type FailureConfig = Static<typeof FailureSchema>;
export type SerialGroupConfig = Static<typeof Serial>;
