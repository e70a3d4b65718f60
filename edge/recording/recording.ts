// A recording: rows of a sensor CSV (NAB, SKAB or a generic `timestamp,metric,...` file) as
// timestamped readings: replayed by `tributary devices replay`, evaluated by `tributary eval`, trained on by `tributary train`.
//
// NAB: `timestamp,value`, e.g. `2013-07-04 00:00:00,69.88`, one metric named `value`.
// SKAB: `;`-separated, mixed CRLF/LF, `datetime;<metrics...>;anomaly;changepoint`; the label
// columns are not metrics (they are the answer, not a measurement): they are dropped, or kept apart
// as per-row labels when the caller asks (`keepLabels`, for `tributary eval`).
// Generic: a header `timestamp,metric1,metric2,...` (the first column may be named timestamp, ts,
// time, datetime or date). A date-time without a zone is read as UTC; a number as ms since the
// epoch (or seconds, below 1e11). Metric names are made valid for the gateway: characters outside
// `A-Z a-z 0-9 _ . - :` become `_` (SKAB's "Volume Flow RateRMS" → Volume_Flow_RateRMS).

import { codedError } from '../errors/catalogue.js';

export const RECORDING_FORMATS = ['nab', 'skab', 'generic'] as const;
export type RecordingFormat = (typeof RECORDING_FORMATS)[number];

export interface RecordingRow {
  /** ms since the epoch, as recorded. */
  readonly ts: number;
  readonly values: Readonly<Record<string, number>>;
}

export const LABEL_COLUMNS = ['anomaly', 'changepoint'] as const;
export type LabelColumn = (typeof LABEL_COLUMNS)[number];

/** Per-row labels, aligned with `rows` (labels[i] belongs to rows[i]): 1 = labelled, 0 = not. */
export type RecordingLabels = Readonly<Partial<Record<LabelColumn, Uint8Array>>>;

export interface Recording {
  readonly format: RecordingFormat;
  readonly metrics: readonly string[];
  readonly rows: readonly RecordingRow[];
  /** Rows without a readable timestamp or any numeric value, left out. */
  readonly skipped: number;
  /**
   * Only with `keepLabels`: each label column the file has (`anomaly`, `changepoint`), one entry
   * per kept row; `{}` when it has none (NAB files carry their labels in a separate JSON).
   */
  readonly labels?: RecordingLabels;
}

export interface ParseOptions {
  /** Keep the label columns as `labels` (default false: dropped). A label cell must read 0 or 1. */
  readonly keepLabels?: boolean;
}

const LABEL_SET: ReadonlySet<string> = new Set(LABEL_COLUMNS);
const TIME_COLUMNS = /^(timestamp|ts|time|datetime|date)$/i;
const ZONELESS = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** The format of a recording, from its header line; undefined when it is none of the three. */
export function detectFormat(text: string): RecordingFormat | undefined {
  const header = firstLine(text);
  if (header === undefined) return undefined;
  if (header.includes(';') && header.split(';')[0]!.trim().toLowerCase() === 'datetime') return 'skab';
  if (header.replace(/\s/g, '') === 'timestamp,value') return 'nab';
  const first = header.split(',')[0]!.trim();
  return header.includes(',') && TIME_COLUMNS.test(first) ? 'generic' : undefined;
}

/** Parse a recording. `source` names it in errors. Throws ERR_SCENARIO_BAD_RECORDING. */
export function parseRecording(
  text: string,
  source: string,
  format: RecordingFormat | undefined = detectFormat(text),
  options: ParseOptions = {},
): Recording {
  if (!format) throw codedError('ERR_SCENARIO_BAD_RECORDING', [source, 'its header is not NAB (timestamp,value), SKAB (datetime;...) or generic (timestamp,metric,...); pass --format']);
  const delimiter = format === 'skab' ? ';' : ',';
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').replace(/^\uFEFF/, '').split(delimiter).map((h) => h.trim());
  if (header.length < 2) throw codedError('ERR_SCENARIO_BAD_RECORDING', [source, `the header has no metric columns (delimiter "${delimiter}")`]);
  // Column index → metric name; label columns (SKAB) map to nothing.
  const names = header.map((h, i) => (i === 0 || LABEL_SET.has(h.toLowerCase()) ? undefined : metricName(h)));
  const labelAt = options.keepLabels ? labelColumns(header) : [];
  // One growing array per label column; rows are pushed in step with them so they stay aligned.
  const labelValues = labelAt.map(() => [] as number[]);
  const rows: RecordingRow[] = [];
  let skipped = 0;
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    const cells = line.split(delimiter);
    const ts = parseTime(cells[0]!.trim());
    const values: Record<string, number> = {};
    let count = 0;
    for (let i = 1; i < cells.length; i++) {
      const name = names[i];
      const cell = cells[i]!.trim();
      if (name === undefined || cell === '') continue;
      const v = Number(cell);
      if (Number.isFinite(v)) {
        values[name] = v;
        count++;
      }
    }
    if (ts === undefined || count === 0) {
      skipped++;
      continue;
    }
    rows.push({ ts, values });
    labelAt.forEach(([column, at], k) => labelValues[k]!.push(labelCell(cells[at], column, n + 1, source)));
  }
  if (rows.length === 0) throw codedError('ERR_SCENARIO_BAD_RECORDING', [source, 'it has no rows with a timestamp and a numeric value']);
  const recording = { format, metrics: names.filter((m): m is string => m !== undefined), rows, skipped };
  if (!options.keepLabels) return recording;
  const labels: Partial<Record<LabelColumn, Uint8Array>> = {};
  labelAt.forEach(([column], k) => (labels[column] = Uint8Array.from(labelValues[k]!)));
  return { ...recording, labels };
}

/** The label columns of a header and where they are. */
function labelColumns(header: readonly string[]): Array<[LabelColumn, number]> {
  const found: Array<[LabelColumn, number]> = [];
  header.forEach((h, i) => {
    const name = h.toLowerCase();
    if (i > 0 && LABEL_SET.has(name)) found.push([name as LabelColumn, i]);
  });
  return found;
}

/** A label cell as 0 or 1 (SKAB writes `0.0`/`1.0`); anything else would silently change a score. */
function labelCell(cell: string | undefined, column: string, line: number, source: string): number {
  const v = Number(cell?.trim() || NaN);
  if (v === 0 || v === 1) return v;
  throw codedError('ERR_SCENARIO_BAD_RECORDING', [source, `line ${line}: the ${column} label is ${JSON.stringify(cell ?? '')}, not 0 or 1`]);
}

/** A column name made into a valid metric name. */
export function metricName(column: string): string {
  const cleaned = column.trim().replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64);
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`.slice(0, 64);
}

/** ms since the epoch, or undefined. */
export function parseTime(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const ms = Date.parse(ZONELESS.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  return Number.isFinite(ms) ? ms : undefined;
}

function firstLine(text: string): string | undefined {
  const end = text.search(/\r?\n/);
  const line = (end < 0 ? text : text.slice(0, end)).replace(/^\uFEFF/, '');
  return line.trim() === '' ? undefined : line;
}

/** The median spacing of the rows' timestamps (ms), ignoring repeats; 1000 when there is none. */
export function samplingInterval(recording: Recording): number {
  const gaps: number[] = [];
  for (let i = 1; i < recording.rows.length; i++) {
    const d = recording.rows[i]!.ts - recording.rows[i - 1]!.ts;
    if (d > 0) gaps.push(d);
  }
  gaps.sort((a, b) => a - b);
  return gaps.length ? Math.max(1, gaps[Math.floor(gaps.length / 2)]!) : 1000;
}
