// Window summaries for cloud tests and benchmarks, built the way the edge builds them: partials
// from values at timestamps inside the window, features derived, the deterministic id.

import { addValue, deriveFeatures, emptyPartials } from '../../edge/features/partials.js';
import { summaryId, type Summary, type WindowKind } from '../../edge/features/summary.js';

export interface WindowSpec {
  readonly gateway?: string;
  readonly device: string;
  readonly metric: string;
  readonly kind?: WindowKind;
  readonly start: number;
  /** Window size (or session gap), ms; default 10 000. */
  readonly size?: number;
  readonly slide?: number;
  readonly revision?: number;
  /** Values, spread evenly over the window (default: one value, 1). */
  readonly values?: readonly number[];
  readonly retracted?: boolean;
  readonly emittedAt?: number;
}

export function windowSummary(w: WindowSpec): Summary {
  const gateway = w.gateway ?? 'gw-1';
  const kind = w.kind ?? 'tumbling';
  const size = w.size ?? 10_000;
  const values = w.values ?? [1];
  const p = emptyPartials(w.start);
  const step = Math.max(1, Math.floor(size / values.length));
  values.forEach((v, i) => addValue(p, w.start + i * step, v));
  const end = kind === 'session' ? w.start + (values.length - 1) * step + size : w.start + size;
  return {
    id: summaryId(gateway, w.device, w.metric, kind, w.start, size),
    revision: w.revision ?? 0,
    gateway,
    device: w.device,
    metric: w.metric,
    window: w.slide === undefined ? { kind, start: w.start, end, size } : { kind, start: w.start, end, size, slide: w.slide },
    features: deriveFeatures(p),
    partials: p,
    emittedAt: w.emittedAt ?? end,
    ...(w.retracted ? { retracted: true } : {}),
  };
}

/** `n` values from a seeded random source around `level`. */
export function noisyValues(random: () => number, n: number, level: number, spread: number): number[] {
  return Array.from({ length: n }, () => level + (random() * 2 - 1) * spread);
}
