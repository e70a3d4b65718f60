// Shared by the alert tests: builds an engine from raw (schema-defaulted) config on a fake clock,
// makes one device's 10 s tumbling windows from a list of values, and spells events briefly.

import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { AlertEvent, ModelScore, WindowObservation } from '../../edge/alert/alert.js';
import { AlertEngine, type AlertEngineOptions } from '../../edge/alert/engine.js';
import { validateAnalysisConfig } from '../../edge/config/analysis-load.js';
import type { WindowSpec } from '../../edge/window/contract.js';

/** Windows in the tables are 10 s tumbling windows; window i is [T0 + 10 s·i, T0 + 10 s·(i + 1)). */
export const T0 = Date.UTC(2024, 10, 24, 12, 0, 0);
export const SIZE = 10_000;
export const GATEWAY = 'gw-1';
export const TEN_S: WindowSpec = { kind: 'tumbling', sizeMs: SIZE };
export const ONE_MIN: WindowSpec = { kind: 'hopping', sizeMs: 60_000, slideMs: SIZE };

export interface Setup {
  readonly rules?: readonly unknown[];
  readonly detectors?: readonly unknown[];
  readonly alerts?: Readonly<Record<string, unknown>>;
  readonly kinds?: Readonly<Record<string, string>>;
  readonly clock?: FakeClock;
}

/** An engine from raw config (defaults filled in by the schema, as the gateway's loader does). */
export function engineFor(setup: Setup, extra: Partial<AlertEngineOptions> = {}): { engine: AlertEngine; clock: FakeClock } {
  const config = validateAnalysisConfig(
    { detectors: setup.detectors ?? [], alerts: { ...setup.alerts, rules: setup.rules ?? [] } },
    { definitions: [TEN_S, ONE_MIN] },
  );
  const clock = setup.clock ?? new FakeClock(T0);
  const kinds = setup.kinds ?? {};
  const engine = new AlertEngine({
    gateway: GATEWAY,
    rules: config.alerts.rules,
    detectors: config.detectors,
    defaultWindow: TEN_S,
    clock,
    kindOf: (d) => kinds[d],
    forgetAfterMs: config.alerts.forgetAfterMs,
    maxDevices: config.alerts.maxDevices,
    ...extra,
  });
  return { engine, clock };
}

/** Window i of a device, with the given features and score. */
export function obs(i: number, features: Record<string, number>, options: { device?: string; score?: number; window?: WindowSpec } = {}): WindowObservation {
  const spec = options.window ?? TEN_S;
  const size = spec.kind === 'session' ? spec.gapMs : spec.sizeMs;
  const end = T0 + SIZE * (i + 1);
  const window = spec.kind === 'hopping' ? { kind: spec.kind, start: end - size, end, size, slide: spec.slideMs } : { kind: spec.kind, start: end - size, end, size };
  const score: ModelScore | undefined = options.score === undefined ? undefined : { model: 'motor', version: '1', value: options.score, threshold: 0.5 };
  return { device: options.device ?? 'd1', window, features, ...(score && { score }) };
}

/** `raised@3`: the event's state and the index of the window it happened at (or its ms after T0, for silent: `raised@+65000`). */
export function brief(e: AlertEvent): string {
  const i = (e.at - T0) / SIZE - 1;
  return `${e.state}@${Number.isInteger(i) && e.ruleType !== 'silent' ? i : `+${e.at - T0}`}${e.device === 'd1' ? '' : `:${e.device}`}`;
}

/** Feed windows 0.. of one feature (null: the window lacks it), moving the clock to each window's end; every event, briefly. */
export function feed(engine: AlertEngine, clock: FakeClock, values: readonly (number | null)[], make: (i: number, v: number | null) => WindowObservation): { events: AlertEvent[]; briefs: string[] } {
  const events: AlertEvent[] = [];
  values.forEach((v, i) => {
    clock.set(Math.max(clock.now(), T0 + SIZE * (i + 1)));
    events.push(...engine.observe(make(i, v)).events);
  });
  return { events, briefs: events.map(brief) };
}
