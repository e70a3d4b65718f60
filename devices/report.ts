// What the simulator tells its operator: the once-a-second progress line, the summary at the
// end, the counts file a test compares with the gateway's, and a warning when readings would run
// further ahead of the wall clock than a gateway accepts.

import { writeFileSync } from 'node:fs';
import { codedError } from '../edge/errors/catalogue.js';
import type { FleetProgress, FleetSummary } from './fleet.js';

/** The gateway's default decode.maxClockSkewMs: readings further ahead of its clock are refused. */
export const GATEWAY_DEFAULT_MAX_SKEW_MS = 60_000;

/** `1:02:03` for an hour and more, `2:03` for minutes, `4.5 s` below a minute. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.floor(ms / 1000);
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(hh > 0 ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatProgress(p: FleetProgress, speedup: number): string {
  return (
    `tributary devices: ${int(p.ratePerSec)} readings/s · ${p.connected}/${p.devices} devices connected · ` +
    `simulated ${formatDuration(p.simulatedMs)} (×${speedup}) · lag ${formatDuration(p.lagMs)} · errors ${p.errors}\n`
  );
}

export function formatSummary(s: FleetSummary, devices: number): string {
  const t = s.totals;
  return (
    `tributary devices: ${s.stopped ? 'stopped' : 'done'}: simulated ${formatDuration(s.simulatedMs)} in ${formatDuration(s.realMs)} (×${s.speedup}), ` +
    `from ${new Date(s.startTime).toISOString()}\n` +
    `  ${devices} devices · good ${int(t.good)} · malformed ${int(t.malformed)} · duplicate ${int(t.duplicate)} · ` +
    `dropout ${int(t.dropout)} · errors ${int(t.errors)} · unconfirmed ${int(s.unconfirmed)}\n`
  );
}

/** The counts file: per-device counts by kind, with the run's times. */
export function countsDocument(s: FleetSummary): Record<string, unknown> {
  return {
    startTime: new Date(s.startTime).toISOString(),
    startTimeMs: s.startTime,
    simulatedMs: s.simulatedMs,
    realMs: s.realMs,
    speedup: s.speedup,
    stopped: s.stopped,
    unconfirmed: s.unconfirmed,
    totals: s.totals,
    devices: s.devices,
  };
}

export function writeCounts(path: string, s: FleetSummary): void {
  try {
    writeFileSync(path, `${JSON.stringify(countsDocument(s), null, 2)}\n`);
  } catch (err) {
    throw codedError('ERR_SCENARIO_WRITE', ['counts', path, (err as Error).message], { cause: err });
  }
}

/**
 * A warning when simulated time will run further ahead of the wall clock than a gateway with the
 * default decode.maxClockSkewMs accepts, or undefined. `lead(t)` = startTime + t − (now + t/speedup).
 */
export function clockLeadWarning(startTime: number, now: number, speedup: number, durationMs: number | undefined): string | undefined {
  const lead = (t: number) => startTime - now + t * (1 - 1 / speedup);
  const limit = GATEWAY_DEFAULT_MAX_SKEW_MS;
  if (durationMs !== undefined ? lead(durationMs) <= limit : speedup <= 1 && lead(0) <= limit) return undefined;
  const from = speedup > 1 ? Math.max(0, (limit - (startTime - now)) / (1 - 1 / speedup)) : 0;
  return (
    `tributary devices: warning: from ${formatDuration(from)} of simulated time on, readings are stamped more than ` +
    `${limit / 1000} s ahead of the wall clock, which a gateway with the default decode.maxClockSkewMs refuses; ` +
    `start in the past (startTime: now-<duration>) or raise the gateway's maxClockSkewMs\n`
  );
}
