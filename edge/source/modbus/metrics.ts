// The Modbus master's metrics. Every port shares one set of series, labelled by port, so they are
// fetched from the registry when an earlier port already registered them (get-or-create).

import type { Counter, CounterChild, Gauge, Registry } from '../../observe/metrics.js';

/** Why a request failed (a label value). */
export type ModbusErrorKind = 'timeout' | 'crc' | 'exception' | 'io';

export interface ModbusMetrics {
  /** Poll cycles started (one per pollIntervalMs while the port is open). */
  readonly polls: CounterChild;
  /** Request frames sent, retries included. */
  readonly requests: CounterChild;
  errors(unitId: number, kind: ModbusErrorKind): CounterChild;
  setConnected(connected: boolean): void;
}

export function modbusMetrics(registry: Registry, port: string): ModbusMetrics {
  const p = 'tributary_modbus';
  const polls = registry.sharedCounter(`${p}_polls_total`, 'Poll cycles started, by serial port', ['port']);
  const requests = registry.sharedCounter(`${p}_requests_total`, 'Modbus RTU read requests sent (retries included), by serial port', ['port']);
  const errors = registry.sharedCounter(`${p}_errors_total`, 'Failed Modbus requests by serial port, unit id and kind (timeout, crc, exception, io)', ['port', 'unit', 'kind']);
  const connected = registry.sharedGauge(`${p}_connected`, 'Whether the serial port is open (1) or being retried (0), by port', ['port']);
  connected.set(0, port);
  return {
    polls: polls.labels(port),
    requests: requests.labels(port),
    errors: (unitId, kind) => errors.labels(port, String(unitId), kind),
    setConnected: (up) => connected.set(up ? 1 : 0, port),
  };
}
