// Messages between the ingest benchmark and its child processes (over Node's IPC channel).

export type ToServer = { cmd: 'count' } | { cmd: 'arrivals' } | { cmd: 'stop' };
export type FromServer =
  | { type: 'ready'; port: number }
  | { type: 'count'; count: number; rssMB: number }
  | { type: 'arrivals'; arrivals: Array<[string, number]> };

export interface PublisherArgs {
  readonly port: number;
  readonly publisher: number;
  readonly connections: number;
  /** `flood`: as fast as backpressure allows. `paced`: `ratePerSec` messages a second. */
  readonly mode: 'flood' | 'paced';
  readonly ratePerSec: number;
  readonly durationMs: number;
}

export type FromPublisher = { type: 'connected' } | { type: 'done'; sent: number; sends: Array<[string, number]> };
export type ToPublisher = { cmd: 'go' } | { cmd: 'stop' };
