// Replays a recording through the gateway's own analysis pipeline — the same window engine,
// models, detectors and alert rules — in accelerated event time on a fake clock, and maps what
// the pipeline decided back onto the recording's rows.
//
// A row's result is that of the first window of the judged window spec that contains it: the one
// whose end is the first boundary after the row. That window holds only the row and earlier data,
// so the per-row score is causal; it becomes known when the next row closes the window.
//
// Rules judged on each reading (`reading-threshold`) judge every row as it enters the windows, as
// the gateway judges a reading once it is logged: a row whose reading raised such an alert counts
// as raised itself, and its alert is open from that row on.

import type { AlertEvent } from '../alert/alert.js';
import { Analysis, type AlertRules, type Judged } from '../analysis/analysis.js';
import { deviceKinds } from '../analysis/device-kinds.js';
import { analysisMetrics } from '../analysis/metrics.js';
import { Scorer } from '../analysis/scorer.js';
import type { Clock } from '../clock/clock.js';
import { FakeClock } from '../clock/fake-clock.js';
import type { WindowSpecConfig } from '../config/schema.js';
import type { ScoringModel } from '../model/contract.js';
import { windowMatches } from '../model/feature-rows.js';
import { silentLogger } from '../observe/log.js';
import { Registry } from '../observe/metrics.js';
import type { RecordingRow } from '../recording/recording.js';
import { createWindowEngine } from '../window/engine.js';

export interface ReplayOptions {
  readonly device: string;
  /** Every window the engine keeps (the judged one among them). */
  readonly windows: readonly WindowSpecConfig[];
  /** The window whose verdicts are mapped onto rows: tumbling or hopping. */
  readonly judged: WindowSpecConfig;
  readonly models?: readonly ScoringModel[];
  /** Alert rules and detectors, made on the replay's clock. */
  readonly rules?: (clock: Clock) => AlertRules;
  /** Device kinds, when models or rules name kinds. */
  readonly kinds?: Readonly<Record<string, readonly string[]>>;
  /** Called for every judged window of every spec (e.g. to gather features for fitting). */
  readonly onJudged?: (judged: Judged) => void;
}

export interface RowResult {
  /** The model score of the row's window; NaN where no model scored it. */
  readonly score: number;
  /** An alert was open for the device once the row's window was judged (or, for a per-reading rule, once the row was). */
  readonly alertOpen: boolean;
  /** The row's window, or a per-reading rule on the row itself, raised an alert (NAB counts these as detections). */
  readonly raised: boolean;
  /** Whether any detector fired on the row's window. */
  readonly detectorFired: boolean;
  /** The largest detector statistic on the row's window; NaN where no detector ran. */
  readonly statistic: number;
}

export interface ReplayResult {
  readonly rows: RowResult[];
  readonly events: AlertEvent[];
  readonly judged: number;
}

interface WindowVerdict {
  score: number;
  alertOpen: boolean;
  raised: boolean;
  detectorFired: boolean;
  statistic: number;
}

const NO_VERDICT: RowResult = { score: Number.NaN, alertOpen: false, raised: false, detectorFired: false, statistic: Number.NaN };

/** The end of the first window of `spec` that contains `ts`. */
function firstEnd(spec: WindowSpecConfig, ts: number): number {
  if (spec.kind === 'session') throw new TypeError('eval judges tumbling or hopping windows, not sessions');
  const step = spec.kind === 'hopping' ? spec.slideMs : spec.sizeMs;
  return Math.floor(ts / step) * step + step;
}

export async function replay(rows: readonly RecordingRow[], o: ReplayOptions): Promise<ReplayResult> {
  if (rows.length === 0) return { rows: [], events: [], judged: 0 };
  const clock = new FakeClock(rows[0]!.ts);
  const metrics = analysisMetrics(new Registry());
  const verdicts = new Map<number, WindowVerdict>();
  const open = new Set<string>();
  /** Open alerts of per-reading rules: their state belongs to rows, not windows. */
  const openReading = new Set<string>();
  const rowReading: Array<{ raised: boolean; open: boolean }> = [];
  const events: AlertEvent[] = [];
  const fresh: WindowVerdict[] = [];
  let judgedCount = 0;
  const log = silentLogger();
  const analysis = new Analysis({
    scorer: new Scorer({ models: o.models ?? [], kindOf: deviceKinds(o.kinds ?? {}), log, metrics }),
    ...(o.rules ? { rules: o.rules(clock) } : {}),
    retainMs: 0,
    log,
    metrics,
    onSummaries: () => {},
    onAlerts: (es) => {
      for (const e of es) {
        events.push(e);
        const set = e.ruleType === 'reading-threshold' ? openReading : open;
        if (e.state === 'cleared') set.delete(e.id);
        else set.add(e.id);
      }
    },
    onJudged: (j) => {
      o.onJudged?.(j);
      if (!windowMatches(o.judged, j.observation.window) || j.observation.revised) return;
      judgedCount++;
      const verdict = {
        score: j.score?.value ?? Number.NaN,
        alertOpen: false,
        raised: j.events.some((e) => e.state === 'raised'),
        detectorFired: j.detectors.some((d) => d.fired),
        statistic: j.detectors.reduce((m, d) => (Number.isNaN(m) || d.statistic > m ? d.statistic : m), Number.NaN),
      };
      verdicts.set(j.observation.window.end, verdict);
      fresh.push(verdict);
    },
  });
  const engine = createWindowEngine({
    gateway: 'eval',
    windows: o.windows,
    maxOutOfOrdernessMs: 0,
    allowedLatenessMs: 0,
    // Event time drives everything in a replay; the idle rule must never close windows early.
    idleTimeoutMs: 2 ** 31 - 1,
    maxKeys: 10_000,
    clock,
    onSummary: (s) => analysis.summary(s),
    onLate: () => {},
    onRejected: () => {},
  });
  const settle = async (): Promise<void> => {
    await analysis.settle();
    // A batch's alert events reach onAlerts after all its windows were judged: the alert state
    // after the batch is that of the window(s) in it (one per row, at most a few, in a replay).
    for (const v of fresh) v.alertOpen = open.size > 0;
    fresh.length = 0;
  };
  try {
    for (const row of rows) {
      if (row.ts > clock.now()) clock.set(row.ts);
      const reading = { device: o.device, ts: row.ts, tsFromArrival: false, receivedAt: row.ts, values: row.values };
      engine.add(reading);
      const before = events.length;
      analysis.reading(reading);
      rowReading.push({ raised: events.slice(before).some((e) => e.state === 'raised'), open: openReading.size > 0 });
      analysis.seen(o.device, row.ts);
      await settle();
    }
    engine.flush();
    await settle();
  } finally {
    engine.close();
  }
  const out = rows.map((row) => {
    const v = verdicts.get(firstEnd(o.judged, row.ts));
    return v ? { score: v.score, alertOpen: v.alertOpen, raised: v.raised, detectorFired: v.detectorFired, statistic: v.statistic } : NO_VERDICT;
  });
  // Only the first row of a window carries its raise, so one detection is counted once; a
  // per-reading raise belongs to its own row.
  const seenEnds = new Set<number>();
  rows.forEach((row, i) => {
    const end = firstEnd(o.judged, row.ts);
    const own = rowReading[i]!;
    const raised = (out[i]!.raised && !seenEnds.has(end)) || own.raised;
    if (raised !== out[i]!.raised || (own.open && !out[i]!.alertOpen)) out[i] = { ...out[i]!, raised, alertOpen: out[i]!.alertOpen || own.open };
    seenEnds.add(end);
  });
  return { rows: out, events, judged: judgedCount };
}
