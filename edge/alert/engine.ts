// The alert engine: runs the streaming detectors on each closed device window, then the alert
// rules, and turns bad and good windows — and, for `reading-threshold`, bad and good readings —
// into alert events (raised, updated, cleared) per device.
//
// Lifecycle: construct → observe() once per closed device window, in window order per device;
// reading() on every reading as it enters the windows (ingest-log order), seen() on every reading
// as it arrives, tick() on the clock for `silent` rules (run) → snapshot() for a
// checkpoint; restore() it into a new engine after a crash, or takeOver() a running engine's state
// when a config push changes the rules. Everything runs on the injected clock
// only, so `tributary eval` replays recordings through it on a fake clock.
//
// Bounded state: a device idle (no reading, no window) for forgetAfterMs with no open alert is
// forgotten on tick(); beyond maxDevices devices, new devices are counted and skipped. Per device:
// one history per detector (at most its window of values) and one small track per rule.

import type { Clock } from '../clock/clock.js';
import { checkAnalysisConfig } from '../config/analysis-check.js';
import type { AlertRuleConfig, DetectorConfig, ReadingRuleConfig, WindowedRuleConfig } from '../config/analysis-schema.js';
import type { Reading } from '../decode/reading.js';
import type { WindowSpec } from '../window/contract.js';
import { windowKey } from '../window/key.js';
import type { AlertEvent, DetectorResult, WindowObservation } from './alert.js';
import { DetectorSet, type DetectorCounters, type DetectorInstances } from './detector-set.js';
import { emit, newTrack, readingBasis, step, windowBasis, type Track } from './occurrence.js';
import { judge, judgeReading } from './rule-types.js';
import { Scope } from './scope.js';
import { checkSilence, type SilentRule } from './silent.js';
import { checkSnapshot, type DeviceSnapshot, type EngineSnapshot } from './snapshot.js';
import { StateCut } from './state-cut.js';

export interface AlertEngineOptions {
  /** This gateway's id: part of every alert id. */
  readonly gateway: string;
  /** Schema-valid rules (defaults filled in), names unique. */
  readonly rules: readonly AlertRuleConfig[];
  /** Schema-valid detectors (defaults filled in), names unique. Default none. */
  readonly detectors?: readonly DetectorConfig[];
  /** The window of detectors and rules that name none. */
  readonly defaultWindow: WindowSpec;
  readonly clock: Clock;
  /** A device's kind, for `kinds` filters; without it, kind filters match no device. */
  readonly kindOf?: (device: string) => string | undefined;
  /** Idle time after which a device without open alerts is forgotten (ms, gateway clock, default 86 400 000). */
  readonly forgetAfterMs?: number;
  /** Bound on devices held (default 100 000). */
  readonly maxDevices?: number;
}

export interface RuleCounters {
  readonly raised: number;
  readonly updated: number;
  readonly cleared: number;
}

/** Plain numbers for metrics; counts since construction (a restore does not bring them back). */
export interface AlertEngineCounters {
  /** Per configured rule, by name. */
  readonly rules: Readonly<Record<string, RuleCounters>>;
  /** Per configured detector, by name. */
  readonly detectors: Readonly<Record<string, Readonly<DetectorCounters>>>;
  readonly observations: number;
  /** Observations skipped because their window ended no later than one already observed for that device and window definition. */
  readonly stale: number;
  /** Observations and readings of new devices skipped because maxDevices devices were held. */
  readonly refused: number;
  /** Devices forgotten after forgetAfterMs idle. */
  readonly forgotten: number;
}

export interface Observed {
  /** The results of the detectors that ran on this observation. */
  readonly detectors: DetectorResult[];
  readonly events: AlertEvent[];
}

interface DeviceState {
  /** Gateway clock of the last observe() or seen(). */
  lastActive: number;
  /** Gateway clock of the last reading (seen()). */
  lastSeen?: number;
  /** windowKey → end of the last window observed. */
  readonly lastEnd: Map<string, number>;
  readonly detectors: DetectorInstances;
  /** Rule name → its track on this device. */
  readonly tracks: Map<string, Track>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const nothing = (): Observed => ({ detectors: [], events: [] });
/** What reading() returns for almost every reading: shared, so the common case allocates nothing. */
const NO_EVENTS: readonly AlertEvent[] = Object.freeze([]);

export class AlertEngine {
  readonly #gateway: string;
  readonly #clock: Clock;
  readonly #kindOf: (device: string) => string | undefined;
  readonly #forgetAfterMs: number;
  readonly #maxDevices: number;
  readonly #windowed: ReadonlyArray<{ readonly rule: WindowedRuleConfig; readonly scope: Scope }>;
  readonly #silent: ReadonlyArray<{ readonly rule: SilentRule; readonly scope: Scope }>;
  /** metric → the reading rules watching it: a reading carrying none of these metrics is skipped after one lookup each. */
  readonly #byMetric: ReadonlyMap<string, ReadonlyArray<{ readonly rule: ReadingRuleConfig; readonly scope: Scope }>>;
  readonly #rules: ReadonlyMap<string, AlertRuleConfig>;
  readonly #detectors: DetectorSet;
  readonly #devices = new Map<string, DeviceState>();
  /** Checkpoint cuts whose text is still being made: a device they still need is copied before it changes. */
  readonly #cuts = new Set<StateCut<DeviceState>>();
  readonly #ruleCounters: Record<string, Mutable<RuleCounters>>;
  readonly #counters: Mutable<Omit<AlertEngineCounters, 'rules' | 'detectors'>> = { observations: 0, stale: 0, refused: 0, forgotten: 0 };
  /** Silence is counted from here at the earliest (the last restore). */
  #countFrom = -Infinity;

  constructor(options: AlertEngineOptions) {
    const { gateway, rules, detectors = [], defaultWindow, clock } = options;
    if (typeof gateway !== 'string' || gateway.length === 0) throw new TypeError('gateway must be a non-empty string');
    if (typeof clock?.now !== 'function') throw new TypeError('clock is required');
    this.#forgetAfterMs = options.forgetAfterMs ?? 86_400_000;
    this.#maxDevices = options.maxDevices ?? 100_000;
    if (!(this.#forgetAfterMs > 0)) throw new TypeError(`forgetAfterMs must be positive, got ${this.#forgetAfterMs}`);
    if (!(Number.isSafeInteger(this.#maxDevices) && this.#maxDevices >= 1)) throw new TypeError(`maxDevices must be a positive integer, got ${this.#maxDevices}`);
    const alerts = { rules: [...rules], forgetAfterMs: this.#forgetAfterMs, maxDevices: this.#maxDevices };
    // Whether each window is one of windows.definitions is the config loader's check: it knows them.
    const problems = checkAnalysisConfig({ detectors, alerts }, { defaultWindow });
    if (problems.length) throw new TypeError(`alert engine config: ${problems.join('; ')}`);

    this.#gateway = gateway;
    this.#clock = clock;
    this.#kindOf = options.kindOf ?? (() => undefined);
    this.#detectors = new DetectorSet(detectors, defaultWindow);
    this.#windowed = rules.filter((r) => r.type !== 'silent' && r.type !== 'reading-threshold').map((rule) => ({ rule, scope: new Scope(rule, defaultWindow) }));
    this.#silent = rules.filter((r) => r.type === 'silent').map((rule) => ({ rule, scope: new Scope(rule) }));
    const byMetric = new Map<string, Array<{ readonly rule: ReadingRuleConfig; readonly scope: Scope }>>();
    for (const rule of rules) if (rule.type === 'reading-threshold') byMetric.set(rule.metric, [...(byMetric.get(rule.metric) ?? []), { rule, scope: new Scope(rule) }]);
    this.#byMetric = byMetric;
    this.#rules = new Map(rules.map((r) => [r.name, r]));
    this.#ruleCounters = Object.fromEntries(rules.map((r) => [r.name, { raised: 0, updated: 0, cleared: 0 }]));
  }

  get counters(): AlertEngineCounters {
    return { ...this.#counters, rules: this.#ruleCounters, detectors: this.#detectors.counters };
  }

  /** Devices currently holding state. */
  get devices(): number {
    return this.#devices.size;
  }

  /**
   * One device's closed window: the detectors that apply run first, then the rules that look at
   * this window see their results (and any already in `obs.detectors`). Observations of a window
   * definition must come in window order per device; an older or repeated one is counted as stale
   * and changes nothing.
   */
  observe(obs: WindowObservation): Observed {
    this.#counters.observations++;
    const dev = this.#device(obs.device);
    if (!dev) return nothing();
    this.#touch(obs.device);
    const now = this.#clock.now();
    dev.lastActive = now;
    const window = windowKey(obs.window);
    const last = dev.lastEnd.get(window);
    if (last !== undefined && obs.window.end <= last) {
      this.#counters.stale++;
      return nothing();
    }
    dev.lastEnd.set(window, obs.window.end);
    const kind = this.#kindLookup(obs.device);
    const detectors = this.#detectors.run(obs, window, kind, dev.detectors);
    const results = obs.detectors?.length ? [...obs.detectors, ...detectors] : detectors;
    const events: AlertEvent[] = [];
    for (const { rule, scope } of this.#windowed) {
      if (scope.window !== window || !scope.includes(obs.device, kind)) continue;
      const track = this.#track(dev, rule.name);
      const j = judge(rule, obs, results, track.memory);
      const event = j && step(track, j, { gateway: this.#gateway, device: obs.device, rule, emittedAt: now }, windowBasis(obs.window));
      if (event) events.push(this.#count(event));
    }
    return { detectors, events };
  }

  /**
   * One reading as the ingest log takes it, in log order: the `reading-threshold` rules
   * watching a metric it carries and this device judge it, each event at the reading's ts. A
   * reading none of them watches costs one lookup per watched metric and leaves every state as it
   * was; so does a value that is not finite. Called in the same order on a replay, it re-creates
   * the same events.
   */
  reading(r: Reading): readonly AlertEvent[] {
    if (this.#byMetric.size === 0) return NO_EVENTS;
    let events: AlertEvent[] | undefined;
    let dev: DeviceState | undefined;
    let kind: (() => string | undefined) | undefined;
    let now = 0;
    for (const [metric, watching] of this.#byMetric) {
      if (r.values[metric] === undefined) continue;
      kind ??= this.#kindLookup(r.device);
      for (const { rule, scope } of watching) {
        if (!scope.includes(r.device, kind)) continue;
        const j = judgeReading(rule, r.values);
        if (!j) continue;
        if (!dev) {
          dev = this.#device(r.device);
          if (!dev) return events ?? NO_EVENTS;
          this.#touch(r.device);
          now = this.#clock.now();
          dev.lastActive = now;
        }
        const event = step(this.#track(dev, rule.name), j, { gateway: this.#gateway, device: r.device, rule, emittedAt: now }, readingBasis(r));
        if (event) (events ??= []).push(this.#count(event));
      }
    }
    return events ?? NO_EVENTS;
  }

  /** A reading from `device` arrived at `at` (gateway clock): `silent` rules count from the latest. */
  seen(device: string, at: number): void {
    const dev = this.#device(device);
    if (!dev) return;
    this.#touch(device);
    dev.lastActive = this.#clock.now();
    if (dev.lastSeen === undefined || at > dev.lastSeen) dev.lastSeen = at;
    for (const { rule } of this.#silent) {
      const open = dev.tracks.get(rule.name)?.open;
      if (open && open.resumedAt === undefined) open.resumedAt = at;
    }
  }

  /**
   * On the gateway clock: raise `silent` for devices quiet too long, clear those that resumed, and
   * forget idle devices. Call it every second or so; its cost is O(devices × silent rules).
   */
  tick(): AlertEvent[] {
    const now = this.#clock.now();
    const events: AlertEvent[] = [];
    for (const [device, dev] of this.#devices) {
      if (dev.lastSeen !== undefined && this.#silent.length > 0) {
        this.#touch(device);
        const kind = this.#kindLookup(device);
        for (const { rule, scope } of this.#silent) {
          if (!scope.includes(device, kind)) continue;
          const track = this.#track(dev, rule.name);
          const event = checkSilence(track, { gateway: this.#gateway, device, rule, emittedAt: now }, dev.lastSeen, this.#countFrom, now);
          if (event) events.push(this.#count(event));
        }
      }
      if (now - dev.lastActive >= this.#forgetAfterMs && !hasOpen(dev)) {
        this.#devices.delete(device);
        this.#counters.forgotten++;
      }
    }
    return events;
  }

  /** The latest event of every open occurrence, by device then rule. */
  open(): AlertEvent[] {
    const out: AlertEvent[] = [];
    for (const dev of this.#devices.values()) for (const track of dev.tracks.values()) if (track.open) out.push(track.open.last);
    return out;
  }

  /** All detector and rule state as plain JSON, a copy: what a config push hands over (takeOver). A checkpoint takes cut(). */
  snapshot(): EngineSnapshot {
    return this.#snapshot(structuredClone);
  }

  /**
   * The state as of now, for a checkpoint: its text() is JSON.stringify(snapshot()) as of now, made
   * later across turns of the loop while the engine runs on (state-cut.ts). Taking it costs one
   * pointer per device; close() it if its text is not wanted after all.
   */
  cut(options: { readonly turnBudgetMs?: number } = {}): AlertStateCut {
    const cut: StateCut<DeviceState> = new StateCut({
      ...options,
      head: { version: 1, gateway: this.#gateway, takenAt: this.#clock.now() },
      devices: this.#devices,
      view: (dev) => this.#saveDevice(dev, (track) => track),
      copy: (dev) => this.#saveDevice(dev, copyTrack),
      done: () => this.#cuts.delete(cut),
    });
    this.#cuts.add(cut);
    return cut;
  }

  #snapshot(copy: (track: SavedTrack) => SavedTrack): EngineSnapshot {
    const devices: Record<string, DeviceSnapshot> = {};
    for (const [device, dev] of this.#devices) devices[device] = this.#saveDevice(dev, copy);
    return { version: 1, gateway: this.#gateway, takenAt: this.#clock.now(), devices };
  }

  #saveDevice(dev: DeviceState, copy: (track: SavedTrack) => SavedTrack): DeviceSnapshot {
    const tracks: DeviceSnapshot['tracks'] = {};
    for (const [rule, t] of dev.tracks) tracks[rule] = copy({ bad: t.bad, good: t.good, memory: t.memory, ...(t.open && { open: t.open }) });
    return {
      lastActive: dev.lastActive,
      ...(dev.lastSeen !== undefined && { lastSeen: dev.lastSeen }),
      lastEnd: Object.fromEntries(dev.lastEnd),
      detectors: this.#detectors.save(dev.detectors),
      tracks,
    };
  }

  /** `device` is about to change: cuts still writing their text copy it first. */
  #touch(device: string): void {
    if (this.#cuts.size === 0) return;
    for (const cut of this.#cuts) cut.capture(device);
  }

  /**
   * Replace all state with a checkpoint's. State of detectors and rules no longer configured is
   * dropped; an alert left open by a rule that is gone is cleared, and that event returned (send
   * it like any other). Silence is counted from now at the earliest. Throws ERR_ALERT_RESTORE.
   */
  restore(state: unknown): AlertEvent[] {
    const snapshot = checkSnapshot(state, this.#gateway);
    const now = this.#clock.now();
    const events: AlertEvent[] = [];
    this.#devices.clear();
    for (const [device, saved] of Object.entries(snapshot.devices)) {
      if (this.#devices.size >= this.#maxDevices) {
        this.#counters.refused++;
        continue;
      }
      const tracks = new Map<string, Track>();
      for (const [name, t] of Object.entries(saved.tracks)) {
        const track: Track = structuredClone(t);
        const rule = this.#rules.get(name);
        if (rule && (!track.open || track.open.last.ruleType === rule.type)) tracks.set(name, track);
        else if (track.open) events.push(goneRuleCleared(track, now));
      }
      this.#devices.set(device, {
        lastActive: saved.lastActive,
        ...(saved.lastSeen !== undefined && { lastSeen: saved.lastSeen }),
        lastEnd: new Map(Object.entries(saved.lastEnd)),
        detectors: this.#detectors.load(saved.detectors),
        tracks,
      });
    }
    this.#countFrom = now;
    return events;
  }

  /**
   * Take over `previous`'s state, as a config push changing rules or detectors does: restore() of
   * its snapshot (state of rules and detectors still configured is kept, alerts of rules gone are
   * cleared and those events returned), except that silence keeps being counted as before.
   */
  takeOver(previous: AlertEngine): AlertEvent[] {
    const events = this.restore(previous.snapshot());
    this.#countFrom = previous.#countFrom;
    return events;
  }

  #device(device: string): DeviceState | undefined {
    let dev = this.#devices.get(device);
    if (dev) return dev;
    if (this.#devices.size >= this.#maxDevices) {
      this.#counters.refused++;
      return undefined;
    }
    dev = { lastActive: this.#clock.now(), lastEnd: new Map(), detectors: new Map(), tracks: new Map() };
    this.#devices.set(device, dev);
    return dev;
  }

  #track(dev: DeviceState, rule: string): Track {
    let track = dev.tracks.get(rule);
    if (!track) dev.tracks.set(rule, (track = newTrack()));
    return track;
  }

  /** A device's kind, asked of kindOf at most once per call site and only if a filter needs it. */
  #kindLookup(device: string): () => string | undefined {
    let known = false;
    let kind: string | undefined;
    return () => {
      if (!known) [known, kind] = [true, this.#kindOf(device)];
      return kind;
    };
  }

  #count(event: AlertEvent): AlertEvent {
    this.#ruleCounters[event.rule]![event.state]++;
    return event;
  }
}

/** What a checkpoint's text needs of a device's state to stay as it was at the cut. */
export type AlertStateCut = Pick<StateCut<unknown>, 'text' | 'close'>;

type SavedTrack = DeviceSnapshot['tracks'][string];

/**
 * A saved track copied as deep as judging changes a track in place: the score rule pushes to
 * `memory.recent`, an open occurrence has `last`, `reported`, `resumedAt` set and `variants` pushed
 * to. (`memory.previous` and the events are replaced, never changed.) Key order stays, so the text
 * is the same.
 */
function copyTrack(t: SavedTrack): SavedTrack {
  const memory = t.memory.recent ? { ...t.memory, recent: [...t.memory.recent] } : { ...t.memory };
  if (!t.open) return { ...t, memory };
  return { ...t, memory, open: t.open.variants ? { ...t.open, variants: [...t.open.variants] } : { ...t.open } };
}

function hasOpen(dev: DeviceState): boolean {
  for (const t of dev.tracks.values()) if (t.open) return true;
  return false;
}

/** The cleared event of an occurrence whose rule was removed from the config while the gateway was down. */
function goneRuleCleared(track: Track, now: number): AlertEvent {
  const last = track.open!.last;
  // The rule as it was configured when raised: the event kept it in its evidence.
  const rule = { ...last.evidence.rule, name: last.rule, type: last.ruleType, severity: last.severity } as AlertRuleConfig;
  return emit(track, { gateway: last.gateway, device: last.device, rule, emittedAt: now }, 'cleared', now, `rule ${last.rule} is no longer configured`, {});
}
