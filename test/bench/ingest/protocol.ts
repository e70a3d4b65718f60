// Messages between the ingest benchmark and its child processes (over Node's IPC channel).

export type ToServer = { cmd: 'count' } | { cmd: 'arrivals' } | { cmd: 'stop' };
export type FromServer =
  | { type: 'ready'; port: number }
  | { type: 'count'; count: number; rssMB: number; /** Bytes this process caused to be written to storage (Linux /proc/self/io), and bytes the gateway handed to its ingest log. */ writeBytes?: number; logBytes?: number }
  | { type: 'arrivals'; arrivals: Array<[string, number]> };

export interface PublisherArgs {
  readonly port: number;
  readonly publisher: number;
  readonly connections: number;
  /** `flood`: as fast as backpressure allows. `paced`: `ratePerSec` messages a second. */
  readonly mode: 'flood' | 'paced';
  readonly ratePerSec: number;
  readonly durationMs: number;
  /** QoS of the publishes (default 0). At 1 each connection keeps at most `inflight` unacknowledged (default 10). */
  readonly qos?: 0 | 1;
  readonly inflight?: number;
}

export type FromPublisher = { type: 'connected' } | { type: 'done'; sent: number; sends: Array<[string, number]> };
export type ToPublisher = { cmd: 'go' } | { cmd: 'stop' };
