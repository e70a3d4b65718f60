// The source contract: anything that brings raw reading bytes into the gateway.
//
// Lifecycle: open() binds sockets or ports and starts delivering messages to `emit`
// (run); pause()/resume() stop and restart the flow when the pipeline falls behind (drain);
// close() stops delivery, releases every socket, port and timer, and is idempotent.

import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import type { Status } from '../lifecycle/resource.js';
import type { Registry } from '../observe/metrics.js';
import type { TributaryError } from '../errors/catalogue.js';

/**
 * How the bytes of one message are laid out. `auto` (the default, MQTT): a JSON object or the
 * text form `<ts>,metric=value,...`. The line framings are for serial ports.
 */
export type Framing =
  | { readonly kind: 'auto' }
  /** One JSON object per line; the device id may come from `deviceField`. */
  | { readonly kind: 'ndjson'; readonly deviceField: string }
  /** Delimited values mapped to names by `columns`; `ts` and `deviceField` columns are special, `-` skips a column. */
  | { readonly kind: 'csv'; readonly columns: readonly string[]; readonly delimiter: string; readonly deviceField: string }
  /** `key=value` pairs separated by spaces, commas or semicolons; `ts` and `deviceField` keys are special. */
  | { readonly kind: 'kv'; readonly deviceField: string };

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
  /** Layout of `payload`; absent means `auto`. */
  readonly framing?: Framing;
}

export interface SourceContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Registry;
  /** Hand one message to the pipeline. Never throws; bad input is dead-lettered downstream. */
  emit(message: RawMessage): void;
  /**
   * Hand one message to the pipeline and resolve once it may be acknowledged: its reading is in
   * the ingest log on disk, or it was refused and dead-lettered. Rejects when the gateway cannot
   * take it now (e.g. ERR_STORE_LOG_FULL); the source then refuses the message (an MQTT client is
   * disconnected without a PUBACK and sends it again). Absent when the gateway keeps no durable log.
   */
  emitDurable?(message: RawMessage): Promise<void>;
  /**
   * Bytes the source itself could not make into a message (a line over the length bound, a
   * partial line cut off by a disconnect): kept in the dead-letter store with the coded error.
   */
  reject(message: RawMessage, error: TributaryError): void;
}

/** A source's own view of its health, shown under its name in /healthz. */
export interface SourceHealth {
  /** False while the source cannot receive (e.g. its serial port is unplugged). */
  readonly ok: boolean;
  readonly [detail: string]: unknown;
}

export interface Source extends AsyncDisposable {
  readonly name: string;
  readonly status: Status;
  open(): Promise<void>;
  /** Stop reading from the transport (sockets/streams paused), keeping connections. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
  /** Optional detail for /healthz; without it the source is healthy while `status` is `open`. */
  health?(): SourceHealth;
}
