// The transport contract: how a simulated device's messages leave the process, over a real
// protocol (MQTT over TCP, lines on a pseudo-terminal), never into the gateway's internals.
//
// Lifecycle: open() connects every device (resolves once all can send, rejects with a coded
// error otherwise); the fleet then sends through each device's endpoint while it is writable;
// close() finishes what is in flight where it can and releases every socket, port and timer.
// close() is idempotent.

import type { Status } from '../../edge/lifecycle/resource.js';
import type { DeviceMessage } from '../message.js';

/** Called once per message: without an error when it was handed to the socket (or acknowledged, QoS 1). */
export type Delivered = (err?: Error) => void;

/** One device's way out. */
export interface Endpoint {
  /**
   * False while this device cannot take another message (its socket buffer is full, its
   * in-flight limit is reached, it is reconnecting). The fleet then generates nothing for it,
   * so nothing queues in memory: backpressure reaches the simulated device itself.
   */
  readonly writable: boolean;
  send(message: DeviceMessage, delivered: Delivered): void;
}

export interface TransportHealth {
  readonly devices: number;
  /** Devices that can send right now. */
  readonly connected: number;
  /** Connection losses and failed connects since open. */
  readonly errors: number;
}

export interface Transport extends AsyncDisposable {
  readonly name: string;
  readonly status: Status;
  open(): Promise<void>;
  close(): Promise<void>;
  /** The endpoint of one of this transport's devices (TypeError for any other). */
  endpoint(device: string): Endpoint;
  health(): TransportHealth;
  /** What an operator needs to point the gateway at this transport (e.g. a pty path), one line each. */
  describe(): string[];
}
