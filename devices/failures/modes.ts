// The failure modes a scenario can inject: their names, which kinds of device each applies to,
// and what `severity` means for each. The scenario schema and the implementations both read this.

import { DEVICE_KINDS, type DeviceKind } from '../signals/contract.js';

export interface ModeInfo {
  /** Whether it changes what the sensor measures (signal) or what the device sends (delivery). */
  readonly acts: 'signal' | 'delivery';
  /** Device kinds it can apply to. */
  readonly kinds: readonly DeviceKind[];
  /** What it does, and what severity (default 1) scales. Shown in `--help` and validation errors. */
  readonly doc: string;
}

export const FAILURE_MODES = {
  'bearing-wear': {
    acts: 'signal',
    kinds: ['motor'],
    doc: 'vib_rms rises to (1 + 3·severity)× and bearing_temp by 25·severity °C, accelerating (∝ progress²) over the window',
  },
  overheating: {
    acts: 'signal',
    kinds: ['motor', 'environment'],
    doc: 'the temperature metric climbs towards +30·severity °C (time constant a fifth of the window); a motor also draws 10·severity % more current',
  },
  'stuck-sensor': { acts: 'signal', kinds: DEVICE_KINDS, doc: 'every metric repeats the value it had when the window opened' },
  spikes: { acts: 'signal', kinds: DEVICE_KINDS, doc: 'each reading has a 5·severity % chance of one metric jumping 6-10 typical spreads' },
  'noise-burst': { acts: 'signal', kinds: DEVICE_KINDS, doc: 'gaussian noise of 3·severity typical spreads is added to every metric' },
  dropout: { acts: 'delivery', kinds: DEVICE_KINDS, doc: 'the device sends nothing (severity is ignored)' },
  'clock-skew': { acts: 'delivery', kinds: DEVICE_KINDS, doc: 'timestamps are shifted by skewMs (default +30000 ms; negative is behind); severity is ignored' },
  'out-of-order-burst': {
    acts: 'delivery',
    kinds: DEVICE_KINDS,
    doc: 'readings are held in bursts of max(2, round(5·severity)) and sent shuffled, each keeping its own timestamp',
  },
  duplicates: { acts: 'delivery', kinds: DEVICE_KINDS, doc: 'each reading has a min(100, 25·severity) % chance of being sent twice' },
  'malformed-payloads': {
    acts: 'delivery',
    kinds: DEVICE_KINDS,
    doc: 'each reading has a min(100, 25·severity) % chance of being replaced by bytes the gateway must refuse (bad JSON, NaN, a string value, a bad timestamp, no metrics, invalid UTF-8)',
  },
} as const satisfies Record<string, ModeInfo>;

export type FailureMode = keyof typeof FAILURE_MODES;

export const FAILURE_MODE_NAMES = Object.keys(FAILURE_MODES) as FailureMode[];

/** Default shift for clock-skew (ms): inside the gateway's default decode.maxClockSkewMs of 60 s. */
export const DEFAULT_SKEW_MS = 30_000;
