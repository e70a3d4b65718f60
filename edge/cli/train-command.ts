// `tributary train`: fit a baseline anomaly model on normal data (a CSV recording, or the
// summaries a stopped gateway kept) and write `<base>.onnx` with `<base>.manifest.json`.

import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { WindowSpecConfig } from '../config/schema.js';
import { systemClock } from '../clock/clock.js';
import { codedError } from '../errors/catalogue.js';
import type { Summary } from '../features/summary.js';
import { writeModel } from '../model/model-files.js';
import { RECORDING_FORMATS, parseRecording, type RecordingFormat } from '../recording/recording.js';
import { readOutbox } from '../outbox/read-outbox.js';
import { openDb } from '../store/db.js';
import { DEFAULT_FEATURES, defaultWindowFor, trainingSetFromRecording, trainingSetFromSummaries } from '../model/train/training-data.js';
import { trainModel, type TrainingSet } from '../model/train/train.js';
import { describeTrained, verifyTrained } from '../model/train/verify.js';
import { parseOptions, requireOption, type Io } from './io.js';

const USAGE = `Usage:
  tributary train --csv <file> --out <base> [options]       fit on a recording (NAB, SKAB or generic CSV)
  tributary train --data-dir <dir> --out <base> [options]   fit on the summaries a stopped gateway kept

Writes <base>.onnx and <base>.manifest.json, checked by loading them in onnxruntime first.
The data must be normal operation: the threshold is calibrated so that only a small share of
normal windows scores above it.

Data:
  --csv <file>              recording to window with the gateway's window engine
  --format <f>              ${RECORDING_FORMATS.join('|')} (default: from the header)
  --device-id <id>          the recording's device id (default: the file name)
  --head <n>                use only the first n rows of the recording
  --data-dir <dir>          a gateway's dataDir; its outbox is read (stop the gateway first: it holds the lock)
  --devices <globs>         data-dir: only devices matching these comma-separated globs, e.g. motor-*
  --metrics <list>          only these metrics (default: all)
  --features <list>         feature names for every metric (mean,std,...) and/or keys (vib_rms.max)
                            (default: ${DEFAULT_FEATURES.join(',')})
  --window <spec>           tumbling:<ms> | hopping:<ms>:<slide ms> | session:<gap ms>
                            (default: tumbling:10000 for --data-dir; 10 × the median sampling interval for --csv)

Model:
  --out <base>              where to write (required)
  --algorithm <a>           pca (default: Hotelling T² and SPE/Q) | autoencoder
  --name <name>             default: the file name of --out
  --version <v>             default: the date, e.g. 2024-11-24
  --kind <kinds>            device kinds it applies to, comma-separated (default: the devices trained on)
  --held-back <f>           fraction kept out of the fit to calibrate the threshold on (default 0.2)
  --split time|devices      hold back the latest windows of every device (time), or whole devices
                            (devices: how the model does on devices it never saw); default devices
                            when there are 5 or more, else time
  --quantile <q>            threshold = this quantile of held-back scores × margin (default 0.995)
  --margin <m>              (default 1)
  --seed <n>                seed for the autoencoder's weights and batches (default 1)
  --components <k>          pca: keep k components (default: enough for --variance)
  --variance <f>            pca: variance the kept components explain (default 0.9)
  --confidence <c>          pca: confidence of the T² and Q limits (default 0.99)
  --hidden <h> --bottleneck <b> --epochs <e> --activation tanh|relu
                            autoencoder shape and training (defaults: see docs)
  -h, --help                this text
`;

const OPTIONS = {
  csv: { type: 'string' },
  format: { type: 'string' },
  'device-id': { type: 'string' },
  head: { type: 'string' },
  'data-dir': { type: 'string' },
  devices: { type: 'string' },
  metrics: { type: 'string' },
  features: { type: 'string' },
  window: { type: 'string' },
  out: { type: 'string', short: 'o' },
  algorithm: { type: 'string', default: 'pca' },
  name: { type: 'string' },
  version: { type: 'string' },
  kind: { type: 'string' },
  'held-back': { type: 'string' },
  split: { type: 'string' },
  quantile: { type: 'string' },
  margin: { type: 'string' },
  seed: { type: 'string' },
  components: { type: 'string' },
  variance: { type: 'string' },
  confidence: { type: 'string' },
  hidden: { type: 'string' },
  bottleneck: { type: 'string' },
  epochs: { type: 'string' },
  activation: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseOptions<typeof OPTIONS>>['values'];

export async function trainCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parseOptions(argv, OPTIONS, 'train');
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const out = requireOption(values.out, '--out <base>', 'train');
  const algorithm = values.algorithm;
  if (algorithm !== 'pca' && algorithm !== 'autoencoder') throw usage('--algorithm must be pca or autoencoder');
  if ((values.csv === undefined) === (values['data-dir'] === undefined)) throw usage('give exactly one of --csv <file> and --data-dir <dir>');
  const data = values.csv !== undefined ? await fromCsv(values.csv, values) : await fromDataDir(values['data-dir']!, values);
  io.stderr.write(`tributary train: ${data.rows.length} window(s) from ${data.source}${data.note}\n`);

  const createdAt = new Date(systemClock.now()).toISOString();
  const devices = [...new Set(data.rows.map((r) => r.device))].sort();
  const trained = trainModel(data, {
    algorithm,
    name: values.name ?? basename(out).replace(/\.onnx$/, ''),
    version: values.version ?? createdAt.slice(0, 10),
    window: data.window,
    appliesTo: values.kind ? { kinds: list(values.kind) } : { devices },
    createdAt,
    ...optional('heldBack', fraction(values['held-back'], '--held-back')),
    ...optional('split', split(values.split)),
    ...optional('quantile', fraction(values.quantile, '--quantile')),
    ...optional('margin', positive(values.margin, '--margin')),
    ...optional('seed', integer(values.seed, '--seed', 0)),
    pca: {
      ...optional('components', integer(values.components, '--components', 1)),
      ...optional('variance', fraction(values.variance, '--variance')),
      ...optional('confidence', fraction(values.confidence, '--confidence')),
    },
    autoencoder: {
      ...optional('hidden', integer(values.hidden, '--hidden', 2)),
      ...optional('bottleneck', integer(values.bottleneck, '--bottleneck', 1)),
      ...optional('epochs', integer(values.epochs, '--epochs', 1)),
      ...optional('activation', activation(values.activation)),
    },
    onProgress: (p) => {
      if (p.epoch % 10 === 0 || p.epoch === p.epochs) {
        io.stderr.write(`  epoch ${p.epoch}/${p.epochs}: train loss ${p.trainLoss.toPrecision(4)}, validation ${p.validationLoss.toPrecision(4)} (best epoch ${p.bestEpoch})\n`);
      }
    },
  });
  const check = await verifyTrained(trained);
  const paths = await writeModel(out, trained.onnx, trained.manifest);
  io.stdout.write(describeTrained(trained, paths, check));
  return 0;
}

interface Data extends TrainingSet {
  readonly window: WindowSpecConfig;
  /** Extra detail for the progress line (window, late readings, incomplete windows). */
  readonly note: string;
}

async function fromCsv(path: string, values: Values): Promise<Data> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw codedError('ERR_FILE_READ', ['recording', path, (err as NodeJS.ErrnoException).code ?? (err as Error).message], { cause: err });
  }
  const format = values.format;
  if (format !== undefined && !(RECORDING_FORMATS as readonly string[]).includes(format)) throw usage(`--format must be one of ${RECORDING_FORMATS.join(', ')}`);
  const recording = parseRecording(text, path, format as RecordingFormat | undefined);
  const window = values.window !== undefined ? parseWindowSpec(values.window) : defaultWindowFor(recording);
  const set = trainingSetFromRecording(recording, basename(path), {
    window,
    device: values['device-id'] ?? deviceIdOf(path),
    ...optional('features', values.features !== undefined ? list(values.features) : undefined),
    ...optional('metrics', values.metrics !== undefined ? list(values.metrics) : undefined),
    ...optional('head', integer(values.head, '--head', 2)),
  });
  return { ...set, window, note: ` (${recording.rows.length} rows, ${windowText(window)}; ${set.late} late reading(s), ${set.incomplete} incomplete window(s) left out)` };
}

async function fromDataDir(dir: string, values: Values): Promise<Data> {
  const window = values.window !== undefined ? parseWindowSpec(values.window) : ({ kind: 'tumbling', sizeMs: 10_000 } as const);
  // openDb would create a missing folder: a mistyped path must fail, not train on an empty outbox.
  await stat(join(dir, 'CURRENT')).catch((err: NodeJS.ErrnoException) => {
    throw codedError('ERR_FILE_READ', ['gateway data', dir, `${err.code ?? err.message}: not a gateway's LevelDB folder`], { cause: err });
  });
  const db = await openDb(dir);
  let entries: unknown[];
  try {
    entries = (await readOutbox(db, 'summary', Infinity, 'oldest')).entries.map((e) => e.item);
  } finally {
    await db.close();
  }
  const summaries = entries.filter(isSummary);
  const set = trainingSetFromSummaries(summaries, `gateway outbox in ${dir}`, {
    window,
    ...optional('devices', values.devices !== undefined ? list(values.devices) : undefined),
    ...optional('features', values.features !== undefined ? list(values.features) : undefined),
    ...optional('metrics', values.metrics !== undefined ? list(values.metrics) : undefined),
  });
  return { ...set, window, note: ` (${summaries.length} summaries, ${windowText(window)}; ${set.incomplete} incomplete window(s) left out)` };
}

/** `tumbling:10000`, `hopping:60000:10000`, `session:30000`. */
export function parseWindowSpec(text: string): WindowSpecConfig {
  const [kind, a, b, ...rest] = text.split(':');
  const ms = (v: string | undefined) => (v !== undefined && /^[1-9]\d*$/.test(v) ? Number(v) : undefined);
  const size = ms(a);
  if (rest.length === 0 && size !== undefined) {
    if (kind === 'tumbling' && b === undefined) return { kind, sizeMs: size };
    if (kind === 'session' && b === undefined) return { kind, gapMs: size };
    const slide = ms(b);
    if (kind === 'hopping' && slide !== undefined && slide <= size) return { kind, sizeMs: size, slideMs: slide };
  }
  throw usage(`--window "${text}" is not tumbling:<ms>, hopping:<ms>:<slide ms ≤ ms> or session:<gap ms>`);
}

function windowText(w: WindowSpecConfig): string {
  return w.kind === 'hopping' ? `hopping:${w.sizeMs}:${w.slideMs}` : w.kind === 'session' ? `session:${w.gapMs}` : `tumbling:${w.sizeMs}`;
}

function isSummary(v: unknown): v is Summary {
  const s = v as Partial<Summary> | null;
  return typeof s === 'object' && s !== null && typeof s.device === 'string' && typeof s.metric === 'string' && typeof s.window === 'object' && typeof s.features === 'object';
}

/** A device id from a file name: `machine_temperature.csv` → `machine_temperature`. */
function deviceIdOf(path: string): string {
  const id = basename(path).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return (id || 'recording').slice(0, 64);
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '');
const usage = (message: string) => codedError('ERR_CLI_USAGE', [message, 'train']);
const optional = <K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [key]: v } as { [P in K]: V }));

function fraction(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw usage(`${flag} must be a number between 0 and 1 (exclusive)`);
  return n;
}

function positive(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0 && Number.isFinite(n))) throw usage(`${flag} must be a positive number`);
  return n;
}

function integer(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= min)) throw usage(`${flag} must be an integer ≥ ${min}`);
  return n;
}

function split(v: string | undefined): 'time' | 'devices' | undefined {
  if (v === undefined || v === 'time' || v === 'devices') return v;
  throw usage('--split must be time or devices');
}

function activation(v: string | undefined): 'tanh' | 'relu' | undefined {
  if (v === undefined || v === 'tanh' || v === 'relu') return v;
  throw usage('--activation must be tanh or relu');
}
