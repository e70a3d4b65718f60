// Checkpoints: the window engine's snapshot, an opaque blob of analysis state (detectors, alert
// rules) and the ingest-log position they include, written together in one synced LevelDB batch
// that also deletes the previous checkpoint, so a crash leaves either the old one or the new one.
//
// The snapshot is stored as gzip-compressed JSON split into parts of at most `partBytes`, so a
// large fleet's state never becomes one huge LevelDB value.
//
// Ordering: a checkpoint at position P says "everything up to P is in this state, and every
// summary it emitted is stored". So before `save`, wait for the log to have P on disk
// (`committedSeq`) and for the outbox's pending writes to be flushed: the synced checkpoint batch,
// being later in the same database's write-ahead log, then makes them durable too.

import { once } from 'node:events';
import { promisify } from 'node:util';
import { createGzip, gunzip } from 'node:zlib';
import type { AbstractSublevel } from 'abstract-level';
import { Turn, TURN_BUDGET_MS } from '../analysis/turn.js';
import { codedError } from '../errors/catalogue.js';
import type { WindowSnapshot } from '../window/snapshot.js';
import type { Db } from './db.js';

const gunzipAsync = promisify(gunzip);

export interface Checkpoint {
  /** The newest ingest-log seq the state includes; replay from position + 1. −1 for none. */
  readonly position: number;
  /**
   * The newest seq the per-reading rules in `analysis` have judged (≥ position; absent: position).
   * They judge a reading when it is appended, before its commit, so the replay judges only the
   * readings after this one. Must be on disk too when the checkpoint is saved.
   */
  readonly judged?: number;
  /** Gateway clock (ms) when taken. */
  readonly takenAt: number;
  readonly engine: WindowSnapshot;
  /** Analysis state (detectors, alert rules), opaque to the store. */
  readonly analysis?: Uint8Array;
}

export interface CheckpointStoreOptions {
  readonly db: Db;
  /** Largest stored value (bytes, default 1 MiB); bigger snapshots are split. */
  readonly partBytes?: number;
  /** The ingest log's newest seq on disk: a checkpoint may not claim a position beyond it. */
  readonly committedSeq?: () => number;
}

interface Meta {
  readonly v: 1;
  readonly id: number;
  readonly position: number;
  /** Absent in checkpoints written before the rules judged readings on append: position. */
  readonly judged?: number;
  readonly takenAt: number;
  readonly engineParts: number;
  readonly analysisParts: number | null;
}

type Sub = AbstractSublevel<Db, string | Buffer | Uint8Array, string, Buffer>;

/** At most this many devices are stringified per turn of the event loop when a checkpoint is saved (see stringifySnapshot). */
const DEVICES_PER_SLICE = 50;

/**
 * JSON.stringify(snapshot), its devices in slices with a turn of the event loop between: at 1,000
 * devices one ~25 ms block, which held the readings and alerts arriving meanwhile, becomes slices
 * of a few ms (the panes' arrays are made here too: snapshot.ts PanesCopy). A slice ends after
 * `perSlice` devices or `budgetMs` of the loop (Turn), whichever comes first: a device's text grows
 * with its windows, and 50 of them took 1.5–8.3 ms under the e2e benchmark's load on the
 * development VM, several times that on a Pi. The snapshot is a copy nobody changes, so slicing
 * cannot tear it. The same document as JSON.stringify (with `devices` as its last key).
 */
export async function stringifySnapshot(snapshot: WindowSnapshot, perSlice = DEVICES_PER_SLICE, budgetMs = TURN_BUDGET_MS): Promise<string> {
  const pieces: string[] = [];
  for await (const piece of snapshotPieces(snapshot, perSlice, budgetMs)) pieces.push(piece);
  return pieces.join('');
}

/**
 * stringifySnapshot's document gzip-compressed as it is made: each slice's text goes into the
 * compressor and is let go, so neither the whole text nor its bytes are ever held. At 1,000 devices
 * the text is several MB, and the text and its bytes held together showed as a one-second rise of
 * up to 17 MB in the gateway's resident memory at every checkpoint in the e2e benchmark.
 */
export async function gzipSnapshot(snapshot: WindowSnapshot, perSlice = DEVICES_PER_SLICE, budgetMs = TURN_BUDGET_MS): Promise<Buffer> {
  const z = createGzip();
  const chunks: Buffer[] = [];
  z.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(z, 'end');
  ended.catch(() => {}); // awaited below; a compressor error also fails the write loop's wait for 'drain'
  try {
    for await (const piece of snapshotPieces(snapshot, perSlice, budgetMs)) if (!z.write(piece)) await once(z, 'drain');
    z.end();
    await ended;
  } finally {
    z.destroy();
  }
  return Buffer.concat(chunks);
}

/** The document in pieces: its head up to `"devices":[`, a slice of devices per turn, then `]}`. */
async function* snapshotPieces(snapshot: WindowSnapshot, perSlice: number, budgetMs: number): AsyncGenerator<string, void, undefined> {
  const { devices, ...rest } = snapshot;
  // The head ends with `"devices":[]}`: the devices go between its brackets.
  yield JSON.stringify({ ...rest, devices: [] }).slice(0, -2);
  const turn = new Turn(budgetMs);
  let slice: string[] = [];
  for (let i = 0; i < devices.length; i++) {
    slice.push(JSON.stringify(devices[i]));
    if (slice.length < perSlice && !turn.due() && i + 1 < devices.length) continue;
    yield `${i + 1 > slice.length ? ',' : ''}${slice.join(',')}`;
    slice = [];
    if (i + 1 < devices.length) await turn.next();
  }
  yield ']}';
}

const ID_WIDTH = 16;
const idOf = (id: number): string => String(id).padStart(ID_WIDTH, '0');
// Within one id: analysis parts `a/…` < engine parts `e/…` < meta `m`, so the newest key is a meta.
const partKey = (id: number, kind: 'a' | 'e', part: number): string => `${idOf(id)}/${kind}/${String(part).padStart(6, '0')}`;
const metaKey = (id: number): string => `${idOf(id)}/m`;

export class CheckpointStore {
  readonly #db: Db;
  readonly #sub: Sub;
  readonly #partBytes: number;
  readonly #committedSeq: (() => number) | undefined;
  #lastId: number | undefined;

  constructor(options: CheckpointStoreOptions) {
    this.#db = options.db;
    this.#sub = options.db.sublevel<string, Buffer>('checkpoint', { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    this.#partBytes = options.partBytes ?? 1 << 20;
    this.#committedSeq = options.committedSeq;
    if (!(Number.isSafeInteger(this.#partBytes) && this.#partBytes >= 1)) throw new TypeError('partBytes must be a positive integer');
  }

  /**
   * Store `checkpoint` in place of the previous one, atomically; resolves once it is on disk with
   * the bytes written. Rejects with ERR_STORE_WRITE if LevelDB fails (the previous one stays).
   */
  async save(checkpoint: Checkpoint): Promise<{ bytes: number }> {
    const committed = this.#committedSeq?.();
    const judged = checkpoint.judged ?? checkpoint.position;
    if (judged < checkpoint.position) throw new TypeError(`checkpoint judged ${judged} is before its position ${checkpoint.position}`);
    if (committed !== undefined && judged > committed) {
      throw new TypeError(`checkpoint position ${checkpoint.position} (judged ${judged}) is beyond the log's newest seq on disk (${committed}): await the log first`);
    }
    try {
      return await this.#save(checkpoint);
    } catch (err) {
      if (err instanceof TypeError) throw err;
      throw codedError('ERR_STORE_WRITE', [(err as Error).message], { cause: err });
    }
  }

  async #save(checkpoint: Checkpoint): Promise<{ bytes: number }> {
    const engine = await gzipSnapshot(checkpoint.engine);
    const previous = this.#lastId ?? (await this.#newestId());
    const id = (previous ?? -1) + 1;
    const sublevel = this.#sub;
    const ops: Array<{ type: 'put'; sublevel: Sub; key: string; value: Buffer } | { type: 'del'; sublevel: Sub; key: string }> = [];
    const engineParts = this.#split(engine, (part, bytes) => ops.push({ type: 'put', sublevel, key: partKey(id, 'e', part), value: bytes }));
    const analysisParts = checkpoint.analysis
      ? this.#split(Buffer.from(checkpoint.analysis), (part, bytes) => ops.push({ type: 'put', sublevel, key: partKey(id, 'a', part), value: bytes }))
      : null;
    const judged = checkpoint.judged !== undefined && checkpoint.judged > checkpoint.position ? { judged: checkpoint.judged } : {};
    const meta: Meta = { v: 1, id, position: checkpoint.position, ...judged, takenAt: checkpoint.takenAt, engineParts, analysisParts };
    ops.push({ type: 'put', sublevel, key: metaKey(id), value: Buffer.from(JSON.stringify(meta)) });
    for (const key of await this.#sub.keys({ lt: idOf(id) }).all()) ops.push({ type: 'del', sublevel, key });
    await this.#db.batch(ops, { sync: true });
    this.#lastId = id;
    const prefix = Buffer.byteLength(this.#sub.prefix);
    let bytes = 0;
    for (const op of ops) bytes += prefix + op.key.length + ('value' in op ? op.value.length : 0);
    return { bytes };
  }

  /** The newest checkpoint, or undefined when none was saved. Throws ERR_STORE_CORRUPT if it cannot be read. */
  async latest(): Promise<Checkpoint | undefined> {
    const id = await this.#newestId();
    if (id === undefined) return undefined;
    const raw = await this.#sub.get(metaKey(id));
    if (raw === undefined) throw codedError('ERR_STORE_CORRUPT', ['checkpoint', idOf(id), 'its meta record is missing']);
    try {
      const meta = JSON.parse(raw.toString('utf8')) as Meta;
      const engine = await gunzipAsync(await this.#join(id, 'e', meta.engineParts));
      const analysis = meta.analysisParts === null ? undefined : await this.#join(id, 'a', meta.analysisParts);
      return {
        position: meta.position,
        ...(meta.judged !== undefined ? { judged: meta.judged } : {}),
        takenAt: meta.takenAt,
        engine: JSON.parse(engine.toString('utf8')) as WindowSnapshot,
        ...(analysis ? { analysis } : {}),
      };
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_STORE_CORRUPT') throw err;
      throw codedError('ERR_STORE_CORRUPT', ['checkpoint', idOf(id), (err as Error).message], { cause: err });
    }
  }

  async #newestId(): Promise<number | undefined> {
    const [key] = await this.#sub.keys({ reverse: true, limit: 1 }).all();
    return key === undefined ? undefined : Number(key.slice(0, ID_WIDTH));
  }

  #split(bytes: Buffer, put: (part: number, bytes: Buffer) => void): number {
    let part = 0;
    for (let at = 0; at < bytes.length || part === 0; at += this.#partBytes) put(part++, bytes.subarray(at, at + this.#partBytes));
    return part;
  }

  async #join(id: number, kind: 'a' | 'e', parts: number): Promise<Buffer> {
    const keys = Array.from({ length: parts }, (_, i) => partKey(id, kind, i));
    const values = await this.#sub.getMany(keys);
    const missing = values.findIndex((v) => v === undefined);
    if (missing >= 0) throw codedError('ERR_STORE_CORRUPT', ['checkpoint', keys[missing], 'a part is missing']);
    return Buffer.concat(values as Buffer[]);
  }
}
