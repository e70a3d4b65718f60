// An outbox on a real LevelDB in a temp dir, with its own batch writer, for outbox and uplink tests
// and benchmarks; `reopen()` closes everything and opens the same directory again (a restart).

import type { Clock } from '../../edge/clock/clock.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { silentLogger, type Logger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import { Outbox, type OutboxOptions } from '../../edge/outbox/outbox.js';
import { BatchWriter } from '../../edge/store/batch-writer.js';
import { openDb, type Db } from '../../edge/store/db.js';

export type TestOutboxOptions = Partial<Omit<OutboxOptions, 'db' | 'writer' | 'clock' | 'log' | 'metrics'>> & { clock?: Clock; log?: Logger; flushIntervalMs?: number };

export interface TestOutbox extends AsyncDisposable {
  readonly outbox: Outbox;
  readonly db: Db;
  readonly writer: BatchWriter;
  readonly metrics: Registry;
  readonly clock: Clock;
  /** Close the outbox, writer and database, and open them again on the same directory. */
  reopen(overrides?: TestOutboxOptions): Promise<TestOutbox>;
  close(): Promise<void>;
}

export async function openTestOutbox(dir: string, options: TestOutboxOptions = {}): Promise<TestOutbox> {
  const clock = options.clock ?? new FakeClock();
  const log = options.log ?? silentLogger();
  const db = await openDb(dir);
  const metrics = new Registry();
  const writer = new BatchWriter({ db, clock, log, flushIntervalMs: options.flushIntervalMs ?? 20, writeErrors: metrics.counter('tributary_store_write_errors_total', 'LevelDB batch failures') });
  const { clock: _c, log: _l, flushIntervalMs: _f, ...rest } = options;
  const outbox = new Outbox({ db, writer, clock, log, metrics, maxBytes: 64 << 20, ...rest });
  await outbox.open();
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await outbox.close();
      await writer.close();
      await db.close();
    })());
  return {
    outbox, db, writer, metrics, clock, close,
    reopen: async (overrides = {}) => {
      await close();
      return openTestOutbox(dir, { ...options, clock, ...overrides });
    },
    [Symbol.asyncDispose]: close,
  };
}
