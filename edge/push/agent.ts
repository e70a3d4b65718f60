// The gateway's end of config and model push: takes what arrives on its `config` and `model` down
// topics, checks it completely while the running config and models go on working, applies it
// without a restart, keeps it for the next start, and says what it runs — or why it refused a
// push, with the error's code and message — in every status report.
//
// A pushed config is a JSON Merge Patch (RFC 7396) over the gateway's config file. The merged
// config is validated by the config loader (every problem at once) and must leave every key but
// the live ones (live-keys.ts) as the file has them. A pushed model is loaded from its bytes, which
// checks its manifest, its graph and a trial run, and must be made for one of the gateway's
// windows. Anything that fails never replaces what runs. Pushes are handled one at a time.
//
// At start-up the applied config push is merged over the config file again and the pushed models
// loaded again; what no longer fits (the file changed under it) is set aside and reported as
// refused, and the gateway runs its file for that part.

import { createHash } from 'node:crypto';
import { validateConfig } from '../config/load.js';
import type { EdgeConfig } from '../config/schema.js';
import type { Clock } from '../clock/clock.js';
import { codedError, TributaryError } from '../errors/catalogue.js';
import type { ScoringModel } from '../model/contract.js';
import type { ModelSet, PreparedModels } from '../model/model-set.js';
import { loadModelFromBytes } from '../model/onnx-model.js';
import type { Logger } from '../observe/log.js';
import type { Registry } from '../observe/metrics.js';
import type { DownKind } from '../uplink/client.js';
import { decodePush, MAX_REFUSAL_MESSAGE, type AppliedReport, type ConfigPush, type ModelPush, type PushKind, type Refusal } from '../uplink/push-protocol.js';
import { LIVE_KEYS, restartPaths } from './live-keys.js';
import { mergePatch } from './merge-patch.js';
import { parseOverlay } from './overlay.js';
import { pushMetrics, type PushMetrics } from './metrics.js';
import { emptyPushState, type PushState, type PushStore } from './push-store.js';

/** Swaps a config's live keys and a model list in, between two batches of the analysis stage. */
export type LiveSwap = () => Promise<void>;

export interface PushAgentOptions {
  /** The config file as loaded: pushed documents merge over it. */
  readonly file: Readonly<EdgeConfig>;
  readonly store: PushStore;
  readonly models: ModelSet;
  /** Build (and so check) everything `config` and `models` need; the swap it returns cannot fail. Throws on a config the analysis cannot run. */
  readonly prepare: (config: Readonly<EdgeConfig>, models: readonly ScoringModel[]) => LiveSwap;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
}

/** Where a refusal is filed: one per config, one per model name. */
const slotOf = (r: { kind: PushKind; name?: string | undefined }): string => (r.kind === 'config' ? 'config' : `model:${r.name ?? ''}`);
/** Refusals kept at most (one per slot; a cloud pushing ever new model names cannot grow it without bound). */
const MAX_REFUSALS = 64;

export class PushAgent {
  readonly #o: PushAgentOptions;
  readonly #m: PushMetrics;
  #state: PushState = emptyPushState();
  #running: Readonly<EdgeConfig>;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;
  /** Called after every push handled (the uplink sends a status report). */
  onHandled: (() => void) | undefined;

  constructor(options: PushAgentOptions) {
    this.#o = options;
    this.#running = options.file;
    this.#m = pushMetrics(options.metrics);
  }

  /** The config the gateway runs: the file, with the applied config push merged over it. */
  get config(): Readonly<EdgeConfig> {
    return this.#running;
  }

  /**
   * At start-up, before the analysis stage is built: the saved state, and the config to run. A
   * saved config push that no longer fits over the file is set aside (refused) and the file runs.
   */
  async start(): Promise<Readonly<EdgeConfig>> {
    const { state, damaged } = await this.#o.store.load();
    if (damaged !== undefined) this.#o.log.warn({ problem: damaged }, 'push: the saved push state cannot be read; running the config file alone');
    this.#state = state;
    const saved = state.config;
    if (saved) {
      try {
        this.#running = this.#merge(saved.document, saved.format, saved.version);
      } catch (err) {
        this.#running = this.#o.file;
        const { config: _gone, ...rest } = this.#state;
        this.#state = this.#withRefusal(rest, { kind: 'config', id: saved.id, version: saved.version }, err, 'at start-up, over the config file as it is now: ');
        await this.#saveQuietly();
      }
    }
    return this.#running;
  }

  /**
   * At start-up: the models the running config names (a failure stops the gateway, as always),
   * then the pushed ones (one that no longer loads is set aside, refused, and the configured model
   * of its name, if any, runs instead). Returns the models to score with.
   */
  async loadModels(): Promise<readonly ScoringModel[]> {
    const models = this.#o.models;
    (await models.withFiles(this.#running.models.map((m) => m.path))).commit();
    let changed = false;
    for (const saved of Object.values(this.#state.models)) {
      try {
        const bytes = await this.#o.store.modelBytes(saved.sha256);
        if (bytes === undefined) throw codedError('ERR_STORE_CORRUPT', ['pushed model', `${saved.name}@${saved.version}`, 'its ONNX bytes are missing']);
        const model = await this.#checkWindowOrClose(await loadModelFromBytes(bytes, saved.manifest), saved.name, saved.version);
        models.withPushed(saved.id, model).commit();
      } catch (err) {
        const { [saved.name]: _gone, ...rest } = this.#state.models;
        this.#state = this.#withRefusal({ ...this.#state, models: rest }, { kind: 'model', id: saved.id, version: saved.version, name: saved.name }, err, 'at start-up: ');
        changed = true;
      }
    }
    if (changed) await this.#saveQuietly();
    return models.entries.map((e) => e.model);
  }

  /** What the gateway runs, for its status reports. */
  applied(): AppliedReport {
    const c = this.#state.config;
    return {
      config: c ? { id: c.id, version: c.version, at: c.appliedAt } : { id: null, version: null, at: null },
      models: this.#o.models.entries.map((e) => ({ name: e.model.manifest.name, version: e.model.manifest.version, id: e.source.kind === 'push' ? e.source.id : null })),
      refused: [...this.#state.refused],
    };
  }

  /** The uplink's down-topic hook: queue a push; it is handled after those before it. */
  receive(kind: DownKind, payload: Buffer, topic: string): void {
    if (this.#closed) return; // the cloud sends it again once a status report shows it not applied
    this.#m.received(kind).inc();
    this.#chain = this.#chain
      .then(() => this.#handle(kind, payload, topic))
      .catch((err: unknown) => this.#o.log.error({ err, topic }, 'push: handling failed'))
      .finally(() => this.onHandled?.());
  }

  /** Resolves once every push received so far has been applied or refused. */
  settled(): Promise<void> {
    return this.#chain;
  }

  /** Take no more pushes; resolves once the one under way is done (the gateway closes after). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#chain;
  }

  async #handle(kind: DownKind, payload: Buffer, topic: string): Promise<void> {
    const decoded = decodePush(topic, payload);
    if (!decoded.ok) {
      this.#m.refused(kind, decoded.error.code).inc();
      this.#o.log.warn({ code: decoded.error.code, err: decoded.error.message, topic }, 'push refused: the message cannot be read');
      // Without an id there is nothing to report it against; the cloud's own encoder never sends such a thing.
      if (decoded.id !== undefined) await this.#refuse({ kind, id: decoded.id, version: null }, decoded.error);
      return;
    }
    const push = decoded.push;
    const held = push.kind === 'config' ? this.#state.config : this.#state.models[push.name];
    if (held?.id === push.id) return; // delivered again: already applied
    if (held !== undefined && push.pushedAt < held.pushedAt) {
      this.#o.log.info({ kind, id: push.id, version: push.version }, 'push ignored: older than the one applied');
      return;
    }
    try {
      if (push.kind === 'config') await this.#applyConfig(push);
      else await this.#applyModel(push);
      this.#m.applied(kind).inc();
      this.#o.log.info({ kind, id: push.id, version: push.version, ...(push.kind === 'model' ? { model: push.name } : {}), pushedBy: push.pushedBy }, 'push applied');
    } catch (err) {
      const coded = asCoded(err, push.id);
      this.#m.refused(kind, coded.code).inc();
      this.#o.log.warn({ kind, id: push.id, version: push.version, code: coded.code, err: coded.message }, 'push refused; the gateway keeps running what it ran');
      await this.#refuse({ kind, id: push.id, version: push.version, ...(push.kind === 'model' ? { name: push.name } : {}) }, coded);
    }
  }

  async #applyConfig(push: ConfigPush): Promise<void> {
    const config = this.#merge(push.document, push.format, push.version);
    const prepared = await this.#o.models.withFiles(config.models.map((m) => m.path));
    const { id, version, target, pushedBy, pushedAt, format, document } = push;
    const next: PushState = { ...this.#state, config: { id, version, target, pushedBy, pushedAt, format, document, appliedAt: this.#o.clock.now() } };
    await this.#commit(config, prepared, this.#cleared(next, 'config'));
  }

  async #applyModel(push: ModelPush): Promise<void> {
    const bytes = Buffer.from(push.onnx, 'base64');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== push.sha256) throw codedError('ERR_PUSH_INVALID', [push.id, `the ONNX bytes have SHA-256 ${sha256}, the push says ${push.sha256}: damaged in transfer`]);
    const named = (push.manifest as { name?: unknown }).name;
    if (named !== push.name) throw codedError('ERR_PUSH_INVALID', [push.id, `the manifest names model ${JSON.stringify(named)}, the push ${push.name}`]);
    const model = await this.#checkWindowOrClose(await loadModelFromBytes(bytes, push.manifest), push.name, push.version);
    if (model.manifest.version !== push.version) {
      await model.close();
      throw codedError('ERR_PUSH_INVALID', [push.id, `the manifest says version ${model.manifest.version}, the push ${push.version}`]);
    }
    const prepared = this.#o.models.withPushed(push.id, model);
    const { id, name, version, target, pushedBy, pushedAt, manifest } = push;
    const next: PushState = { ...this.#state, models: { ...this.#state.models, [name]: { id, name, version, target, pushedBy, pushedAt, sha256, manifest, appliedAt: this.#o.clock.now() } } };
    await this.#commit(this.#running, prepared, this.#cleared(next, `model:${name}`), new Map([[sha256, bytes]]));
  }

  /** Check, save, swap, then close what nothing uses. Until the save, a failure leaves everything as it was. */
  async #commit(config: Readonly<EdgeConfig>, prepared: PreparedModels, next: PushState, bytes?: ReadonlyMap<string, Uint8Array>): Promise<void> {
    let swap: LiveSwap;
    try {
      swap = this.#o.prepare(config, prepared.models);
      await this.#o.store.save(next, bytes);
    } catch (err) {
      await prepared.discard();
      throw err;
    }
    await swap();
    this.#state = next;
    this.#running = config;
    await Promise.allSettled(prepared.commit().map((m) => m.close()));
  }

  /** The file with a pushed document merged over it, validated; throws the coded reason it cannot run live. */
  #merge(document: string, format: 'yaml' | 'json', version: string): Readonly<EdgeConfig> {
    const config = validateConfig(mergePatch(this.#o.file, parseOverlay(document, format, version)));
    const paths = restartPaths(this.#o.file, config);
    if (paths.length > 0) throw codedError('ERR_PUSH_NEEDS_RESTART', [paths.join(', '), LIVE_KEYS.join(', ')]);
    return config;
  }

  async #checkWindowOrClose(model: ScoringModel, name: string, version: string): Promise<ScoringModel> {
    try {
      this.#o.models.checkWindow(model, `pushed model ${name}@${version}`);
      return model;
    } catch (err) {
      await model.close();
      throw err;
    }
  }

  async #refuse(slot: { kind: PushKind; id: string; version: string | null; name?: string }, err: unknown): Promise<void> {
    this.#state = this.#withRefusal(this.#state, slot, err);
    await this.#saveQuietly();
  }

  #withRefusal(state: PushState, slot: { kind: PushKind; id: string; version: string | null; name?: string }, err: unknown, prefix = ''): PushState {
    const coded = asCoded(err, slot.id);
    if (prefix) this.#o.log.warn({ kind: slot.kind, id: slot.id, code: coded.code, err: coded.message }, `push set aside ${prefix}the gateway runs its config file for it`);
    const refusal: Refusal = { ...slot, code: coded.code, message: (prefix + coded.message).slice(0, MAX_REFUSAL_MESSAGE), at: this.#o.clock.now() };
    const others = state.refused.filter((r) => slotOf(r) !== slotOf(slot));
    return { ...state, refused: [...others, refusal].slice(-MAX_REFUSALS) };
  }

  /** A push applied to a slot clears that slot's refusal. */
  #cleared(state: PushState, slot: string): PushState {
    return { ...state, refused: state.refused.filter((r) => slotOf(r) !== slot) };
  }

  /** Refusals are kept on a best-effort basis: failing to save one must not stop the gateway. */
  async #saveQuietly(): Promise<void> {
    try {
      await this.#o.store.save(this.#state);
    } catch (err) {
      this.#o.log.error({ err }, 'push: cannot save the push state; the next start may report less');
    }
  }
}

/** A thrown value as a coded error: an uncoded one (the analysis refusing what the loader let through) is reported with its message. */
function asCoded(err: unknown, id: string): TributaryError {
  if (err instanceof TributaryError) return err;
  return codedError('ERR_PUSH_INVALID', [id, (err as Error)?.message ?? String(err)], { cause: err });
}
