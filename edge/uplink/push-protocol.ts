// Config and model push on the wire, for both ends: the cloud encodes a push for a gateway's
// `config` or `model` topic; the gateway decodes it, refusing (never throwing) what it cannot read.
// Same framing as the rest of the protocol: a JSON document, gzip-compressed when large (a model's
// base64 shrinks by about a quarter).

import { gzipSync } from 'node:zlib';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { codedError, type ErrorCode } from '../errors/catalogue.js';
import { describe, frame, readDocument, type DecodeLimits, type EncodeOptions, type Encoded, protocolReason, type ProtocolFailure } from './protocol.js';
import { ConfigPushSchema, ModelPushSchema, PUSH_ID_PATTERN, type PushKind, type PushMessage } from './push-schemas.js';
import { parseTopic, PROTOCOL_VERSION, topicVersion, uplinkTopics } from './topics.js';

export * from './push-schemas.js';

/** A push as the sender fills it in: everything but `v`. */
export type PushInput = PushMessage extends infer P ? (P extends PushMessage ? Omit<P, 'v'> : never) : never;

/** A refused push, with its id and kind when they could be read (so the refusal can be reported against it). */
export type PushFailure = ProtocolFailure & { readonly id?: string; readonly kind?: PushKind };

export type PushDecodeResult = { readonly ok: true; readonly push: PushMessage } | PushFailure;

/** A model push's base64 is about 4/3 of the ONNX bytes: the defaults allow models of a few MiB. */
export const PUSH_LIMITS: Required<DecodeLimits> = { maxBytes: 8 << 20, maxDecompressedBytes: 24 << 20 };

const ajv = new Ajv({ allErrors: false, strict: true, strictTypes: false, allowUnionTypes: true });
const compile = (schema: TSchema): ValidateFunction => ajv.compile(schema);
const validators: Record<PushKind, ValidateFunction> = { config: compile(ConfigPushSchema), model: compile(ModelPushSchema) };

/** Encode a push for `uplinkTopics.config(gateway)` or `.model(gateway)`; `v` is filled in. */
export function encodePush(push: PushInput, options: EncodeOptions = { gzip: true }): Encoded {
  const topic = push.kind === 'config' ? uplinkTopics.config(push.gateway) : uplinkTopics.model(push.gateway);
  return { topic, ...frame({ v: PROTOCOL_VERSION, ...push }, options) };
}

/**
 * One push for many gateways: its bulk (a model's bytes) is serialised and compressed once; each
 * gateway's message is a small gzip member naming the gateway followed by that shared member (a
 * gzip file is a series of members, RFC 1952 §2.2; any gunzip reads it as one document).
 */
export function pushEncoder(push: PushInput extends infer P ? (P extends PushInput ? Omit<P, 'gateway'> : never) : never): (gateway: string) => Encoded {
  const rest = Buffer.from(JSON.stringify(push));
  if (rest.length < 2 || rest[0] !== 0x7b) throw new TypeError('a push serialises to a JSON object');
  const tail = rest.length > 2 ? gzipSync(Buffer.concat([Buffer.from(','), rest.subarray(1)])) : gzipSync(rest.subarray(1));
  const topicOf = push.kind === 'config' ? uplinkTopics.config : uplinkTopics.model;
  return (gateway) => {
    const head = Buffer.from(`{"v":${PROTOCOL_VERSION},"gateway":${JSON.stringify(gateway)}`);
    return { topic: topicOf(gateway), payload: Buffer.concat([gzipSync(head), tail]), compressed: true, jsonBytes: head.length + rest.length };
  };
}

/** Decode and validate a push from the cloud. Never throws. */
export function decodePush(topic: string, payload: Uint8Array, limits: DecodeLimits = PUSH_LIMITS): PushDecodeResult {
  const parsed = parseTopic(topic);
  const gateway = parsed?.gateway;
  const kind = parsed?.direction === 'down' && (parsed.kind === 'config' || parsed.kind === 'model') ? parsed.kind : undefined;
  const fail = (code: ErrorCode, args: readonly unknown[], id?: string): PushFailure => ({
    ok: false,
    reason: protocolReason(code) ?? 'invalid',
    error: codedError(code, args),
    ...(gateway !== undefined ? { gateway } : {}),
    ...(id !== undefined ? { id } : {}),
    ...(kind !== undefined ? { kind } : {}),
  });
  if (kind === undefined) return fail('ERR_PROTOCOL_TOPIC', [topic, 'not tributary/v<n>/<gateway>/config or /model']);
  const doc = readDocument(payload, limits, gateway);
  if (!doc.ok) return { ...doc, kind };
  const body = doc.value as { v?: unknown; id?: unknown; gateway?: unknown; kind?: unknown };
  // The id is read before anything else is judged: a refusal is reported against it.
  const id = typeof body.id === 'string' && new RegExp(PUSH_ID_PATTERN).test(body.id) ? body.id : undefined;
  if (body.v !== PROTOCOL_VERSION) return fail('ERR_PROTOCOL_VERSION', [String(body.v), PROTOCOL_VERSION], id);
  const check = validators[kind];
  if (!check(body)) return fail('ERR_PROTOCOL_INVALID', [`${kind} push`, describe(check.errors)], id);
  if (topicVersion(parsed!.version) !== body.v || body.gateway !== gateway || body.kind !== kind) {
    return fail('ERR_PROTOCOL_TOPIC', [topic, `the push says v${String(body.v)}, gateway ${String(body.gateway)}, kind ${String(body.kind)}`], id);
  }
  return { ok: true, push: body as PushMessage };
}
