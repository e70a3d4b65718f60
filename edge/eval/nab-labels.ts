// NAB's label files read into plain values: combined_windows.json (the windows NAB scores against),
// combined_labels.json (the labelled anomaly instants) and profiles.json (the cost profiles), and
// which of their keys belongs to a data file.
//
// Both label files are keyed by a data file's path below NAB's data/ folder
// (`realKnownCause/nyc_taxi.csv`); a copy may key by the bare file name (`nyc_taxi.csv`). Their
// times are zone-less, `2014-10-30 15:30:00.000000`, and read as UTC like the data files.

import { codedError } from '../errors/catalogue.js';
import { parseTime } from '../recording/recording.js';
import type { CostMatrix, NabWindow } from './nab-score.js';

/** Label file key → that file's windows, in time order. */
export type NabWindows = ReadonlyMap<string, readonly NabWindow[]>;
/** Label file key → that file's labelled anomaly instants (ms), in time order. */
export type NabLabels = ReadonlyMap<string, readonly number[]>;

/** Parse combined_windows.json. `source` names it in errors. Throws ERR_EVAL_LABELS. */
export function parseNabWindows(text: string, source: string): NabWindows {
  const out = new Map<string, NabWindow[]>();
  for (const [key, value] of Object.entries(jsonObject(text, source))) {
    if (!Array.isArray(value)) throw bad(source, `${key}: expected a list of [start, end] pairs`);
    const windows = value.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw bad(source, `${key}[${i}]: expected [start, end]`);
      const start = time(pair[0], source, `${key}[${i}][0]`);
      const end = time(pair[1], source, `${key}[${i}][1]`);
      if (end < start) throw bad(source, `${key}[${i}]: the window ends before it starts`);
      return { start, end };
    });
    windows.forEach((w, i) => {
      if (i > 0 && w.start <= windows[i - 1]!.end) throw bad(source, `${key}[${i}]: windows must be in time order and must not overlap`);
    });
    out.set(key, windows);
  }
  return out;
}

/** Parse combined_labels.json. Throws ERR_EVAL_LABELS. */
export function parseNabLabels(text: string, source: string): NabLabels {
  const out = new Map<string, number[]>();
  for (const [key, value] of Object.entries(jsonObject(text, source))) {
    if (!Array.isArray(value)) throw bad(source, `${key}: expected a list of timestamps`);
    out.set(key, value.map((t, i) => time(t, source, `${key}[${i}]`)).sort((a, b) => a - b));
  }
  return out;
}

/** Parse profiles.json: `{ "<name>": { "CostMatrix": { tpWeight, fpWeight, fnWeight, ... } } }`. */
export function parseNabProfiles(text: string, source: string): Record<string, CostMatrix> {
  const out: Record<string, CostMatrix> = {};
  for (const [name, value] of Object.entries(jsonObject(text, source))) {
    const costs = (value as { CostMatrix?: Record<string, unknown> } | null)?.CostMatrix;
    if (typeof costs !== 'object' || costs === null) throw bad(source, `${name}: expected { "CostMatrix": { ... } }`);
    const weight = (k: string): number => {
      const v = costs[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(source, `${name}.CostMatrix.${k}: expected a number ≥ 0`);
      return v;
    };
    out[name] = { tpWeight: weight('tpWeight'), fpWeight: weight('fpWeight'), fnWeight: weight('fnWeight') };
  }
  if (Object.keys(out).length === 0) throw bad(source, 'it has no profiles');
  return out;
}

/**
 * The key of `dataPath` in a label file: `<parent folder>/<file name>` (NAB's own keys) if present,
 * else the bare file name; undefined when neither is.
 */
export function nabLabelKey(dataPath: string, keys: Iterable<string>): string | undefined {
  const have = new Set(keys);
  return nabKeyCandidates(dataPath).find((k) => have.has(k));
}

/** The windows for one data file. Throws ERR_EVAL_LABELS naming what it looked for. */
export function windowsFor(windows: NabWindows, dataPath: string, source: string): readonly NabWindow[] {
  const key = nabLabelKey(dataPath, windows.keys());
  if (key === undefined) {
    const some = [...windows.keys()].slice(0, 5).join(', ');
    throw bad(source, `it has no entry for ${nabKeyCandidates(dataPath).join(' or ')} (it has ${windows.size} keys, e.g. ${some})`);
  }
  return windows.get(key)!;
}

function nabKeyCandidates(dataPath: string): string[] {
  const parts = dataPath.split(/[\\/]/).filter((p) => p !== '');
  const file = parts[parts.length - 1] ?? dataPath;
  const parent = parts[parts.length - 2];
  return parent === undefined ? [file] : [`${parent}/${file}`, file];
}

function jsonObject(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw codedError('ERR_EVAL_LABELS', [source, `it is not JSON (${(err as Error).message})`], { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(source, 'expected a JSON object keyed by data file');
  return value as Record<string, unknown>;
}

function time(value: unknown, source: string, where: string): number {
  const ms = typeof value === 'string' ? parseTime(value.trim()) : undefined;
  if (ms === undefined) throw bad(source, `${where}: ${JSON.stringify(value)} is not a timestamp`);
  return ms;
}

function bad(source: string, why: string) {
  return codedError('ERR_EVAL_LABELS', [source, why]);
}
