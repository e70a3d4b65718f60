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
// ~2 KB a window against ~0.3 KB (heap snapshots at 1,000 devices: 7.7 MB against 0.55 MB). A
// device's kept windows are a short list searched by window, not a map by a key string: at 5,000
// kept windows the keys (cons strings of five parts) and the records' shapes were 2 MB more.

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

/** A kept window's features. */
class Recent {
  constructor(
    readonly window: WindowRef,
    /** Feature names, in the order of `values`; the same array for a device's windows while its names stay the same. */
    readonly names: readonly string[],
    readonly values: readonly number[],
  ) {}
}

/** `features` kept for `window`, reusing `names` when they are the same, in the same order. */
function compact(window: WindowRef, features: Record<string, number>, names: readonly string[] | undefined): Recent {
  const keys = Object.keys(features);
  const same = names !== undefined && names.length === keys.length && keys.every((k, i) => k === names[i]);
  return new Recent(window, same ? names : keys, keys.map((k) => features[k]!));
}

const sameWindow = (a: WindowRef, b: WindowRef): boolean => a.start === b.start && a.size === b.size && a.kind === b.kind && a.slide === b.slide;

/** The index of `window` in a device's kept windows, −1 when not kept. */
const indexOf = (recent: readonly Recent[], window: WindowRef): number => recent.findIndex((r) => sameWindow(r.window, window));

function expand(r: Recent): Record<string, number> {
  const features: Record<string, number> = {};
  for (let i = 0; i < r.names.length; i++) features[r.names[i]!] = r.values[i]!;
  return features;
}

export class ObservationAssembler {
  /** device → features of its windows that may still be revised, oldest first. */
  readonly #recent = new Map<string, Recent[]>();
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
    for (const recent of this.#recent.values()) n += recent.length;
    return n;
  }

  add(summary: Summary): void {
    const key = windowKey(summary.device, summary.window);
    let obs = this.#pending.get(key);
    if (obs === undefined) {
      const prior = this.#kept(summary.device, summary.window);
      obs = { device: summary.device, window: summary.window, features: prior ? expand(prior) : {}, summaries: [], revised: prior !== undefined || summary.revision > 0 };
      this.#pending.set(key, obs);
    }
    obs.summaries.push(summary);
    if (summary.retracted) {
      const recent = this.#recent.get(summary.device) ?? [];
      const i = indexOf(recent, summary.window);
      if (i >= 0) recent.splice(i, 1);
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
        recent = [];
        this.#recent.set(obs.device, recent);
      }
      const kept = compact(obs.window, obs.features, recent.at(-1)?.names);
      const i = indexOf(recent, obs.window);
      if (i >= 0) recent.splice(i, 1);
      recent.push(kept);
      this.#prune(recent, obs.window.end);
    }
    return out;
  }

  /** Forget a device (it went idle and the window engine dropped it). */
  forget(device: string): void {
    this.#recent.delete(device);
  }

  #kept(device: string, window: WindowRef): Recent | undefined {
    const recent = this.#recent.get(device) ?? [];
    const i = indexOf(recent, window);
    return i >= 0 ? recent[i] : undefined;
  }

  #prune(recent: Recent[], newestEnd: number): void {
    let kept = 0;
    for (const r of recent) if (r.window.end + this.retainMs >= newestEnd) recent[kept++] = r;
    recent.length = kept;
  }
}
