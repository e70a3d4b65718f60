// A SourceContext for testing a source on its own: what it emits and rejects is recorded.

import type { Clock } from '../../edge/clock/clock.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { TributaryError } from '../../edge/errors/catalogue.js';
import { silentLogger, type Logger } from '../../edge/observe/log.js';
import { Registry } from '../../edge/observe/metrics.js';
import type { RawMessage, SourceContext } from '../../edge/source/contract.js';

export interface RecordingContext {
  readonly ctx: SourceContext;
  readonly messages: RawMessage[];
  readonly rejected: Array<{ message: RawMessage; error: TributaryError }>;
  readonly registry: Registry;
  readonly clock: Clock;
}

/** A SourceContext whose emit() records into `messages` and reject() into `rejected`. */
export function recordingContext(clock: Clock = new FakeClock(), log: Logger = silentLogger()): RecordingContext {
  const messages: RawMessage[] = [];
  const rejected: Array<{ message: RawMessage; error: TributaryError }> = [];
  const registry = new Registry();
  const ctx: SourceContext = {
    clock,
    log,
    metrics: registry,
    emit: (m) => void messages.push(m),
    reject: (message, error) => void rejected.push({ message, error }),
  };
  return { ctx, messages, rejected, registry, clock };
}
