// The serial line source's metrics, labelled by port. A gateway has one registry and may have
// several serial ports, so each metric is made by the first port and shared by the rest.

import type { Counter, CounterChild, Gauge, Registry } from '../../observe/metrics.js';

/** Why a line was not emitted (a label value). */
export type SerialDropReason =
  /** Cut at maxLineBytes and dead-lettered. */
  | 'line_too_long'
  /** The port closed or failed mid-line; the partial line was dead-lettered. */
  | 'partial_line'
  /** The source was closed deliberately mid-line; the partial line was dropped, not dead-lettered. */
  | 'dropped_at_close';

export interface SerialMetrics {
  setConnected(connected: boolean): void;
  readonly reconnects: CounterChild;
  readonly lines: CounterChild;
  readonly bytes: CounterChild;
  readonly emptyLines: CounterChild;
  readonly dropped: Readonly<Record<SerialDropReason, CounterChild>>;
}

/** Resolve (registering on first use) the metrics of serial port `port`; hot-path children are kept. */
export function serialMetrics(registry: Registry, port: string): SerialMetrics {
  const p = 'tributary_serial';
  const connected = registry.sharedGauge(`${p}_connected`, 'Whether the serial port is open (1) or not (0): unplugged, absent or failing', ['port']);
  const rejected = registry.sharedCounter(`${p}_rejected_total`, 'Lines not emitted, by reason (line_too_long and partial_line are dead-lettered; dropped_at_close is not)', ['port', 'reason']);
  return {
    setConnected: (up) => connected.set(up ? 1 : 0, port),
    reconnects: registry.sharedCounter(`${p}_reconnects_total`, 'Attempts to reopen the port after it failed, was unplugged or was absent at start', ['port']).labels(port),
    lines: registry.sharedCounter(`${p}_lines_total`, 'Complete non-empty lines emitted', ['port']).labels(port),
    bytes: registry.sharedCounter(`${p}_bytes_total`, 'Bytes read from the port, terminators and rejected lines included', ['port']).labels(port),
    emptyLines: registry.sharedCounter(`${p}_empty_lines_total`, 'Empty lines skipped', ['port']).labels(port),
    dropped: {
      line_too_long: rejected.labels(port, 'line_too_long'),
      partial_line: rejected.labels(port, 'partial_line'),
      dropped_at_close: rejected.labels(port, 'dropped_at_close'),
    },
  };
}
