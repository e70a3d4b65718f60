// The reading: one device's measurements at one instant, as every source delivers it to the windows.

export interface Reading {
  /** Device id, validated against DEVICE_ID_PATTERN. */
  readonly device: string;
  /** Event time in whole milliseconds since the Unix epoch. */
  readonly ts: number;
  /** True when the payload carried no timestamp and `ts` is the arrival time. */
  readonly tsFromArrival: boolean;
  /** Gateway clock (ms since the epoch) when the bytes arrived. */
  readonly receivedAt: number;
  /** Metric name → finite value. At least one entry. */
  readonly values: Readonly<Record<string, number>>;
}

/** A device id: 1-64 characters, letters, digits, `_`, `.`, `-`, starting with a letter or digit. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A metric name: 1-64 characters, letters, digits, `_`, `.`, `-`, `:`. */
export const METRIC_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;
