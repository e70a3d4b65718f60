// The ground truth of a run: one CSV row per failure injected into each device, with its window
// in simulated event time, so a detector's alerts can be scored against what really happened.

import { writeFileSync } from 'node:fs';
import { codedError } from '../edge/errors/catalogue.js';
import type { FailureWindow } from './scenario/plan.js';

export const GROUND_TRUTH_HEADER = 'device,failure,start,end,start_ms,end_ms';

/**
 * The CSV text: `device,failure,start,end` as ISO 8601, then the same instants in ms since the
 * epoch. Only failures that began before `until` (the simulated end of the run, ms since the
 * epoch) were injected; a window the run cut short ends at `until`.
 */
export function groundTruthCsv(failures: readonly FailureWindow[], until = Infinity): string {
  const rows = failures
    .filter((f) => f.start < until)
    .map((f) => {
      const end = Math.min(f.end, until);
      return [f.device, f.mode, iso(f.start), iso(end), f.start, end].join(',');
    });
  return `${[GROUND_TRUTH_HEADER, ...rows].join('\n')}\n`;
}

export function writeGroundTruth(path: string, failures: readonly FailureWindow[], until = Infinity): void {
  try {
    writeFileSync(path, groundTruthCsv(failures, until));
  } catch (err) {
    throw codedError('ERR_SCENARIO_WRITE', ['ground-truth', path, (err as Error).message], { cause: err });
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
