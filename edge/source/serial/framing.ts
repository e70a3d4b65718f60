// How a serial port's configured framing is told to the decoder: every line from the port carries
// the same Framing object, built once here, so the decoder needs no access to the serial config.

import type { SerialPortConfig } from '../../config/schema.js';
import type { Framing } from '../contract.js';

/** The Framing attached to every line read from this port. Frozen: it is shared by all messages. */
export function lineFraming(config: SerialPortConfig): Framing {
  switch (config.framing) {
    case 'ndjson':
      return Object.freeze({ kind: 'ndjson', deviceField: config.deviceField });
    case 'kv':
      return Object.freeze({ kind: 'kv', deviceField: config.deviceField });
    case 'csv':
      // The config loader refuses csv without columns; reaching here without them is a caller's bug.
      if (!config.columns) throw new TypeError(`serial port ${config.path}: csv framing needs columns`);
      return Object.freeze({ kind: 'csv', columns: Object.freeze([...config.columns]), delimiter: config.delimiter, deviceField: config.deviceField });
  }
}
