// The uplink wire protocol, defined once for both ends: the gateway encodes batches and decodes
// acks; the cloud decodes batches (dead-lettering what it refuses, with a reason) and encodes acks.
//
// A payload is a UTF-8 JSON document, or that document gzip-compressed: a payload starting with
// the gzip magic bytes 1f 8b (RFC 1952 §2.3.1) is compressed, anything else is JSON. JSON text
// never starts with 0x1f, so the flag costs nothing and MQTT 3.1.1 needs no header for it.

import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { AlertEvent } from '../alert/alert.js';
import { Turn } from '../analysis/turn.js';
import { codedError, type ErrorCode, type TributaryError } from '../errors/catalogue.js';
import type { Summary } from '../features/summary.js';
import { AckSchema, BatchEnvelopeSchema, ItemSchemas, type Ack, type RawSnippet, type StatusReport } from './schemas.js';
import { parseTopic, PROTOCOL_VERSION, topicVersion, uplinkTopics, UPLINK_CLASSES, type UplinkClass } from './topics.js';

export * from './ids.js';
export * from './schemas.js';
export * from './topics.js';

/** The item type of each class. */
export interface UplinkItems {
  alert: AlertEvent;
  summary: Summary;
  raw: RawSnippet;
  status: StatusReport;
}

/** One up message: items of one class. */
export type UplinkBatch = {
  [C in UplinkClass]: { v: number; gateway: string; class: C; batch: string; sentAt: number; items: Array<UplinkItems[C]> };
}[UplinkClass];

/** A batch as the sender fills it in: everything but `v`. */
export type UplinkBatchInput = DistributiveOmit<UplinkBatch, 'v'>;

/**
 * An item already in its JSON form, the text JSON.stringify gives for it. The outbox reads raw
 * snippets, alert events and status reports back as text (outbox.ts read with `text`): a raw part
 * is up to 128 KB of JSON, and parsing it only to stringify it again for the message doubled the
 * uplink's work on them and kept both forms alive across the turns a message is built in.
 */
export class ItemText {
  constructor(readonly json: string) {}
}

/** A batch as the uplink hands it over: any item may be given as its JSON text (ItemText). */
export type OutgoingBatch = {
  [C in UplinkClass]: { gateway: string; class: C; batch: string; sentAt: number; items: Array<UplinkItems[C] | ItemText> };
}[UplinkClass];

/** Why a receiver refused a whole message: the dead-letter reason. */
export type ProtocolReason = 'too_large' | 'bad_compression' | 'not_json' | 'unsupported_version' | 'invalid' | 'wrong_topic';

const REASONS = {
  ERR_PROTOCOL_TOO_LARGE: 'too_large',
  ERR_PROTOCOL_BAD_COMPRESSION: 'bad_compression',
  ERR_PROTOCOL_NOT_JSON: 'not_json',
  ERR_PROTOCOL_VERSION: 'unsupported_version',
  ERR_PROTOCOL_INVALID: 'invalid',
  ERR_PROTOCOL_TOPIC: 'wrong_topic',
} as const satisfies Partial<Record<ErrorCode, ProtocolReason>>;
type ProtocolCode = keyof typeof REASONS;

/** A refused message: the coded error, its reason label, and what could be read of who sent it. */
export interface ProtocolFailure {
  readonly ok: false;
  readonly reason: ProtocolReason;
  readonly error: TributaryError;
  readonly gateway?: string;
}

/** An item that failed its class's schema; the rest of the batch is still good. */
export interface InvalidItem {
  readonly index: number;
  /** Present when the item's id and revision could be read, so it can be rejected by id. */
  readonly id?: string;
  readonly rev?: number;
  readonly problem: string;
}

export type UplinkDecodeResult = { readonly ok: true; readonly batch: UplinkBatch; readonly invalid: readonly InvalidItem[] } | ProtocolFailure;
export type AckDecodeResult = { readonly ok: true; readonly ack: Ack } | ProtocolFailure;

export interface DecodeLimits {
  /** Largest payload accepted as it arrives (bytes, default 1 MiB). */
  readonly maxBytes?: number;
  /** Largest document after decompression (bytes, default 16 MiB): bounds a gzip bomb. */
  readonly maxDecompressedBytes?: number;
}

export interface EncodeOptions {
  /** Compress with gzip when the JSON is at least `gzipMinBytes` long (default false). */
  readonly gzip?: boolean;
  /** Smaller documents go uncompressed: gzip's 18-byte frame would outweigh the gain (bytes, default 256). */
  readonly gzipMinBytes?: number;
}

export interface Encoded {
  readonly topic: string;
  readonly payload: Buffer;
  readonly compressed: boolean;
  /** Length of the JSON document before compression. */
  readonly jsonBytes: number;
}

const ajv = new Ajv({ allErrors: false, strict: true, strictTypes: false, allowUnionTypes: true });
const compile = (schema: TSchema): ValidateFunction => ajv.compile(schema);

/** Compiled validators, for receivers that check a part on its own. */
export const validators = {
  envelope: compile(BatchEnvelopeSchema),
  ack: compile(AckSchema),
  items: Object.fromEntries(UPLINK_CLASSES.map((c) => [c, compile(ItemSchemas[c])])) as Record<UplinkClass, ValidateFunction>,
};

const DEFAULT_MAX_BYTES = 1 << 20;
const DEFAULT_MAX_DECOMPRESSED = 16 << 20;

/** Encode a batch for `uplinkTopics.up(gateway, class)`; `v` is filled in. */
export function encodeBatch(batch: OutgoingBatch, options: EncodeOptions = {}): Encoded {
  if (batch.items.length === 0) throw new TypeError('a batch carries at least one item');
  const json = Buffer.from(documentOf(batch));
  return { topic: uplinkTopics.up(batch.gateway, batch.class), ...framed(json, options) };
}

/**
 * encodeBatch with the compression on libuv's thread pool: the same bytes, but the event loop does
 * not wait the few milliseconds (tens on a Pi) a batch of 500 summaries takes to compress, so the
 * gateway's alert path does not queue behind its summary uploads. A small document, and alert
 * events at any size, are compressed at once instead: tens of microseconds (a few ms for a full
 * message of alerts), where a turn on the pool queues behind LevelDB's writes and the summaries'
 * compression: 13 ms for a message of 25 alerts (17 KB) in a fleet's window-closing burst.
 */
export async function encodeBatchAsync(batch: OutgoingBatch, options: EncodeOptions = {}): Promise<Encoded> {
  if (batch.items.length === 0) throw new TypeError('a batch carries at least one item');
  const json = Buffer.from(batch.class === 'alert' ? documentOf(batch) : await stringifyAcrossTurns(batch));
  const topic = uplinkTopics.up(batch.gateway, batch.class);
  if (!wantsGzip(json, options)) return { topic, payload: json, compressed: false, jsonBytes: json.length };
  const atOnce = json.length <= GZIP_AT_ONCE_BYTES || batch.class === 'alert';
  return { topic, payload: atOnce ? gzipSync(json) : await gzipAsync(json), compressed: true, jsonBytes: json.length };
}

const itemJson = (item: unknown): string => (item instanceof ItemText ? item.json : JSON.stringify(item));

/** The message's JSON in one go (stringifyAcrossTurns gives the same across turns). */
const documentOf = (batch: OutgoingBatch): string => joinItems(batch, batch.items.map(itemJson));

/** The message's JSON, `{"v":…,"gateway":…,"class":…,"batch":…,"sentAt":…,"items":[…]}`, from its items' texts. */
function joinItems(batch: OutgoingBatch, items: readonly string[]): string {
  const head = { v: PROTOCOL_VERSION, gateway: batch.gateway, class: batch.class, batch: batch.batch, sentAt: batch.sentAt };
  return `${JSON.stringify(head).slice(0, -1)},"items":[${items.join(',')}]}`;
}

/**
 * The text JSON.stringify gives for the batch's document, made item by item and giving the loop
 * up once it has held it for TURN_BUDGET_MS (analysis/turn.ts): the JSON of a message of 1,000
 * summaries is 8–16 ms in one block on the development VM (a CPU profile of the e2e benchmark),
 * longer on a Pi, and an alert read meanwhile would wait for all of it.
 */
async function stringifyAcrossTurns(batch: OutgoingBatch): Promise<string> {
  const parts: string[] = [];
  const turn = new Turn();
  for (const item of batch.items as readonly unknown[]) {
    if (turn.due()) await turn.next();
    parts.push(itemJson(item));
  }
  return joinItems(batch, parts);
}

/** Encode an ack for `uplinkTopics.ack(gateway)`; `v` is filled in. */
export function encodeAck(ack: Omit<Ack, 'v'>, options: EncodeOptions = {}): Encoded {
  return { topic: uplinkTopics.ack(ack.gateway), ...frame({ v: PROTOCOL_VERSION, ...ack }, options) };
}

/**
 * Decode and validate an up message. Never throws: a message refused as a whole comes back with
 * its reason; items failing their schema come back in `invalid` (reject them with `invalid`).
 */
export function decodeUplink(topic: string, payload: Uint8Array, limits: DecodeLimits = {}): UplinkDecodeResult {
  const parsed = parseTopic(topic);
  const gateway = parsed?.gateway;
  const fail = (code: ProtocolCode, args: readonly unknown[]): ProtocolFailure => failure(code, args, gateway);
  if (parsed === undefined || parsed.direction !== 'up') return fail('ERR_PROTOCOL_TOPIC', [topic, 'not tributary/v<n>/<gateway>/up/<class>']);
  const doc = readDocument(payload, limits, gateway);
  if (!doc.ok) return doc;
  const body = doc.value;
  const version = versionOf(body);
  if (version !== PROTOCOL_VERSION) return fail('ERR_PROTOCOL_VERSION', [String(version), PROTOCOL_VERSION]);
  if (!validators.envelope(body)) return fail('ERR_PROTOCOL_INVALID', ['batch', describe(validators.envelope.errors)]);
  const b = body as UplinkBatch;
  if (topicVersion(parsed.version) !== b.v || parsed.gateway !== b.gateway || parsed.class !== b.class) {
    return fail('ERR_PROTOCOL_TOPIC', [topic, `the message says v${b.v}, gateway ${b.gateway}, class ${b.class}`]);
  }
  const check = validators.items[b.class];
  const good: unknown[] = [];
  const invalid: InvalidItem[] = [];
  b.items.forEach((item: unknown, index) => {
    if (check(item) && (item as { gateway: string }).gateway === b.gateway) good.push(item);
    else invalid.push({ index, ...idOf(item), problem: check.errors ? describe(check.errors) : `gateway is not ${b.gateway}` });
  });
  return { ok: true, batch: { ...b, items: good } as UplinkBatch, invalid };
}

/** Decode and validate an ack. Never throws; the gateway counts and ignores a refused ack. */
export function decodeAck(topic: string, payload: Uint8Array, limits: DecodeLimits = {}): AckDecodeResult {
  const parsed = parseTopic(topic);
  const gateway = parsed?.gateway;
  const fail = (code: ProtocolCode, args: readonly unknown[]): ProtocolFailure => failure(code, args, gateway);
  if (parsed === undefined || parsed.direction !== 'down' || parsed.kind !== 'ack') return fail('ERR_PROTOCOL_TOPIC', [topic, 'not tributary/v<n>/<gateway>/ack']);
  const doc = readDocument(payload, limits, gateway);
  if (!doc.ok) return doc;
  const version = versionOf(doc.value);
  if (version !== PROTOCOL_VERSION) return fail('ERR_PROTOCOL_VERSION', [String(version), PROTOCOL_VERSION]);
  if (!validators.ack(doc.value)) return fail('ERR_PROTOCOL_INVALID', ['ack', describe(validators.ack.errors)]);
  const ack = doc.value as Ack;
  if (topicVersion(parsed.version) !== ack.v || parsed.gateway !== ack.gateway) return fail('ERR_PROTOCOL_TOPIC', [topic, `the ack says v${ack.v}, gateway ${ack.gateway}`]);
  return { ok: true, ack };
}

/** The reason label of a protocol error code (for receivers that build their own failures). */
export function protocolReason(code: ErrorCode): ProtocolReason | undefined {
  return (REASONS as Partial<Record<ErrorCode, ProtocolReason>>)[code];
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const gzipAsync = promisify(gzip);
/** Documents up to this size are compressed on the event loop (encodeBatchAsync). */
const GZIP_AT_ONCE_BYTES = 16 * 1024;

const wantsGzip = (json: Buffer, options: EncodeOptions): boolean => options.gzip === true && json.length >= (options.gzipMinBytes ?? 256);

/** A JSON document as a payload: gzip-compressed when asked and at least gzipMinBytes long. */
export function frame(body: object, options: EncodeOptions): Omit<Encoded, 'topic'> {
  return framed(Buffer.from(JSON.stringify(body)), options);
}

function framed(json: Buffer, options: EncodeOptions): Omit<Encoded, 'topic'> {
  if (wantsGzip(json, options)) return { payload: gzipSync(json), compressed: true, jsonBytes: json.length };
  return { payload: json, compressed: false, jsonBytes: json.length };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A payload as a JSON object (gunzipped when framed so), within the limits; or why it is refused. */
export function readDocument(payload: Uint8Array, limits: DecodeLimits, gateway: string | undefined): { ok: true; value: unknown } | ProtocolFailure {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  if (payload.length > maxBytes) return failure('ERR_PROTOCOL_TOO_LARGE', [payload.length, maxBytes], gateway);
  let bytes = payload;
  if (payload.length >= 2 && payload[0] === 0x1f && payload[1] === 0x8b) {
    const max = limits.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED;
    try {
      bytes = gunzipSync(payload, { maxOutputLength: max });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return failure('ERR_PROTOCOL_TOO_LARGE', [`more than ${max} decompressed`, max], gateway);
      return failure('ERR_PROTOCOL_BAD_COMPRESSION', [(err as Error).message], gateway);
    }
  }
  try {
    const value: unknown = JSON.parse(utf8.decode(bytes));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return failure('ERR_PROTOCOL_NOT_JSON', ['the document is not a JSON object'], gateway);
    return { ok: true, value };
  } catch (err) {
    return failure('ERR_PROTOCOL_NOT_JSON', [(err as Error).message], gateway);
  }
}

/** The `v` field, read before any schema: a newer version may have any shape. */
function versionOf(body: unknown): unknown {
  return (body as { v?: unknown }).v;
}

function idOf(item: unknown): { id?: string; rev?: number } {
  if (item === null || typeof item !== 'object') return {};
  const { id, revision } = item as { id?: unknown; revision?: unknown };
  return typeof id === 'string' && /^[0-9a-f]{32}$/.test(id) && Number.isSafeInteger(revision) && (revision as number) >= 0 ? { id, rev: revision as number } : {};
}

function failure(code: ProtocolCode, args: readonly unknown[], gateway: string | undefined): ProtocolFailure {
  return { ok: false, reason: REASONS[code], error: codedError(code, args), ...(gateway !== undefined ? { gateway } : {}) };
}

/** The first schema problem as `path: what`. */
export function describe(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'unknown problem';
  const path = e.instancePath === '' ? '(root)' : e.instancePath.slice(1).replace(/\//g, '.');
  return `${path}: ${e.message ?? e.keyword}`;
}
