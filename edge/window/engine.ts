// The event-time window engine: routes each metric of a reading to its (device, metric) key, keeps
// each device's watermark, and closes, revises and purges windows as the watermark moves.
//
// Watermark W of a device = max(largest ts − lag, idle advance), where the lag is
// maxOutOfOrdernessMs plus the device's share of staggerMs (stagger.ts). A reading with
// ts + allowedLatenessMs < W is too late (onLate, joins nothing); one with ts < W is late and
// revises the closed windows it lands in. Work happens only when W reaches the device's
// `nextWake`, the next instant at which any window can close or be purged, so most readings only
// touch one pane per metric.
//
// So that keys do not grow forever, a key is dropped once it retains nothing (every window and pane
// past lateness), and a device once it has no keys and has been idle for idleTimeoutMs.

import type { Clock, TimerHandle } from '../clock/clock.js';
import type { Reading } from '../decode/reading.js';
import { codedError, type TributaryError } from '../errors/catalogue.js';
import type { WindowEngine, WindowEngineOptions, WindowEngineStats } from './contract.js';
import { SummaryEmitter } from './emitter.js';
import { checkOptions } from './options.js';
import { PaneWindows } from './pane-windows.js';
import { SessionWindows } from './session-windows.js';
import { staggerOf } from './stagger.js';
import { checkCompatible, restoreDevice, snapshotConfig, snapshotDevice, SNAPSHOT_VERSION, type WindowSnapshot } from './snapshot.js';
import { DeviceState, KeyState, type KeyShape } from './state.js';

export interface EngineStart {
  /**
   * Continue from a snapshot taken by `snapshot()`. Throws ERR_CHECKPOINT_INCOMPATIBLE when it was
   * taken under other window settings (gateway, windows, maxOutOfOrdernessMs, allowedLatenessMs).
   */
  readonly from?: WindowSnapshot;
  /**
   * Do not start the idle timer until `startIdleTimer()`: while the log tail is replayed, a tick
   * would see devices not yet replayed as silent and push their watermarks past their readings.
   */
  readonly holdIdleTimer?: boolean;
}

/** Create the window engine; it starts its idle timer on `options.clock` at once (unref'd) unless held. */
export function createWindowEngine(options: WindowEngineOptions, start: EngineStart = {}): WindowEngine {
  return new EventTimeWindowEngine(options, start) satisfies WindowEngine;
}

/** The idle rule runs at least this often (ms), so a silent device's windows close within ~1 s of its timeout. */
const MAX_IDLE_CHECK_MS = 1000;

class EventTimeWindowEngine implements WindowEngine {
  readonly #devices = new Map<string, DeviceState>();
  readonly #clock: Clock;
  readonly #ooo: number;
  readonly #stagger: number;
  readonly #lateness: number;
  readonly #idleTimeout: number;
  readonly #maxKeys: number;
  readonly #maxExtent: number;
  readonly #paneSpecs: number;
  readonly #sessionSpecs: number;
  readonly #shape: KeyShape;
  readonly #emitter: SummaryEmitter;
  readonly #panes: PaneWindows;
  readonly #sessions: SessionWindows;
  readonly #onLate: (reading: Reading, watermark: number) => void;
  readonly #onRejected: (reading: Reading, metric: string, error: TributaryError) => void;
  readonly #options: WindowEngineOptions;
  readonly #period: number;
  /** The idle timer ticks at #timerOrigin + k · #period, also across a snapshot and restore. */
  readonly #timerOrigin: number;
  #timer: TimerHandle | undefined;
  #closed = false;
  #keys = 0;
  #readingsIn = 0;
  #valuesIn = 0;
  #lateAccepted = 0;
  #lateRejected = 0;

  constructor(options: WindowEngineOptions, start: EngineStart) {
    const plan = checkOptions(options);
    this.#options = options;
    this.#clock = options.clock;
    this.#ooo = options.maxOutOfOrdernessMs;
    this.#stagger = options.staggerMs ?? 0;
    this.#lateness = options.allowedLatenessMs;
    this.#idleTimeout = options.idleTimeoutMs;
    this.#maxKeys = options.maxKeys;
    this.#maxExtent = plan.maxExtent;
    this.#paneSpecs = plan.paneSpecs.length;
    this.#sessionSpecs = plan.sessionSpecs.length;
    // A key keeps its panes from W − maxSize − lateness to its newest reading (W + the device's lag),
    // plus the partial pane at each end: room for those at once, and at most 64 (1 ms panes could need thousands).
    const steady = plan.paneMs > 0 ? Math.ceil((plan.maxSize + this.#lateness + this.#ooo + this.#stagger) / plan.paneMs) + 2 : 0;
    this.#shape = { paneSpecs: this.#paneSpecs, sessionSpecs: this.#sessionSpecs, paneCapacity: Math.min(64, steady) };
    this.#onLate = options.onLate;
    this.#onRejected = options.onRejected;
    this.#emitter = new SummaryEmitter(options.gateway, options.clock, options.onSummary);
    this.#panes = new PaneWindows(plan, this.#lateness, this.#emitter);
    this.#sessions = new SessionWindows(plan, this.#lateness, this.#emitter);
    this.#period = Math.min(this.#idleTimeout, MAX_IDLE_CHECK_MS);
    this.#timerOrigin = start.from?.timerOrigin ?? this.#clock.now();
    if (start.from) this.#restore(start.from);
    if (!start.holdIdleTimer) this.startIdleTimer();
  }

  add(reading: Reading): void {
    if (this.#closed) throw new TypeError('window engine is closed');
    this.#readingsIn++;
    const now = this.#clock.now();
    const ts = reading.ts;
    let dev = this.#devices.get(reading.device);
    if (dev === undefined) {
      dev = new DeviceState(reading.device, now, this.#lagOf(reading.device));
      this.#devices.set(reading.device, dev);
    }
    dev.lastArrival = now;
    let w = dev.watermark;
    // Decided per reading, before touching any window.
    if (ts + this.#lateness < w) {
      this.#lateRejected++;
      this.#onLate(reading, w);
      return;
    }
    const late = ts < w;
    if (late) this.#lateAccepted++;
    if (ts > dev.maxTs) {
      dev.maxTs = ts;
      // Close what the new watermark passes before adding: ts is then the newest, so ts > W.
      if (ts - dev.lag > w) {
        dev.watermark = w = ts - dev.lag;
        if (w >= dev.nextWake) this.#wake(dev);
      }
    }
    const values = reading.values;
    const names = dev.names;
    const cached = dev.cached;
    let i = 0; // position among this reading's accepted metrics
    for (const metric in values) {
      let key = names[i] === metric ? cached[i] : undefined;
      if (key === undefined) {
        key = this.#keyFor(dev, reading, metric);
        if (key === undefined) {
          names.length = i; // keep the cache dense; later names are re-learned
          cached.length = i;
          continue;
        }
        names[i] = metric;
        cached[i] = key;
      }
      i++;
      const v = values[metric] as number;
      this.#valuesIn++;
      if (this.#paneSpecs > 0) {
        if (late) this.#panes.addLate(key, ts, v, w);
        else this.#panes.add(key, ts, v);
      }
      if (this.#sessionSpecs > 0) {
        const wake = this.#sessions.add(key, ts, v, w);
        if (wake < dev.nextWake) dev.nextWake = wake;
      }
    }
  }

  advance(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    for (const dev of this.#devices.values()) {
      const idle = now - dev.lastArrival;
      if (idle < this.#idleTimeout) continue;
      // A silent device's watermark follows the clock, so its windows still close.
      const w = dev.maxTs + idle - dev.lag;
      if (w > dev.watermark) {
        dev.watermark = w;
        if (w >= dev.nextWake) this.#wake(dev);
      }
      // Forgetting the device forgets its watermark too: a much-delayed replay from it would then be
      // windowed afresh. That is the price of bounded state for devices that never come back.
      if (dev.keys.size === 0) this.#devices.delete(dev.id);
    }
  }

  flush(): void {
    if (this.#closed) return;
    for (const dev of this.#devices.values()) {
      // Every window ends at most maxExtent after the device's newest reading.
      const w = dev.maxTs + this.#maxExtent;
      if (w > dev.watermark) dev.watermark = w;
      this.#wake(dev);
    }
  }

  watermark(device: string): number | undefined {
    return this.#devices.get(device)?.watermark;
  }

  get stats(): WindowEngineStats {
    let windowsOpen = 0;
    for (const dev of this.#devices.values()) {
      for (const key of dev.keys.values()) {
        if (this.#paneSpecs > 0) windowsOpen += this.#panes.openCount(key, dev.watermark);
        if (this.#sessionSpecs > 0) windowsOpen += this.#sessions.openCount(key);
      }
    }
    return { ...this.#counters(), keys: this.#keys, windowsOpen, devices: this.#devices.size };
  }

  startIdleTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const now = this.#clock.now();
    if (now === this.#timerOrigin) {
      this.#timer = this.#clock.setInterval(() => this.advance(), this.#period);
    } else {
      // Keep the phase: the next tick is the first origin + k · period after now.
      const next = this.#timerOrigin + (Math.floor((now - this.#timerOrigin) / this.#period) + 1) * this.#period;
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = this.#clock.setInterval(() => this.advance(), this.#period);
        this.#timer.unref();
        this.advance();
      }, next - now);
    }
    this.#timer.unref();
  }

  snapshot(): WindowSnapshot {
    return {
      v: SNAPSHOT_VERSION,
      takenAt: this.#clock.now(),
      config: snapshotConfig(this.#options),
      timerOrigin: this.#timerOrigin,
      counters: this.#counters(),
      devices: [...this.#devices.values()].map(snapshotDevice),
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clear(this.#timer);
    this.#timer = undefined;
    this.#devices.clear();
    this.#keys = 0;
  }

  #counters(): WindowSnapshot['counters'] {
    return {
      readingsIn: this.#readingsIn,
      valuesIn: this.#valuesIn,
      lateAccepted: this.#lateAccepted,
      lateRejected: this.#lateRejected,
      summariesOut: this.#emitter.summariesOut,
      revisionsOut: this.#emitter.revisionsOut,
    };
  }

  #restore(from: WindowSnapshot): void {
    checkCompatible(from, this.#options);
    for (const d of from.devices) {
      const dev = restoreDevice(d, this.#shape, this.#lagOf(d.id));
      this.#devices.set(dev.id, dev);
      this.#keys += dev.keys.size;
    }
    const c = from.counters;
    this.#readingsIn = c.readingsIn;
    this.#valuesIn = c.valuesIn;
    this.#lateAccepted = c.lateAccepted;
    this.#lateRejected = c.lateRejected;
    this.#emitter.summariesOut = c.summariesOut;
    this.#emitter.revisionsOut = c.revisionsOut;
  }

  #lagOf(device: string): number {
    return this.#ooo + staggerOf(device, this.#stagger);
  }

  #keyFor(dev: DeviceState, reading: Reading, metric: string): KeyState | undefined {
    let key = dev.keys.get(metric);
    if (key === undefined) {
      if (this.#keys >= this.#maxKeys) {
        this.#onRejected(reading, metric, codedError('ERR_WINDOW_KEY_LIMIT', [this.#maxKeys]));
        return undefined;
      }
      key = new KeyState(dev.id, metric, this.#shape);
      dev.keys.set(metric, key);
      this.#keys++;
    }
    return key;
  }

  /** Emit what the watermark passed since the last wake, purge what lateness no longer needs, drop empty keys. */
  #wake(dev: DeviceState): void {
    const w0 = dev.processedW;
    const w1 = dev.watermark;
    let next = this.#paneSpecs > 0 ? this.#panes.nextEvent(w1) : Infinity;
    let dropped = false;
    for (const key of dev.keys.values()) {
      if (this.#paneSpecs > 0) {
        this.#panes.close(key, w0, w1);
        this.#panes.purge(key, w1);
      }
      if (this.#sessionSpecs > 0) next = Math.min(next, this.#sessions.close(key, w1));
      if (key.empty) {
        dev.keys.delete(key.metric);
        this.#keys--;
        dropped = true;
      }
    }
    if (dropped) dev.resetCache();
    dev.processedW = w1;
    dev.nextWake = next;
  }
}
