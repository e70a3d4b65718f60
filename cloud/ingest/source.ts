// What brings gateways' messages to the ingest: the embedded broker or a client of an existing
// one. Both hand each message to UplinkIngest.handle() and hold their transport ack (the PUBACK)
// until it settles, and both publish the acknowledgements on the transport the message came by.
//
// Lifecycle (edge/lifecycle/resource.ts): open() starts listening or connects; close() stops taking
// messages, waits for those in flight to settle, then lets go of the transport.
//
// A source also carries what the cloud sends gateways of its own accord (config and model pushes,
// cloud/push/): publish() on the same transport.

import type { Status } from '../../edge/lifecycle/resource.js';

export interface IngestSourceHealth {
  readonly ok: boolean;
  readonly kind: 'broker' | 'client';
  /** Listening ports (broker), or connections up (client). */
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface IngestSource extends AsyncDisposable {
  readonly name: string;
  readonly status: Status;
  open(): Promise<void>;
  close(): Promise<void>;
  health(): IngestSourceHealth;
  /** One line for the start-up message: where gateways connect, or what this worker consumes. */
  describe(): string;
  /** Publish to a gateway's topic; resolves once the broker has it (QoS 1). Rejects when the transport is down. */
  publish(topic: string, payload: Buffer, options: { qos: 1; retain: boolean }): Promise<void>;
}
