// What the gateway has applied from the cloud, kept in its LevelDB so a restart runs it again: the
// applied config push (its document, merged over the config file at start-up), the pushed models
// (their ONNX bytes and manifests) and the last refusal per slot (so the cloud keeps seeing why a
// push was refused). One record and the model bytes, written in one synced batch: a crash leaves
// the state before a push or after it, never half of it.

import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { AbstractSublevel } from 'abstract-level';
import { codedError } from '../errors/catalogue.js';
import type { Db } from '../store/db.js';
import { RefusalSchema } from '../uplink/push-schemas.js';

const Common = {
  id: Type.String(),
  version: Type.String(),
  target: Type.String(),
  pushedBy: Type.String(),
  pushedAt: Type.Number(),
  /** Gateway clock when it was applied. */
  appliedAt: Type.Number(),
};

const ConfigRecordSchema = Type.Object({ ...Common, format: Type.Union([Type.Literal('yaml'), Type.Literal('json')]), document: Type.String() });
const ModelRecordSchema = Type.Object({ ...Common, name: Type.String(), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }), manifest: Type.Object({}) });

const PushStateSchema = Type.Object({
  v: Type.Literal(1),
  config: Type.Optional(ConfigRecordSchema),
  models: Type.Record(Type.String(), ModelRecordSchema),
  refused: Type.Array(RefusalSchema),
});

export type PushedConfig = Static<typeof ConfigRecordSchema>;
export type PushedModel = Static<typeof ModelRecordSchema>;
export type PushState = Static<typeof PushStateSchema>;

export const emptyPushState = (): PushState => ({ v: 1, models: {}, refused: [] });

type Sub = AbstractSublevel<Db, string | Buffer | Uint8Array, string, Buffer>;
type Op = { type: 'put'; sublevel: Sub; key: string; value: Buffer } | { type: 'del'; sublevel: Sub; key: string };

const STATE = 'state';
const modelKey = (sha256: string): string => `model/${sha256}`;

export class PushStore {
  readonly #db: Db;
  readonly #sub: Sub;

  constructor(db: Db) {
    this.#db = db;
    this.#sub = db.sublevel<string, Buffer>('push', { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  }

  /** The state as last saved; empty on a first start. A damaged record is set aside (the gateway runs its file) and reported. Throws ERR_STORE_READ. */
  async load(): Promise<{ state: PushState; damaged?: string }> {
    const raw = await this.#read(STATE);
    if (raw === undefined) return { state: emptyPushState() };
    try {
      const value: unknown = JSON.parse(raw.toString('utf8'));
      if (Value.Check(PushStateSchema, value)) return { state: value };
      return { state: emptyPushState(), damaged: Value.Errors(PushStateSchema, value).First()?.message ?? 'unexpected shape' };
    } catch (err) {
      return { state: emptyPushState(), damaged: (err as Error).message };
    }
  }

  /** The ONNX bytes of a pushed model, or undefined when they are missing. Throws ERR_STORE_READ. */
  modelBytes(sha256: string): Promise<Buffer | undefined> {
    return this.#read(modelKey(sha256));
  }

  async #read(key: string): Promise<Buffer | undefined> {
    try {
      return await this.#sub.get(key);
    } catch (err) {
      throw codedError('ERR_STORE_READ', [(err as Error).message], { cause: err });
    }
  }

  /**
   * Save `state`, with the bytes of models it newly names (`add`, by sha256); bytes no model of the
   * state names any more are deleted. Synced before it resolves. Throws ERR_STORE_WRITE.
   */
  async save(state: PushState, add: ReadonlyMap<string, Uint8Array> = new Map()): Promise<void> {
    const sublevel = this.#sub;
    const wanted = new Set(Object.values(state.models).map((m) => m.sha256));
    const ops: Op[] = [{ type: 'put', sublevel, key: STATE, value: Buffer.from(JSON.stringify(state)) }];
    for (const [sha, bytes] of add) if (wanted.has(sha)) ops.push({ type: 'put', sublevel, key: modelKey(sha), value: Buffer.from(bytes) });
    try {
      for (const key of await sublevel.keys({ gte: modelKey(''), lt: modelKey('~') }).all()) {
        if (!wanted.has(key.slice(modelKey('').length))) ops.push({ type: 'del', sublevel, key });
      }
      await this.#db.batch(ops, { sync: true });
    } catch (err) {
      throw codedError('ERR_STORE_WRITE', [(err as Error).message], { cause: err });
    }
  }
}
