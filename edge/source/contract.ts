// The source contract: anything that brings raw reading bytes into the gateway.
//
// Lifecycle: open() binds sockets or ports and starts delivering messages to `emit`
// (run); pause()/resume() stop and restart the flow when the pipeline falls behind (drain);
// close() stops delivery, releases every socket, port and timer, and is idempotent.

import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import type { Status } from '../lifecycle/resource.js';
import type { Registry } from '../observe/metrics.js';

/** Bytes as they arrived, before decoding. */
export interface RawMessage {
  /** The source's name, e.g. `mqtt-broker`. */
  readonly source: string;
  /** MQTT topic (e.g. `sensors/pump-7`), or a source-specific address such as a serial port path. */
  readonly topic: string;
  /** The device id when the transport itself established it (e.g. a serial port bound to one device). */
  readonly device?: string;
  readonly payload: Buffer;
  /** Gateway clock (ms since the epoch) at arrival. */
  readonly receivedAt: number;
}

export interface SourceContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /** Hand one message to the pipeline. Never throws; bad input is dead-lettered downstream. */
  emit(message: RawMessage): void;
}

export interface Source extends AsyncDisposable {
  readonly name: string;
  readonly status: Status;
  open(): Promise<void>;
  /** Stop reading from the transport (sockets/streams paused), keeping connections. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}
