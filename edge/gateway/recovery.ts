// Start-up after a crash or a clean stop: restore the window engine from the latest checkpoint and
// replay the ingest log's tail past it, so every logged reading lands in exactly one window, once.
//
// Order matters: the engine's idle timer is held during the replay (a tick would see devices not
// yet replayed as silent and close their windows early), and started once the tail is in.

import { TributaryError } from '../errors/catalogue.js';
import type { Logger } from '../observe/log.js';
import type { Checkpoint, CheckpointStore } from '../store/checkpoint.js';
import type { IngestLog, LoggedReading } from '../store/ingest-log.js';
import type { WindowEngine, WindowEngineOptions } from '../window/contract.js';
import { createWindowEngine } from '../window/engine.js';

export interface RecoveryOptions {
  readonly log: IngestLog;
  readonly checkpoints: CheckpointStore;
  readonly engine: WindowEngineOptions;
  /** Route one replayed reading as the gateway routes a live one (default: into the engine). */
  readonly replay?: (engine: WindowEngine, entry: LoggedReading) => void;
  readonly logger?: Logger;
  /** Abort a long replay (e.g. on shutdown during start-up): recover() then rejects with an AbortError. */
  readonly signal?: AbortSignal;
  /** The checkpoint about to be restored (undefined for none), before the replay: restore other state from it here. */
  readonly onCheckpoint?: (checkpoint: Checkpoint | undefined) => void;
}

export interface Recovered {
  /** Running, its idle timer started. */
  readonly engine: WindowEngine;
  /** The checkpoint the engine was restored from; undefined when there was none or it was refused. */
  readonly checkpoint: Checkpoint | undefined;
  /** Why the checkpoint was set aside (ERR_CHECKPOINT_INCOMPATIBLE: the window config changed). */
  readonly refused?: TributaryError;
  readonly replayed: number;
  /** The newest log seq in the engine's state now (−1 for none): the next checkpoint's position. */
  readonly position: number;
}

/**
 * Restore and replay. Throws ERR_STORE_CORRUPT when the checkpoint cannot be read. A checkpoint of
 * another window configuration is set aside: the engine starts empty and the replay still starts
 * after its position, as the readings before it were already summarised under the old windows.
 */
export async function recover(options: RecoveryOptions): Promise<Recovered> {
  const { log, checkpoints } = options;
  const checkpoint = await checkpoints.latest();
  let engine: WindowEngine;
  let refused: TributaryError | undefined;
  try {
    engine = createWindowEngine(options.engine, { holdIdleTimer: true, ...(checkpoint ? { from: checkpoint.engine } : {}) });
  } catch (err) {
    if (!(err instanceof TributaryError && err.code === 'ERR_CHECKPOINT_INCOMPATIBLE')) throw err;
    refused = err;
    options.logger?.warn({ err }, 'checkpoint set aside: the window configuration changed; windows open at the last stop start empty');
    engine = createWindowEngine(options.engine, { holdIdleTimer: true });
  }
  options.onCheckpoint?.(refused ? undefined : checkpoint);
  const from = checkpoint ? checkpoint.position + 1 : 0;
  const feed = options.replay ?? ((e: WindowEngine, entry: LoggedReading) => e.add(entry.reading));
  let position = from - 1;
  let replayed = 0;
  try {
    for await (const entry of log.readFrom(from, options.signal ? { signal: options.signal } : {})) {
      feed(engine, entry);
      position = entry.seq;
      replayed++;
    }
  } catch (err) {
    engine.close();
    throw err;
  }
  engine.startIdleTimer();
  log.truncateBefore(from);
  options.logger?.info({ checkpoint: checkpoint?.position ?? null, replayed, position }, 'recovered window state from the checkpoint and the log');
  return { engine, checkpoint: refused ? undefined : checkpoint, ...(refused ? { refused } : {}), replayed, position };
}
