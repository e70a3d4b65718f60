// `tributary eval`: replay labelled recordings through the gateway's own pipeline and score what it
// decided the way each benchmark scores its detectors: the NAB score for NAB-style window labels,
// SKAB's F1/FAR/MAR for its point labels, and detection lead time for both.

import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { codedError } from '../errors/catalogue.js';
import { parseOptions, type Io } from '../cli/io.js';
import { RECORDING_FORMATS, parseRecording, type RecordingFormat } from '../recording/recording.js';
import { autoPipeline } from './auto-pipeline.js';
import { configPipeline } from './config-pipeline.js';
import { alertTimes, anomalySegments, leadTimes, nabAnomalies } from './lead-time.js';
import { nabLabelKey, parseNabLabels, parseNabWindows, windowsFor, type NabLabels, type NabWindows } from './nab-labels.js';
import { probationaryRows, scoreNabFile, type NabFileResult } from './nab-score.js';
import type { EvalPipeline } from './pipeline.js';
import { renderReport, reportJson, summarise, type FileOutcome } from './report.js';
import { replay } from './replay.js';
import { formatResultsCsv } from './results-csv.js';
import { SKAB_FIT_ROWS } from './skab-metrics.js';

const USAGE = `Usage: tributary eval --data <file|dir> [--data ...] [options]

Replay recorded sensor data through the gateway's pipeline (the same windows, models, detectors and
alert rules, in accelerated event time) and score its alerts against the recording's labels.

  --data <file|dir>     a recording (NAB, SKAB or generic CSV), or a folder of them; repeatable
  --labels <file>       NAB's combined_windows.json (keyed by file name); SKAB files carry their own
                        labels in their anomaly column. combined_labels.json beside it, when present,
                        gives the labelled instants lead time is measured to
  --config <file>       a gateway config: its windows, devices.kinds, models, detectors and alerts.
                        Without it the pipeline is chosen from each recording's sampling interval
                        and fitted on its first rows (SKAB: 400; otherwise NAB's probationary period,
                        15 % of the rows, at most 750)
  --model <file.onnx>   score with this model (its manifest beside it) instead of fitting one; repeatable
  --device <id>         the device id the rows arrive as (default: from the file name)
  --format <f>          ${RECORDING_FORMATS.join('|')} (default: from the header)
  --out <file|dir>      per-row results as CSV (timestamp,anomaly_score,alert); a folder when there
                        are several recordings. alert is 1 where an alert was raised (NAB labels) or
                        open (SKAB labels)
  --json                print the report as JSON
  -v, --verbose         also say what was fitted to each recording
  -h, --help            this text
`;

const OPTIONS = {
  data: { type: 'string', multiple: true },
  labels: { type: 'string' },
  config: { type: 'string' },
  model: { type: 'string', multiple: true },
  device: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function evalCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseOptions(argv, OPTIONS, 'eval');
  if (v.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!v.data?.length) throw codedError('ERR_CLI_USAGE', ['--data <file|dir> is required', 'eval']);
  if (v.format !== undefined && !(RECORDING_FORMATS as readonly string[]).includes(v.format)) throw codedError('ERR_CLI_USAGE', [`--format must be one of ${RECORDING_FORMATS.join(', ')}`, 'eval']);
  const files = (await Promise.all(v.data.map(expand))).flat();
  const labels = v.labels ? await readLabels(v.labels) : undefined;
  const outcomes: FileOutcome[] = [];
  for (const file of files) {
    const outcome = await evaluateFile(file, { labels, config: v.config, models: v.model ?? [], device: v.device, format: v.format as RecordingFormat | undefined });
    outcomes.push(outcome);
    if (v.out) await writeResults(v.out, files.length > 1, file, outcome);
    if (!v.json) io.stderr.write(`eval: ${file}: ${outcome.rows} rows\n`);
  }
  const report = summarise(outcomes);
  io.stdout.write(v.json ? reportJson(report) : renderReport(report, v.verbose));
  return 0;
}

interface LabelFiles {
  readonly path: string;
  readonly windows: NabWindows;
  readonly instants?: NabLabels;
}

interface FileOptions {
  readonly labels: LabelFiles | undefined;
  readonly config: string | undefined;
  readonly models: readonly string[];
  readonly device: string | undefined;
  readonly format: RecordingFormat | undefined;
}

async function evaluateFile(file: string, o: FileOptions): Promise<FileOutcome> {
  const recording = parseRecording(await readText(file, 'recording'), file, o.format, { keepLabels: true });
  const device = o.device ?? deviceIdFor(file);
  const point = recording.labels?.anomaly;
  const windows = point === undefined && o.labels ? windowsFor(o.labels.windows, file, o.labels.path) : undefined;
  const style = point !== undefined ? 'skab' : windows !== undefined ? 'nab' : 'none';
  const fitRows = style === 'skab' ? SKAB_FIT_ROWS : probationaryRows(recording.rows.length);
  const pipeline: EvalPipeline = o.config || o.models.length ? await configPipeline(o.config, o.models, device) : await autoPipeline(recording, device, fitRows, new Date().toISOString());
  try {
    const result = await replay(recording.rows, { device, windows: pipeline.windows, judged: pipeline.judged, models: pipeline.models, ...(pipeline.rules ? { rules: pipeline.rules } : {}), ...(pipeline.kinds ? { kinds: pipeline.kinds } : {}) });
    const ts = recording.rows.map((r) => r.ts);
    const score = result.rows.map((r) => (Number.isNaN(r.score) ? r.statistic : r.score));
    const alert = Uint8Array.from(result.rows, (r) => (style === 'nab' ? (r.raised ? 1 : 0) : r.alertOpen ? 1 : 0));
    const base = { file, device, rows: recording.rows.length, fitRows, style, recipe: pipeline.recipe, ...(pipeline.fitted ? { fitted: pipeline.fitted } : {}), ts, score, alert, raised: result.rows.filter((r) => r.raised).length } as const;
    if (style === 'skab') return { ...base, skab: { labels: point!, lead: leadTimes(anomalySegments(ts, point!), alertTimes(ts, alert)) } };
    if (style === 'nab') {
      const key = nabLabelKey(file, o.labels!.windows.keys());
      const instants = (key !== undefined ? o.labels!.instants?.get(key) : undefined) ?? [];
      const nab: NabFileResult = scoreNabFile(file, ts, alert, windows!);
      return { ...base, nab: { result: nab, lead: leadTimes(nabAnomalies(windows!, instants), alertTimes(ts, alert)) } };
    }
    return base;
  } finally {
    await Promise.allSettled(pipeline.models.map((m) => m.close()));
  }
}

async function expand(path: string): Promise<string[]> {
  let s;
  try {
    s = await stat(path);
  } catch (err) {
    throw codedError('ERR_FILE_READ', ['recording', path, (err as Error).message], { cause: err });
  }
  if (!s.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => n.endsWith('.csv')).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return names.map((n) => join(path, n));
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw codedError('ERR_FILE_READ', [what, path, (err as Error).message], { cause: err });
  }
}

async function readLabels(path: string): Promise<LabelFiles> {
  const windows = parseNabWindows(await readText(path, 'labels'), path);
  const beside = join(dirname(path), 'combined_labels.json');
  const instants = await readFile(beside, 'utf8').then(
    (text) => parseNabLabels(text, beside),
    () => undefined,
  );
  return { path, windows, ...(instants ? { instants } : {}) };
}

/** `valve1/0.csv` → `valve1-0`; `nyc_taxi.csv` → `nyc_taxi`. */
export function deviceIdFor(file: string): string {
  const name = basename(file).replace(/\.csv$/i, '');
  const id = /^\d+$/.test(name) ? `${basename(dirname(file))}-${name}` : name;
  return id.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]/, 'x').slice(0, 64);
}

async function writeResults(out: string, many: boolean, file: string, outcome: FileOutcome): Promise<void> {
  const path = many ? join(out, `${deviceIdFor(file)}.csv`) : out;
  try {
    if (many) await mkdir(out, { recursive: true });
    await writeFile(path, formatResultsCsv({ ts: outcome.ts, score: outcome.score, alert: outcome.alert }));
  } catch (err) {
    throw codedError('ERR_SCENARIO_WRITE', ['results', path, (err as Error).message], { cause: err });
  }
}
