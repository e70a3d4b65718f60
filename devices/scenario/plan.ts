// From a validated scenario to the concrete fleet: every device with its id, seed and the
// failure windows that hit it, on the absolute simulated time axis (ms since the epoch).

import { childSeed } from '../signals/random.js';
import { DEFAULT_SKEW_MS, type FailureMode } from '../failures/modes.js';
import type { GroupConfig, Scenario } from './schema.js';

/** One failure as it hits one device. Active for start ≤ t < end (simulated ms since the epoch). */
export interface FailureWindow {
  readonly device: string;
  readonly mode: FailureMode;
  readonly start: number;
  readonly end: number;
  readonly severity: number;
  /** clock-skew: shift of the timestamps (ms). */
  readonly skewMs: number;
  /** Seed for this failure's own random choices on this device. */
  readonly seed: number;
}

export interface DeviceSpec {
  readonly id: string;
  readonly group: GroupConfig;
  readonly groupName: string;
  /** 0-based position in the group. */
  readonly index: number;
  readonly seed: number;
  /** Failure windows on this device, in scenario order (which is the order they are applied). */
  readonly failures: readonly FailureWindow[];
}

export interface FleetPlan {
  /** Simulated time at the start of the run (ms since the epoch). */
  readonly startTime: number;
  readonly devices: readonly DeviceSpec[];
  /** Every failure window, per device, in scenario order: the ground truth. */
  readonly failures: readonly FailureWindow[];
}

/** A group's name: its `name`, or its idPrefix without a trailing separator. */
export function groupName(g: Pick<GroupConfig, 'name' | 'idPrefix'>): string {
  return g.name ?? (g.idPrefix.replace(/[-_.]+$/, '') || g.idPrefix);
}

/** The device ids of a group: idPrefix + 1-based number, zero-padded to at least 3 digits. */
export function deviceIds(g: Pick<GroupConfig, 'idPrefix' | 'count'>): string[] {
  const width = Math.max(3, String(g.count).length);
  return Array.from({ length: g.count }, (_, i) => `${g.idPrefix}${String(i + 1).padStart(width, '0')}`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** startTime text → ms since the epoch, relative to `now`; undefined when it is not a real date. */
export function parseStartTime(text: string, now: number): number | undefined {
  if (text === 'now') return now;
  const rel = /^now-(\d+)(ms|s|m|h|d)$/.exec(text);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  const ms = Date.parse(text);
  // Date.parse rolls 2024-02-30 over into March; a start time that is not a calendar date is a typo.
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const real = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
  return Number.isFinite(ms) && real ? ms : undefined;
}

/** Expand the scenario into devices and failure windows. `now` resolves a relative startTime. */
export function planFleet(s: Scenario, now: number): FleetPlan {
  const startTime = parseStartTime(s.startTime, now);
  if (startTime === undefined) throw new TypeError(`startTime ${s.startTime} was not validated`);
  const byName = new Map<string, string[]>();
  const specs: Array<Omit<DeviceSpec, 'failures'>> = [];
  for (const group of s.groups) {
    const name = groupName(group);
    const ids = deviceIds(group);
    byName.set(name, ids);
    ids.forEach((id, index) => {
      byName.set(id, [id]);
      specs.push({ id, group, groupName: name, index, seed: childSeed(s.seed, id) });
    });
  }
  const failures: FailureWindow[] = [];
  s.failures.forEach((f, i) => {
    for (const device of byName.get(f.device) ?? []) {
      failures.push({
        device,
        mode: f.mode,
        start: startTime + f.startMs,
        end: startTime + f.startMs + f.durationMs,
        severity: f.severity,
        skewMs: f.skewMs ?? DEFAULT_SKEW_MS,
        seed: childSeed(s.seed, `${device}/failure/${i}`),
      });
    }
  });
  const perDevice = new Map<string, FailureWindow[]>();
  for (const f of failures) {
    const list = perDevice.get(f.device);
    if (list) list.push(f);
    else perDevice.set(f.device, [f]);
  }
  const devices = specs.map((d) => ({ ...d, failures: perDevice.get(d.id) ?? [] }));
  return { startTime, devices, failures };
}
