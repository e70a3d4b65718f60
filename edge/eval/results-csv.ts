// Per-row results of an evaluation as CSV (`tributary eval --out FILE`), and the reader that scores
// such a file again: `timestamp,anomaly_score,alert`, one row per input row, in input order.
//
// Timestamps are written in NAB's form, `YYYY-MM-DD HH:MM:SS` in UTC (`.mmm` added only when the
// instant has milliseconds), whatever form the recording used: NAB and SKAB recordings are zone-less
// and read as UTC, so their rows come back exactly as written, and the file lines up with NAB's data
// and label files. anomaly_score is the shortest text that reads back as the same double (empty when
// the row has no score, e.g. while a detector warms up); alert is 0 or 1.

import { codedError } from '../errors/catalogue.js';
import { parseTime } from '../recording/recording.js';

export const RESULTS_HEADER = 'timestamp,anomaly_score,alert';

export interface RowResults {
  /** ms since the epoch, per row. */
  readonly ts: ArrayLike<number>;
  /** Anomaly score per row, higher = worse; NaN for none. */
  readonly score: ArrayLike<number>;
  /** Per row, non-zero = alert. */
  readonly alert: ArrayLike<number>;
}

export interface ParsedResults {
  readonly ts: Float64Array;
  readonly score: Float64Array;
  readonly alert: Uint8Array;
}

/** The CSV text, header first, one line per row, with a final newline. */
export function formatResultsCsv(results: RowResults): string {
  const { ts, score, alert } = results;
  if (ts.length !== score.length || ts.length !== alert.length) {
    throw new TypeError(`ts, score and alert must have one entry per row (${ts.length}, ${score.length}, ${alert.length})`);
  }
  const lines = [RESULTS_HEADER];
  for (let i = 0; i < ts.length; i++) {
    const s = score[i]!;
    lines.push(`${formatNabTime(ts[i]!)},${Number.isNaN(s) ? '' : String(s)},${alert[i] !== 0 ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Read a results CSV: columns found by name (others ignored). Throws ERR_EVAL_RESULTS. */
export function parseResultsCsv(text: string, source: string): ParsedResults {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').replace(/^\uFEFF/, '').split(',').map((h) => h.trim());
  const [tsAt, scoreAt, alertAt] = RESULTS_HEADER.split(',').map((name) => header.indexOf(name));
  if (tsAt! < 0 || scoreAt! < 0 || alertAt! < 0) throw codedError('ERR_EVAL_RESULTS', [source, `its header is ${JSON.stringify(lines[0] ?? '')}`]);
  const ts: number[] = [];
  const score: number[] = [];
  const alert: number[] = [];
  for (let n = 1; n < lines.length; n++) {
    if (lines[n]!.trim() === '') continue;
    const cells = lines[n]!.split(',').map((c) => c.trim());
    const t = parseTime(cells[tsAt!] ?? '');
    const s = cells[scoreAt!] === '' ? NaN : Number(cells[scoreAt!] ?? NaN);
    const a = Number(cells[alertAt!] || NaN);
    if (t === undefined) throw bad(source, n, `timestamp ${JSON.stringify(cells[tsAt!] ?? '')} is not a time`);
    if (cells[scoreAt!] !== '' && !Number.isFinite(s)) throw bad(source, n, `anomaly_score ${JSON.stringify(cells[scoreAt!] ?? '')} is not a number`);
    if (a !== 0 && a !== 1) throw bad(source, n, `alert ${JSON.stringify(cells[alertAt!] ?? '')} is not 0 or 1`);
    ts.push(t);
    score.push(s);
    alert.push(a);
  }
  if (ts.length === 0) throw codedError('ERR_EVAL_RESULTS', [source, 'it has no rows']);
  return { ts: Float64Array.from(ts), score: Float64Array.from(score), alert: Uint8Array.from(alert) };
}

/** `YYYY-MM-DD HH:MM:SS` (UTC), with `.mmm` when the instant has milliseconds. */
export function formatNabTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return ms % 1000 === 0 ? base : `${base}${iso.slice(19, 23)}`;
}

function bad(source: string, lineIndex: number, why: string) {
  return codedError('ERR_EVAL_RESULTS', [source, `line ${lineIndex + 1}: ${why}`]);
}
