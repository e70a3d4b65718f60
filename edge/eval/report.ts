// What `tributary eval` found, per recording and over all of them, as text for people or JSON.

import { summariseDetections, type LeadTimeReport } from './lead-time.js';
import { sumNabScores, type NabFileResult, type NabTotals } from './nab-score.js';
import { evaluateSkab, type SkabReport } from './skab-metrics.js';

export interface FileOutcome {
  readonly file: string;
  readonly device: string;
  readonly rows: number;
  /** Rows the pipeline was fitted or calibrated on, left out of the scores. */
  readonly fitRows: number;
  /** Which labels scored it: SKAB point labels, NAB windows, or none. */
  readonly style: 'skab' | 'nab' | 'none';
  readonly recipe: readonly string[];
  readonly fitted?: string;
  /** Per row: timestamp, anomaly score (model score, else detector statistic), alert (raised for NAB, open otherwise). */
  readonly ts: readonly number[];
  readonly score: readonly number[];
  readonly alert: Uint8Array;
  /** Alerts raised. */
  readonly raised: number;
  readonly skab?: { readonly labels: Uint8Array; readonly lead: LeadTimeReport };
  readonly nab?: { readonly result: NabFileResult; readonly lead: LeadTimeReport };
}

export interface EvalReport {
  readonly files: readonly FileOutcome[];
  readonly skab?: SkabReport & { readonly lead: LeadTimeReport };
  readonly nab?: { readonly totals: Record<string, NabTotals>; readonly lead: LeadTimeReport };
}

export function summarise(files: readonly FileOutcome[]): EvalReport {
  const skab = files.filter((f) => f.skab);
  const nab = files.filter((f) => f.nab);
  return {
    files,
    ...(skab.length
      ? { skab: { ...evaluateSkab(skab.map((f) => ({ name: f.file, labels: f.skab!.labels, alerts: f.alert }))), lead: summariseDetections(skab.flatMap((f) => f.skab!.lead.anomalies)) } }
      : {}),
    ...(nab.length ? { nab: { totals: sumNabScores(nab.map((f) => f.nab!.result)), lead: summariseDetections(nab.flatMap((f) => f.nab!.lead.anomalies)) } } : {}),
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');
const num = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const duration = (ms: number) => (!Number.isFinite(ms) ? '-' : Math.abs(ms) >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : Math.abs(ms) >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(0)} s`);

/** Files named from their common folder: `valve1/0.csv`, `realKnownCause/nyc_taxi.csv`. */
function shortNames(files: readonly string[]): Map<string, string> {
  const parts = files.map((f) => f.split('/'));
  let common = 0;
  while (parts.every((p) => p.length > common + 2 && p[common] === parts[0]![common])) common++;
  return new Map(files.map((f, i) => [f, parts[i]!.slice(common).join('/')]));
}

export function renderReport(r: EvalReport, verbose = false): string {
  const out: string[] = [];
  const name = shortNames(r.files.map((f) => f.file));
  const recipes = new Set(r.files.map((f) => f.recipe.join('\n')));
  for (const recipe of recipes) out.push('Pipeline (the same recipe for each recording, fitted on its own first rows):', ...recipe.split('\n').map((l) => `  ${l}`), '');
  if (r.skab) {
    out.push(`SKAB point labels: ${r.files.filter((f) => f.skab).length} file(s); the first ${r.files.find((f) => f.skab)!.fitRows} rows of each fit the pipeline and are not scored`);
    out.push(`  ${'file'.padEnd(40)} ${'F1'.padStart(6)} ${'FAR'.padStart(7)} ${'MAR'.padStart(7)}  alerts  first alert after onset`);
    r.skab.files.forEach((f) => {
      const o = r.files.find((x) => x.file === f.name)!;
      out.push(`  ${name.get(f.name)!.padEnd(40)} ${num(f.metrics.f1).padStart(6)} ${pct(f.metrics.far).padStart(7)} ${pct(f.metrics.mar).padStart(7)}  ${String(o.raised).padStart(6)}  ${duration(o.skab!.lead.medianDelay)}`);
    });
    const m = r.skab.overall;
    out.push(`  ${'all files (counts pooled, as SKAB scores)'.padEnd(40)} ${num(m.f1).padStart(6)} ${pct(m.far).padStart(7)} ${pct(m.mar).padStart(7)}`);
    out.push(`  anomalies detected ${r.skab.lead.detected} of ${r.skab.lead.detected + r.skab.lead.missed}; delay from onset: median ${duration(r.skab.lead.medianDelay)}, mean ${duration(r.skab.lead.meanDelay)}`, '');
  }
  if (r.nab) {
    out.push('NAB window labels: normalised scores (100 perfect, 0 a detector that never fires); the probationary period fits the pipeline and is not scored');
    out.push(`  ${'file'.padEnd(56)} ${'standard'.padStart(9)} ${'low FP'.padStart(8)} ${'low FN'.padStart(8)}  detections  windows hit  lead (median)`);
    for (const f of r.files.filter((x) => x.nab)) {
      const s = f.nab!.result.scores;
      const hit = f.nab!.lead.detected;
      out.push(
        `  ${name.get(f.file)!.padEnd(56)} ${num(s['standard']!.normalised, 1).padStart(9)} ${num(s['reward_low_FP_rate']!.normalised, 1).padStart(8)} ${num(s['reward_low_FN_rate']!.normalised, 1).padStart(8)}  ${String(f.raised).padStart(10)}  ${`${hit}/${hit + f.nab!.lead.missed}`.padStart(11)}  ${duration(f.nab!.lead.medianLead)}`,
      );
    }
    const t = (p: string) => num(r.nab!.totals[p]!.normalised, 1);
    out.push(`  ${'all files (raw scores summed)'.padEnd(56)} ${t('standard').padStart(9)} ${t('reward_low_FP_rate').padStart(8)} ${t('reward_low_FN_rate').padStart(8)}`, '');
  }
  for (const f of r.files.filter((x) => x.style === 'none')) out.push(`${name.get(f.file)}: ${f.rows} rows, no labels; ${f.raised} alert(s) raised after the first ${f.fitRows} rows`);
  if (verbose) for (const f of r.files) out.push(`${name.get(f.file)}: ${f.fitted ?? ''}`);
  return `${out.join('\n').trimEnd()}\n`;
}

/** The report without per-row arrays, for --json. */
export function reportJson(r: EvalReport): string {
  const drop = new Set(['ts', 'score', 'alert', 'labels', 'perRow']);
  return `${JSON.stringify(r, (k, v: unknown) => (drop.has(k) ? undefined : typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
