// Child process of the `e2e` benchmark: the simulated fleet, speaking real MQTT to the gateway.
// The simulator's own devices (devices/: motors, pumps, environment sensors) plus "probe" devices
// with two alerting metrics:
// - vib_rms, above the window rule's threshold in every other window, so every window a probe
//   closes raises or clears a windowed alert, all probes at the same window boundary;
// - load, crossing the reading rule's threshold once per window length, each probe at its own
//   moment within the window, so reading alerts arrive spread over time as real ones do.
// For every device it records when the reading that closes a window was published: the first
// reading whose timestamp moves the device's watermark (newest timestamp − maxOutOfOrdernessMs) to
// the window's end or past it (edge/window/engine.ts). Before that reading nobody — gateway or cloud
// — can know the window's summary or its alert, so the windowed latencies start there. For every
// probe it records when a reading whose load crossed the threshold was published: the reading
// alert's latency starts there.

import { Fleet, type FleetDevice } from '../../../devices/fleet.js';
import type { DeviceMessage } from '../../../devices/message.js';
import { validateScenario } from '../../../devices/scenario/load.js';
import { planFleet } from '../../../devices/scenario/plan.js';
import type { ReadingStream } from '../../../devices/stream.js';
import { MqttTransport } from '../../../devices/transport/mqtt.js';
import { buildFleet } from '../../../devices/transport/registry.js';
import { systemClock } from '../../../edge/clock/clock.js';
import { staggerOf } from '../../../edge/window/stagger.js';
import { onMessage, send, sendLast } from '../ingest/child.js';
import { preciseNow } from '../stats.js';

export interface E2eFleetArgs {
  readonly url: string;
  readonly groups: ReadonlyArray<{ readonly kind: 'motor' | 'pump' | 'environment'; readonly count: number; readonly idPrefix: string }>;
  /** Probe devices `probe-<n>` besides the groups. */
  readonly probes: number;
  /** Readings per second of every device. */
  readonly ratePerSec: number;
  readonly seed: number;
  /** Tumbling window size the windows end on (every window definition ends on its multiples). */
  readonly windowMs: number;
  readonly outOfOrdernessMs: number;
  /** The gateway's windows.staggerMs: a device's watermark lags a further staggerOf(device) (ms). */
  readonly staggerMs: number;
  /** A probe's vib_rms in its quiet and its hot windows, and its load below and above the reading rule's threshold. */
  readonly probeValues: readonly [number, number];
}

/** [device, window end, publish time of the closing reading (ms, preciseNow), its timestamp]. */
export type Closing = [string, number, number, number];

/** [device, timestamp of a reading whose load crossed the threshold, its publish time (ms, preciseNow)]. */
export type Crossing = [string, number, number];

export type FromE2eFleet = { type: 'ready'; devices: number } | { type: 'done'; sent: number; errors: number; closings: Closing[]; crossings: Crossing[] };

/** A device whose vib_rms is high in alternate windows (which ones: by its index) and whose load flips once per window length, at a moment of its own. */
class ProbeDevice implements ReadingStream {
  readonly suppressed = 0;
  readonly #period: number;
  readonly #phase: number;
  /** Where in the window this probe's load flips (ms). */
  readonly #loadPhase: number;
  #k = 0;
  #loadHot: boolean | undefined;

  constructor(
    readonly device: string,
    private readonly index: number,
    private readonly startTime: number,
    private readonly a: E2eFleetArgs,
    private readonly crossings: Crossing[],
  ) {
    this.#period = 1000 / a.ratePerSec;
    // Spread over one period, as real devices are not synchronised.
    this.#phase = ((index * 0.618_034) % 1) * this.#period;
    this.#loadPhase = Math.floor(((index * 0.381_966) % 1) * a.windowMs);
  }

  get nextAt(): number {
    return this.#phase + this.#k * this.#period;
  }

  take(): DeviceMessage[] {
    const ts = Math.floor(this.startTime + this.nextAt);
    this.#k++;
    const hot = (Math.floor(ts / this.a.windowMs) + this.index) % 2 === 0;
    const loadHot = Math.floor((ts + this.#loadPhase) / this.a.windowMs) % 2 === 0;
    // Published right after take(); a device's first reading crosses nothing.
    if (this.#loadHot !== undefined && loadHot !== this.#loadHot) this.crossings.push([this.device, ts, preciseNow()]);
    this.#loadHot = loadHot;
    const [low, high] = this.a.probeValues;
    return [{ device: this.device, kind: 'good', ts, values: { vib_rms: hot ? high : low, load: loadHot ? high : low } }];
  }

  flush(): DeviceMessage[] {
    return [];
  }
}

/** Wraps a device's stream and notes when a reading closes windows (the fleet publishes it right after take()). */
class ClosingRecorder implements ReadingStream {
  #lastEnd = Number.NaN;
  /** How far the gateway's watermark for this device lags its newest reading. */
  readonly #lag: number;

  constructor(
    private readonly inner: ReadingStream,
    private readonly out: Closing[],
    private readonly a: E2eFleetArgs,
  ) {
    this.#lag = a.outOfOrdernessMs + staggerOf(inner.device, a.staggerMs);
  }

  get device(): string {
    return this.inner.device;
  }

  get nextAt(): number {
    return this.inner.nextAt;
  }

  get suppressed(): number {
    return this.inner.suppressed;
  }

  take(): DeviceMessage[] {
    const messages = this.inner.take();
    const at = preciseNow();
    for (const m of messages) {
      if (m.kind !== 'good') continue;
      const end = Math.floor((m.ts - this.#lag) / this.a.windowMs) * this.a.windowMs;
      if (end > this.#lastEnd || Number.isNaN(this.#lastEnd)) {
        // The device's first reading closes nothing: it had no window open before it.
        if (!Number.isNaN(this.#lastEnd)) this.out.push([m.device, end, at, m.ts]);
        this.#lastEnd = end;
      }
    }
    return messages;
  }

  flush(): DeviceMessage[] {
    return this.inner.flush();
  }
}

const args = JSON.parse(process.argv[2]!) as E2eFleetArgs;
const scenario = validateScenario({
  gateway: { url: args.url, qos: 0 },
  speedup: 1,
  seed: args.seed,
  groups: args.groups.map((g) => ({ ...g, ratePerSec: args.ratePerSec })),
});
const plan = planFleet(scenario, systemClock.now());
const built = buildFleet(scenario, plan);
const probeIds = Array.from({ length: args.probes }, (_, i) => `probe-${String(i).padStart(3, '0')}`);
const probeTransport = new MqttTransport({ url: args.url, topicPrefix: scenario.gateway.topicPrefix, devices: probeIds, qos: 0 });
const closings: Closing[] = [];
const crossings: Crossing[] = [];
const devices: FleetDevice[] = [
  ...built.devices,
  ...probeIds.map((id, i) => ({ stream: new ProbeDevice(id, i, plan.startTime, args, crossings), transport: probeTransport })),
].map((d) => ({ stream: new ClosingRecorder(d.stream, closings, args), transport: d.transport }));
const fleet = new Fleet(devices, { clock: systemClock, speedup: 1, startTime: plan.startTime });
await fleet.open();
send<FromE2eFleet>({ type: 'ready', devices: devices.length });

let running: Promise<unknown> | undefined;
onMessage<{ cmd: 'go' | 'stop' }>(async (m) => {
  if (m.cmd === 'go') running = fleet.run();
  else if (m.cmd === 'stop') {
    fleet.stop();
    await running;
    const totals = fleet.counts.totals();
    await fleet.close();
    sendLast<FromE2eFleet>({ type: 'done', sent: totals.good, errors: totals.errors, closings, crossings });
  }
});
