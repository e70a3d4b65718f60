// How the outbox stores an item in LevelDB: key = class byte + 6-byte seq (byte order = queue
// order), value = a small header (id as 16 bytes, revision, when queued) and the body — a summary
// in the compact binary form of summary-codec.ts, anything else as deflated JSON (alert events are
// rare; raw snippets' repeated metric names compress well).
//
// Value (format 1): tag u8 (format << 4 | body kind) · id 16 bytes · revision uvarint · queuedAt
// uvarint · body. The header alone is read at open, to rebuild the queues without decoding bodies.

import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { ByteReader, ByteWriter, readUintBE, writeUintBE } from '../store/bytes.js';
import { codedError } from '../errors/catalogue.js';
import type { Summary } from '../features/summary.js';
import { ItemText, type UplinkItems } from '../uplink/protocol.js';
import { UPLINK_CLASSES, type UplinkClass } from '../uplink/topics.js';
import { decodeSummary, encodeSummary } from './summary-codec.js';

const FORMAT = 1;
const BODY_JSON = 0;
const BODY_SUMMARY = 1;
const SEQ_BYTES = 6;
/** Largest seq a key holds (2.8e14). */
export const MAX_ITEM_SEQ = 2 ** (8 * SEQ_BYTES) - 1;

const CLASS_BYTE: Readonly<Record<UplinkClass, number>> = { alert: 0x61, summary: 0x73, raw: 0x72, status: 0x74 };
const CLASS_OF = new Map<number, UplinkClass>(UPLINK_CLASSES.map((c) => [CLASS_BYTE[c], c]));

export interface ItemHeader {
  readonly id: string;
  readonly rev: number;
  /** Gateway clock when the item was queued (ms since the epoch). */
  readonly queuedAt: number;
}

/** Every item carries these; the outbox trusts its callers for the rest (they are the gateway's own objects). */
export interface Identified {
  readonly id: string;
  readonly revision: number;
}

const ID = /^[0-9a-f]{32}$/;
const writer = new ByteWriter(1024);

export function itemKey(cls: UplinkClass, seq: number): Buffer {
  const key = Buffer.allocUnsafe(1 + SEQ_BYTES);
  key[0] = CLASS_BYTE[cls];
  writeUintBE(key, seq, 1, SEQ_BYTES);
  return key;
}

/** The key range holding one class's items, for a LevelDB iterator. */
export function classRange(cls: UplinkClass): { gte: Buffer; lt: Buffer } {
  return { gte: Buffer.from([CLASS_BYTE[cls]]), lt: Buffer.from([CLASS_BYTE[cls] + 1]) };
}

export function parseItemKey(key: Uint8Array): { cls: UplinkClass; seq: number } {
  const cls = key.length === 1 + SEQ_BYTES ? CLASS_OF.get(key[0]!) : undefined;
  if (cls === undefined) throw codedError('ERR_STORE_CORRUPT', ['outbox', Buffer.from(key).toString('hex'), 'malformed key']);
  return { cls, seq: readUintBE(key, 1, SEQ_BYTES) };
}

/** The stored value of `item`. Throws TypeError for an item without a 32-hex id or a whole revision. */
export function encodeItem<C extends UplinkClass>(cls: C, item: UplinkItems[C], queuedAt: number): Buffer {
  const { id, revision } = item as Identified;
  const w = startItem(cls, id, revision, queuedAt);
  if (cls === 'summary') {
    const mark = w.length;
    if (encodeSummary(item as Summary, w)) return finishItem(w, BODY_SUMMARY);
    w.truncate(mark);
  }
  const { id: _id, revision: _rev, ...rest } = item as Identified & Record<string, unknown>;
  w.bytes(deflateRawSync(JSON.stringify(rest)));
  return finishItem(w, BODY_JSON);
}

/**
 * encodeItem for an item already in JSON text: `json` is its object without `id` and `revision`
 * (what encodeItem stores of it), e.g. a raw snippet's part made from the log's records as text
 * (snippet-parts.ts snippetPartsText). The same bytes as encodeItem of the parsed item.
 */
export function encodeItemJson(cls: UplinkClass, id: string, revision: number, json: string, queuedAt: number): Buffer {
  const w = startItem(cls, id, revision, queuedAt);
  w.bytes(deflateRawSync(json));
  return finishItem(w, BODY_JSON);
}

/** The shared writer with an item's header written (its tag patched by finishItem). Throws TypeError for a bad id or revision. */
function startItem(cls: UplinkClass, id: string, revision: number, queuedAt: number): ByteWriter {
  if (typeof id !== 'string' || !ID.test(id)) throw new TypeError(`outbox: a ${cls} item needs a 32-hex id, got ${String(id)}`);
  if (!(Number.isSafeInteger(revision) && revision >= 0)) throw new TypeError(`outbox: a ${cls} item needs a whole revision, got ${String(revision)}`);
  const w = writer;
  w.reset();
  w.uvarint(0); // tag, patched by finishItem
  w.bytes(Buffer.from(id, 'hex'));
  w.uvarint(revision);
  w.uvarint(Math.max(0, Math.round(queuedAt)));
  return w;
}

function finishItem(w: ByteWriter, body: number): Buffer {
  const out = w.finish();
  out[0] = (FORMAT << 4) | body;
  return out;
}

export function readHeader(value: Uint8Array): ItemHeader {
  const r = new ByteReader(value, 'outbox');
  return header(r, r.uvarint());
}

export function decodeItem<C extends UplinkClass>(cls: C, value: Uint8Array): UplinkItems[C] {
  const r = new ByteReader(value, 'outbox');
  const tag = r.uvarint();
  const h = header(r, tag);
  if ((tag & 0x0f) === BODY_SUMMARY) {
    if (cls !== 'summary') throw r.corrupt(`a summary body under class ${cls}`);
    return decodeSummary(h.id, h.rev, r) as UplinkItems[C];
  }
  try {
    return { id: h.id, revision: h.rev, ...(JSON.parse(inflateRawSync(r.rest()).toString('utf8')) as object) } as UplinkItems[C];
  } catch (err) {
    throw codedError('ERR_STORE_CORRUPT', ['outbox', h.id, (err as Error).message], { cause: err });
  }
}

/**
 * decodeItem, but an item stored as JSON comes back as its JSON text, not parsed: the text
 * JSON.stringify gives for what decodeItem returns (`{"id":…,"revision":…,` then the stored keys).
 * The uplink sends it as it is (protocol.ts ItemText).
 */
export function decodeItemText<C extends UplinkClass>(cls: C, value: Uint8Array): UplinkItems[C] | ItemText {
  const r = new ByteReader(value, 'outbox');
  const tag = r.uvarint();
  if ((tag & 0x0f) === BODY_SUMMARY) return decodeItem(cls, value);
  const h = header(r, tag);
  let body: string;
  try {
    body = utf8.decode(inflateRawSync(r.rest()));
    // Parsed only to check it (the result dies young): raw deflate has no checksum, and one item
    // that is not JSON would have the cloud refuse its whole message, again at every resend.
    const parsed: unknown = JSON.parse(body);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the body is not a JSON object');
  } catch (err) {
    throw codedError('ERR_STORE_CORRUPT', ['outbox', h.id, (err as Error).message], { cause: err });
  }
  // encodeItem wrote JSON.stringify of the item without id and revision: `{…}`, maybe `{}`.
  return new ItemText(`{"id":"${h.id}","revision":${h.rev}${body === '{}' ? '' : `,${body.slice(1, -1)}`}}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function header(r: ByteReader, tag: number): ItemHeader {
  if (tag >> 4 !== FORMAT) throw r.corrupt(`unknown outbox record format ${tag >> 4}`);
  const id = Buffer.from(r.view(16)).toString('hex');
  return { id, rev: r.uvarint(), queuedAt: r.uvarint() };
}
