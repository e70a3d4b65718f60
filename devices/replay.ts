// `tributary devices replay`: a recorded CSV (NAB, SKAB, generic) streamed as one device over MQTT
// at a speed-up, through the same run loop, pacing and counting as a simulated fleet.
//
// Timestamps keep the recording's spacing. By default they are shifted so that the first row
// lands at "now" (--align start) or the last one does (--align end, which keeps every reading in
// the past, so a gateway never refuses them as too far ahead); --keep-timestamps sends them as
// recorded.

import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { parseOptions, type Io } from '../edge/cli/io.js';
import { systemClock } from '../edge/clock/clock.js';
import { DEVICE_ID_PATTERN } from '../edge/decode/reading.js';
import { codedError } from '../edge/errors/catalogue.js';
import { Fleet } from './fleet.js';
import type { DeviceMessage } from './message.js';
import { parseRecording, RECORDING_FORMATS, type RecordingFormat, type RecordingRow } from '../edge/recording/recording.js';
import { clockLeadWarning, formatProgress } from './report.js';
import { runSession } from './session.js';
import type { ReadingStream } from './stream.js';
import { MqttTransport } from './transport/mqtt.js';

/** A recording as a ReadingStream: row i is due (ts_i − ts_0) simulated ms into the run. */
export class ReplayStream implements ReadingStream {
  readonly suppressed = 0;
  #i = 0;

  /** @param shiftMs added to every recorded timestamp */
  constructor(
    readonly device: string,
    readonly rows: readonly RecordingRow[],
    readonly shiftMs: number,
  ) {
    if (rows.length === 0) throw new TypeError('a replay needs at least one row');
  }

  get nextAt(): number {
    const row = this.rows[this.#i];
    return row ? Math.max(0, row.ts - this.rows[0]!.ts) : Infinity;
  }

  take(): DeviceMessage[] {
    const row = this.rows[this.#i++];
    return row ? [{ device: this.device, kind: 'good', ts: row.ts + this.shiftMs, values: row.values }] : [];
  }

  flush(): DeviceMessage[] {
    return [];
  }
}

export const REPLAY_USAGE = `Usage: tributary devices replay --csv <file> [options]

Stream a recorded CSV as one device over MQTT, keeping the recording's spacing at a speed-up.

Options:
  --csv <file>          the recording (required)
  --format <f>          nab (timestamp,value), skab (datetime;...;anomaly;changepoint) or generic
                        (timestamp,metric,...); default: detected from the header
  --device <id>         device id (default: the file name, e.g. nyc_taxi; a numbered SKAB file
                        takes its folder too, e.g. valve1-0)
  --speedup <n>         recorded time ÷ real time (default 1)
  --gateway <url>       broker URL (default mqtt://127.0.0.1:1883)
  --topic-prefix <p>    publish to <p>/<device> (default sensors)
  --qos <0|1>           default 0
  --password-file <f>   file holding the device's password (username = device id)
  --align start|end     shift timestamps so the first (start, default) or last (end) row is now
  --keep-timestamps     send the recorded timestamps unchanged
  --counts <file>       write what was sent, as JSON, at the end
  -h, --help            this text
`;

export async function replayCommand(argv: string[], io: Io): Promise<number> {
  const { values: v } = parse(argv);
  if (v.help) {
    io.stdout.write(REPLAY_USAGE);
    return 0;
  }
  if (!v.csv) throw codedError('ERR_CLI_USAGE', ['--csv <file> is required', 'devices replay']);
  const format = v.format as RecordingFormat | undefined;
  if (format !== undefined && !RECORDING_FORMATS.includes(format)) throw codedError('ERR_CLI_USAGE', [`--format must be one of ${RECORDING_FORMATS.join(', ')}`, 'devices replay']);
  const speedup = Number(v.speedup ?? 1);
  if (!(speedup > 0)) throw codedError('ERR_CLI_USAGE', ['--speedup must be a positive number', 'devices replay']);
  const qos = Number(v.qos ?? 0);
  if (qos !== 0 && qos !== 1) throw codedError('ERR_CLI_USAGE', ['--qos must be 0 or 1', 'devices replay']);
  if (v.align !== undefined && v.align !== 'start' && v.align !== 'end') throw codedError('ERR_CLI_USAGE', ['--align must be start or end', 'devices replay']);
  if (v.gateway !== undefined && !/^mqtts?:\/\//.test(v.gateway)) throw codedError('ERR_CLI_USAGE', ['--gateway must be an mqtt:// or mqtts:// URL', 'devices replay']);
  const device = v.device ?? deviceFromPath(v.csv);
  if (!DEVICE_ID_PATTERN.test(device)) throw codedError('ERR_CLI_USAGE', [`device id ${JSON.stringify(device)} is not valid; pass --device`, 'devices replay']);

  const recording = parseRecording(readText(v.csv, 'recording'), v.csv, format);
  const password = v['password-file'] ? readText(v['password-file'], 'password').trim() : undefined;
  const rows = recording.rows;
  const now = systemClock.now();
  const shiftMs = v['keep-timestamps'] ? 0 : v.align === 'end' ? now - rows[rows.length - 1]!.ts : now - rows[0]!.ts;
  const stream = new ReplayStream(device, rows, shiftMs);
  const transport = new MqttTransport({
    url: v.gateway ?? 'mqtt://127.0.0.1:1883',
    topicPrefix: v['topic-prefix'] ?? 'sensors',
    devices: [device],
    qos,
    ...(password !== undefined ? { password: () => password } : {}),
  });
  const fleet = new Fleet([{ stream, transport }], {
    clock: systemClock,
    speedup,
    startTime: rows[0]!.ts + shiftMs,
    onProgress: (p) => io.stderr.write(formatProgress(p, speedup)),
  });
  io.stderr.write(
    `tributary devices replay: ${v.csv} (${recording.format}, ${rows.length} rows, metrics ${recording.metrics.join(', ')}` +
      `${recording.skipped ? `, ${recording.skipped} unreadable rows skipped` : ''}) as ${device} at ×${speedup}\n`,
  );
  if (!v['keep-timestamps']) io.stderr.write(clockLeadWarning(rows[0]!.ts + shiftMs, now, speedup, rows[rows.length - 1]!.ts - rows[0]!.ts) ?? '');
  await runSession(fleet, 1, io, v.counts ? { countsPath: v.counts } : {});
  return 0;
}

/** The file name without extension; a purely numeric one (SKAB's 0.csv) gets its folder's name first. */
export function deviceFromPath(path: string): string {
  const name = basename(path).replace(/\.[^.]*$/, '');
  const id = /^\d+$/.test(name) ? `${basename(dirname(path))}-${name}` : name;
  return id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw codedError('ERR_FILE_READ', [what, path, (err as Error).message], { cause: err });
  }
}

const OPTIONS = {
  csv: { type: 'string' },
  format: { type: 'string' },
  device: { type: 'string' },
  speedup: { type: 'string' },
  gateway: { type: 'string' },
  'topic-prefix': { type: 'string' },
  qos: { type: 'string' },
  'password-file': { type: 'string' },
  align: { type: 'string' },
  'keep-timestamps': { type: 'boolean' },
  counts: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
const parse = (argv: string[]) => parseOptions(argv, OPTIONS, 'devices replay');
