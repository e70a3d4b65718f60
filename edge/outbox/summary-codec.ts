// A compact binary form of a summary for the outbox: about 120 bytes instead of 830 of JSON.
// Features are not stored when they are exactly what the partials give (deriveFeatures, which is
// how the window engine makes them); times are stored as small differences from the window start;
// short decimals (a reading's 71.2) take 2–4 bytes; every number round-trips bit for bit.
//
// Body (format 1): flags · kind · gateway, device, metric (length + UTF-8) · start · end − start ·
// size · [slide] · emittedAt − end · 13 partials · [11 features] · [score: model, version, value,
// threshold]. flags: 1 retracted, 2 slide, 4 features stored, 8 score.
// For a summary with a field this codec does not know, `encodeSummary` returns false: the
// caller stores it as JSON instead, so a field added to Summary later is never silently dropped.

import { deriveFeatures } from '../features/partials.js';
import type { Features, Partials, Summary, WindowKind } from '../features/summary.js';
import { ByteReader, ByteWriter } from '../store/bytes.js';
import { readNumber, readText, writeNumber, writeText } from './numbers.js';

const KINDS: readonly WindowKind[] = ['tumbling', 'hopping', 'session'];
const PARTIALS = ['count', 'sum', 'sumSq', 'min', 'max', 'first', 'firstTs', 'last', 'lastTs', 'tRef', 'sumT', 'sumTT', 'sumTV'] as const satisfies ReadonlyArray<keyof Partials>;
/** Partials that are instants: stored relative to the window start. */
const INSTANTS = new Set<keyof Partials>(['firstTs', 'lastTs', 'tRef']);
const FEATURES = ['count', 'sum', 'min', 'max', 'mean', 'std', 'rms', 'first', 'last', 'slope', 'peakToPeak'] as const satisfies ReadonlyArray<keyof Features>;
const SUMMARY_KEYS = new Set(['id', 'revision', 'gateway', 'device', 'metric', 'window', 'features', 'partials', 'emittedAt', 'retracted', 'score']);
const WINDOW_KEYS = new Set(['kind', 'start', 'end', 'size', 'slide']);
const SCORE_KEYS = new Set(['model', 'version', 'value', 'threshold']);

const RETRACTED = 1;
const SLIDE = 2;
const FEATURES_STORED = 4;
const SCORE = 8;

/** Write the summary's body (id and revision live in the outbox header); false, writing nothing useful, if it has fields this codec does not know. */
export function encodeSummary(s: Summary, w: ByteWriter): boolean {
  if (!knowsEveryField(s)) return false;
  const derived = sameFeatures(deriveFeatures(s.partials), s.features);
  const win = s.window;
  w.uvarint((s.retracted === true ? RETRACTED : 0) | (win.slide !== undefined ? SLIDE : 0) | (derived ? 0 : FEATURES_STORED) | (s.score ? SCORE : 0));
  w.uvarint(KINDS.indexOf(win.kind));
  writeText(w, s.gateway);
  writeText(w, s.device);
  writeText(w, s.metric);
  writeNumber(w, win.start);
  writeNumber(w, win.end, win.start);
  writeNumber(w, win.size);
  if (win.slide !== undefined) writeNumber(w, win.slide);
  writeNumber(w, s.emittedAt, win.end);
  for (const k of PARTIALS) writeNumber(w, s.partials[k], INSTANTS.has(k) ? win.start : undefined);
  if (!derived) for (const k of FEATURES) writeNumber(w, s.features[k]);
  if (s.score) {
    writeText(w, s.score.model);
    writeText(w, s.score.version);
    writeNumber(w, s.score.value);
    writeNumber(w, s.score.threshold);
  }
  return true;
}

export function decodeSummary(id: string, revision: number, r: ByteReader): Summary {
  const flags = r.uvarint();
  const kind = KINDS[r.uvarint()];
  if (kind === undefined) throw r.corrupt('unknown window kind');
  const gateway = readText(r);
  const device = readText(r);
  const metric = readText(r);
  const start = readNumber(r);
  const end = readNumber(r, start);
  const size = readNumber(r);
  const window = flags & SLIDE ? { kind, start, end, size, slide: readNumber(r) } : { kind, start, end, size };
  const emittedAt = readNumber(r, end);
  const partials = {} as Partials;
  for (const k of PARTIALS) partials[k] = readNumber(r, INSTANTS.has(k) ? start : undefined);
  let features: Features;
  if (flags & FEATURES_STORED) {
    features = {} as Features;
    for (const k of FEATURES) features[k] = readNumber(r);
  } else {
    features = deriveFeatures(partials);
  }
  const score = flags & SCORE ? { model: readText(r), version: readText(r), value: readNumber(r), threshold: readNumber(r) } : undefined;
  if (!r.done) throw r.corrupt('bytes after the summary');
  return {
    id, revision, gateway, device, metric, window, features, partials, emittedAt,
    ...(flags & RETRACTED ? { retracted: true } : {}),
    ...(score ? { score } : {}),
  };
}

// Runs for every summary the outbox takes (~5,000 in a window-boundary burst of 1,000 devices):
// own keys are walked with for…in, not Object.keys, and without closures: with four arrays and
// two closures per summary this check was ~7 MB of a burst's garbage in an allocation profile,
// ~1.4 MB after. Summaries are plain objects: for…in sees exactly their own keys.
function knowsEveryField(s: Summary): boolean {
  if (!onlyKeys(s, SUMMARY_KEYS) || !onlyKeys(s.window, WINDOW_KEYS)) return false;
  if (!KINDS.includes(s.window.kind)) return false;
  if (s.retracted !== undefined && s.retracted !== true) return false;
  if (!onlyNumbers(s.partials, PARTIALS) || !onlyNumbers(s.features, FEATURES)) return false;
  if (s.score !== undefined && (!onlyKeys(s.score, SCORE_KEYS) || typeof s.score.model !== 'string' || typeof s.score.version !== 'string')) return false;
  return true;
}

function onlyKeys(o: object, known: ReadonlySet<string>): boolean {
  for (const k in o) if (!known.has(k)) return false;
  return true;
}

/** Exactly the keys `names`, each a number. */
function onlyNumbers<K extends string>(o: Readonly<Record<K, unknown>>, names: readonly K[]): boolean {
  let n = 0;
  for (const _ in o) n++;
  if (n !== names.length) return false;
  for (const k of names) if (typeof o[k] !== 'number') return false;
  return true;
}

function sameFeatures(a: Features, b: Features): boolean {
  return FEATURES.every((k) => Object.is(a[k], b[k]));
}
