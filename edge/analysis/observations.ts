// Gathers the per-metric summaries of one device's window into one observation: every metric's
// features as `<metric>.<feature>`. All metrics of a device close together (the watermark is per
// device), so the summaries emitted in one turn of the event loop form complete observations.
//
// A revision (late data) re-emits only the metrics it changed; the assembler keeps each device's
// recent windows so the revised observation still carries every metric's features. Only windows
// a model scores are kept (`keep`): a revision is scored again but never judged by the rules, so
// any other window's features would be held for nothing. (With 1,000 devices, three metrics and
// the default windows, keeping every window for allowed lateness + the longest window held about
// 19,000 feature records, 35 MB of the gateway's heap; see docs on memory.)
//
// A kept window's features are held as an array of numbers beside its device's list of names
// (shared by the device's windows while its metrics stay the same), not as the observation's
// object: with dozens of `<metric>.<feature>` keys that object is a hash table of boxed numbers,
// ~2 KB a window against ~0.3 KB (heap snapshots at 1,000 devices: 7.7 MB against 0.55 MB).

import type { Summary, WindowRef } from '../features/summary.js';
import { flattenFeatures } from '../model/feature-vector.js';

export interface Observation {
  readonly device: string;
  readonly window: WindowRef;
  readonly features: Record<string, number>;
  /** The summaries (this turn's emissions) the observation came from. */
  readonly summaries: Summary[];
  /** True when a window already observed changed (late data): scored again, but rules do not count it twice. */
  readonly revised: boolean;
}

/** The key naming one device's window, whatever the metric. */
export function windowKey(device: string, w: WindowRef): string {
  return `${device}\u0000${w.kind}\u0000${w.size}\u0000${w.slide ?? 0}\u0000${w.start}`;
}

interface Recent {
  /** Feature names, in the order of `values`; the same array for a device's windows while its names stay the same. */
  readonly names: readonly string[];
  readonly values: number[];
  readonly end: number;
}

/** The names and values of `features`, reusing `names` when they are the same, in the same order. */
function compact(features: Record<string, number>, names: readonly string[] | undefined): Pick<Recent, 'names' | 'values'> {
  const keys = Object.keys(features);
  const same = names !== undefined && names.length === keys.length && keys.every((k, i) => k === names[i]);
  return { names: same ? names : keys, values: keys.map((k) => features[k]!) };
}

function expand(r: Recent): Record<string, number> {
  const features: Record<string, number> = {};
  for (let i = 0; i < r.names.length; i++) features[r.names[i]!] = r.values[i]!;
  return features;
}

export class ObservationAssembler {
  /** device → window key → features of windows that may still be revised. */
  readonly #recent = new Map<string, Map<string, Recent>>();
  #pending = new Map<string, Observation>();

  /**
   * @param retainMs how long after its end (event time) a window can still be revised: allowed lateness + out-of-orderness + the longest window.
   * @param keep whether a device's window is worth keeping for its revisions (default: every window).
   */
  constructor(
    private readonly retainMs: number,
    private readonly keep: (device: string, window: WindowRef) => boolean = () => true,
  ) {}

  get pending(): number {
    return this.#pending.size;
  }

  /** Windows kept for revisions, over all devices. */
  get retained(): number {
    let n = 0;
    for (const recent of this.#recent.values()) n += recent.size;
    return n;
  }

  add(summary: Summary): void {
    const key = windowKey(summary.device, summary.window);
    let obs = this.#pending.get(key);
    if (obs === undefined) {
      const prior = this.#recent.get(summary.device)?.get(key);
      obs = { device: summary.device, window: summary.window, features: prior ? expand(prior) : {}, summaries: [], revised: prior !== undefined || summary.revision > 0 };
      this.#pending.set(key, obs);
    }
    obs.summaries.push(summary);
    if (summary.retracted) {
      this.#recent.get(summary.device)?.delete(key);
      return;
    }
    flattenFeatures(summary.metric, summary.features, obs.features);
  }

  /** The observations gathered since the last drain, in emission order; remembers them for revisions. */
  drain(): Observation[] {
    const out = [...this.#pending.values()];
    this.#pending = new Map();
    for (const obs of out) {
      if (obs.summaries.every((s) => s.retracted) || !this.keep(obs.device, obs.window)) continue;
      let recent = this.#recent.get(obs.device);
      if (recent === undefined) {
        recent = new Map();
        this.#recent.set(obs.device, recent);
      }
      const key = windowKey(obs.device, obs.window);
      recent.set(key, { ...compact(obs.features, this.#lastNames(recent)), end: obs.window.end });
      this.#prune(recent, obs.window.end);
    }
    return out;
  }

  /** Forget a device (it went idle and the window engine dropped it). */
  forget(device: string): void {
    this.#recent.delete(device);
  }

  /** The names of the device's newest kept window: the ones its next window most likely has. */
  #lastNames(recent: Map<string, Recent>): readonly string[] | undefined {
    let names: readonly string[] | undefined;
    for (const r of recent.values()) names = r.names;
    return names;
  }

  #prune(recent: Map<string, Recent>, newestEnd: number): void {
    for (const [key, r] of recent) if (r.end + this.retainMs < newestEnd) recent.delete(key);
  }
}
