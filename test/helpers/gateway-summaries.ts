// Window summaries made the way a gateway makes them: readings of a few devices run through the
// edge's window engine (10-second tumbling windows, as the edge default), some of them late, so
// closed windows are revised (revision 1, 2, ...) as they would be on a real gateway.

import { FakeClock } from '../../edge/clock/fake-clock.js';
import type { Summary } from '../../edge/features/summary.js';
import { createWindowEngine } from '../../edge/window/engine.js';
import { prng } from './prng.js';

export interface GatewayFleetSpec {
  readonly gateway: string;
  readonly devices: number;
  readonly metrics: readonly string[];
  /** Event time of the first reading (ms; align it to 10 s). */
  readonly start: number;
  /** Seconds of readings per device (one reading a second). */
  readonly seconds: number;
  readonly seed: number;
  /** Share of readings that arrive late, behind the watermark but within the allowed lateness (0-1). */
  readonly lateShare?: number;
}

/** Every summary the gateway emits, revisions included, in emission order. */
export function gatewaySummaries(spec: GatewayFleetSpec): Summary[] {
  const random = prng(spec.seed);
  const clock = new FakeClock(spec.start);
  const out: Summary[] = [];
  const engine = createWindowEngine({
    gateway: spec.gateway,
    windows: [{ kind: 'tumbling', sizeMs: 10_000 }],
    maxOutOfOrdernessMs: 1000,
    allowedLatenessMs: 60_000,
    idleTimeoutMs: 600_000,
    maxKeys: 100_000,
    clock,
    onSummary: (s) => out.push(s),
    onLate: () => {},
    onRejected: () => {},
  });
  const devices = Array.from({ length: spec.devices }, (_, d) => `${spec.gateway}-dev-${d}`);
  const late: Array<{ due: number; device: string; ts: number; values: Record<string, number> }> = [];
  for (let s = 0; s < spec.seconds; s++) {
    const ts = spec.start + s * 1000;
    clock.advance(ts - clock.now());
    for (const [d, device] of devices.entries()) {
      const values = Object.fromEntries(spec.metrics.map((m, k) => [m, 20 + d + 5 * k + Math.sin(s / 30) * 3 + (random() - 0.5)]));
      // A late reading turns up 15 s after its time: its window has closed and is revised.
      if (random() < (spec.lateShare ?? 0)) late.push({ due: ts + 15_000, device, ts, values });
      else engine.add({ device, ts, tsFromArrival: false, receivedAt: ts, values });
    }
    while (late.length > 0 && late[0]!.due <= ts) {
      const r = late.shift()!;
      engine.add({ device: r.device, ts: r.ts, tsFromArrival: false, receivedAt: ts, values: r.values });
    }
  }
  for (const r of late) engine.add({ device: r.device, ts: r.ts, tsFromArrival: false, receivedAt: r.due, values: r.values });
  engine.flush();
  engine.close();
  return out;
}
