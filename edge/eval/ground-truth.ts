// The simulator's ground truth (`tributary devices ... --ground-truth FILE`) read back: one injected
// failure per row, `device,failure,start,end[,start_ms,end_ms]`, as anomalies for lead time.
//
// Columns are found by name, so the reader does not depend on devices/ (edge never imports it).
// The ms columns are used where present (exact); else `start`/`end` as ISO 8601.

import { codedError } from '../errors/catalogue.js';
import { parseTime } from '../recording/recording.js';
import type { LabelledAnomaly } from './lead-time.js';

export interface GroundTruthFailure {
  readonly device: string;
  /** The failure mode, e.g. `bearing-wear`. */
  readonly failure: string;
  /** ms since the epoch, simulated event time. */
  readonly start: number;
  readonly end: number;
}

/** Parse a ground-truth CSV. `source` names it in errors. Throws ERR_EVAL_LABELS. */
export function parseGroundTruth(text: string, source: string): GroundTruthFailure[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').replace(/^\uFEFF/, '').split(',').map((h) => h.trim());
  const at = (name: string) => header.indexOf(name);
  const [device, failure] = [at('device'), at('failure')];
  const inMs = at('start_ms') >= 0 && at('end_ms') >= 0;
  const [start, end] = inMs ? [at('start_ms'), at('end_ms')] : [at('start'), at('end')];
  // ms columns are always ms (parseTime would read a small number as seconds).
  const read = (cell: string | undefined) => (inMs ? finite(Number(cell || NaN)) : parseTime(cell ?? ''));
  if (device < 0 || failure < 0 || start < 0 || end < 0) {
    throw codedError('ERR_EVAL_LABELS', [source, `its header is ${JSON.stringify(lines[0] ?? '')}; expected device,failure,start,end`]);
  }
  return lines.slice(1).map((line, k) => {
    const cells = line.split(',').map((c) => c.trim());
    const from = read(cells[start]);
    const to = read(cells[end]);
    if (from === undefined || to === undefined || to < from || !cells[device]) {
      throw codedError('ERR_EVAL_LABELS', [source, `line ${k + 2} (${JSON.stringify(line)}) needs a device and a start no later than its end`]);
    }
    return { device: cells[device]!, failure: cells[failure] ?? '', start: from, end: to };
  });
}

function finite(n: number): number | undefined {
  return Number.isFinite(n) ? n : undefined;
}

/** One device's failures as anomalies named `<device> <failure>`; every device's when `device` is absent. */
export function failureAnomalies(failures: readonly GroundTruthFailure[], device?: string): LabelledAnomaly[] {
  return failures
    .filter((f) => device === undefined || f.device === device)
    .map((f) => ({ start: f.start, end: f.end, name: `${f.device} ${f.failure}` }));
}
