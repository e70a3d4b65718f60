// The messages of config and model push as TypeBox schemas: what the cloud sends down on
// `tributary/v1/<gateway>/config` and `/model`, and the `applied` report a gateway adds to its
// status items (what it runs, and the pushes it refused, each with its error code and message).
// Tolerant readers, as for the rest of the protocol: unknown properties are ignored.

import { Type, type Static } from '@sinclair/typebox';

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const Ms = (description: string) => Type.Integer({ description: `${description} (ms since the Unix epoch)` });

/** A push id: 32 lower-case hex characters, new for every push an admin makes (a re-push of the same content too). */
export const PUSH_ID_PATTERN = '^[0-9a-f]{32}$';
const PushId = Type.String({ pattern: PUSH_ID_PATTERN, description: 'this push; a new id for every push' });
const Version = Type.String({ minLength: 1, maxLength: 64, description: 'the version label people see, e.g. 2024-12-01.1' });

/** Largest config document a push carries (bytes of text). */
export const MAX_CONFIG_DOCUMENT = 256 * 1024;
/** Longest error message a refusal reports (characters; longer ones are cut). */
export const MAX_REFUSAL_MESSAGE = 4000;

const Common = {
  v: Type.Integer({ minimum: 1, description: 'protocol version' }),
  gateway: Name,
  id: PushId,
  version: Version,
  target: Type.String({ minLength: 1, maxLength: 200, description: 'where the desired state was set: fleet, site:<site> or gateway:<id>' }),
  pushedBy: Type.String({ minLength: 1, maxLength: 128, description: 'who pushed it (a user name)' }),
  pushedAt: Ms('when it was pushed, cloud clock'),
};

export const ConfigPushSchema = Type.Object({
  ...Common,
  kind: Type.Literal('config'),
  format: Type.Union([Type.Literal('yaml'), Type.Literal('json')]),
  /** A JSON Merge Patch (RFC 7396) over the gateway's config file, as YAML or JSON text. */
  document: Type.String({ maxLength: MAX_CONFIG_DOCUMENT }),
});

export const ModelPushSchema = Type.Object({
  ...Common,
  kind: Type.Literal('model'),
  /** The manifest's name: the model this replaces (or adds) on the gateway. */
  name: Name,
  /** SHA-256 of the ONNX bytes, lower-case hex: a transfer that damaged them is refused. */
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  /** The manifest as JSON; checked by the model loader, not here. */
  manifest: Type.Object({}),
  /** The ONNX graph, base64. */
  onnx: Type.String({ minLength: 1 }),
});

export const PushKindSchema = Type.Union([Type.Literal('config'), Type.Literal('model')]);

const AppliedConfigSchema = Type.Object({
  id: Type.Union([PushId, Type.Null()], { description: 'the push applied; null: the config file alone' }),
  version: Type.Union([Version, Type.Null()]),
  at: Type.Union([Ms('gateway clock when it was applied'), Type.Null()]),
});

const AppliedModelSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  version: Type.String(),
  id: Type.Union([PushId, Type.Null()], { description: 'the push that brought it; null: a model named in the config' }),
});

/** The last push of one slot (the config, or one model name) that the gateway refused. */
export const RefusalSchema = Type.Object({
  kind: PushKindSchema,
  id: PushId,
  version: Type.Union([Type.String(), Type.Null()]),
  name: Type.Optional(Type.String({ description: 'model pushes: the model name' })),
  code: Type.String({ pattern: '^ERR_[A-Z0-9_]+$', description: 'the error catalogue code' }),
  message: Type.String({ maxLength: MAX_REFUSAL_MESSAGE }),
  at: Ms('gateway clock when it was refused'),
});

/** What a gateway runs, as it reports it in every status item (optional field: older gateways lack it). */
export const AppliedReportSchema = Type.Object({
  config: AppliedConfigSchema,
  models: Type.Array(AppliedModelSchema, { maxItems: 256 }),
  refused: Type.Array(RefusalSchema, { maxItems: 257 }),
});

export type ConfigPush = Static<typeof ConfigPushSchema>;
export type ModelPush = Static<typeof ModelPushSchema>;
export type PushMessage = ConfigPush | ModelPush;
export type PushKind = PushMessage['kind'];
export type AppliedReport = Static<typeof AppliedReportSchema>;
export type AppliedModel = Static<typeof AppliedModelSchema>;
export type Refusal = Static<typeof RefusalSchema>;
