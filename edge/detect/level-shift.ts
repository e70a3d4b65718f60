// `level-shift`: tells a sustained change of level from an isolated spike, by comparing the median
// of the last S values (recent) with the median of the R values before them (reference), in the
// reference's robust standard deviations.
//
// - level shift: |median(recent) − median(reference)| / scale > threshold. The median of S values
//   moves only once more than half of them have moved, so one wild value never reads as a shift.
// - spike: the newest value alone is far out, |x − median(reference)| / scale > spikeThreshold,
//   while the recent median is not. Causally a new level's first ⌈S/2⌉ − 1 values look exactly
//   like that, so they report `spike`, and `level-shift` follows as soon as the recent median moves.
//
// Why this and not CUSUM: machine faults seen through window summaries are mostly large steps
// (a load lost, a sensor failing, a bearing heating) and single glitches; the two medians name
// which one it is, are in the same robust-z units as `robust-z`, and forget a new level by
// construction once it fills the reference (S + R/2 values), with no accumulator to reset. CUSUM
// would catch smaller drifts sooner, at the cost of conflating a large spike with a shift.

import { Type, type Static } from '@sinclair/typebox';
import { scaleFloor, type Detector, type DetectorKind, type DetectorVerdict } from './contract.js';
import { RollingWindow, robustScale } from './rolling-window.js';

const params = Type.Object(
  {
    recent: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'S: values in the recent window, the newest included (default 5); with 1, every outlier reads as a level shift' }),
    reference: Type.Integer({ minimum: 3, maximum: 10000, default: 30, description: 'R: values in the reference window just before the recent one (default 30)' }),
    minSamples: Type.Integer({ minimum: 3, maximum: 10000, default: 20, description: 'warm-up: reference values needed before anything fires (default 20, at most `reference`)' }),
    threshold: Type.Number({ exclusiveMinimum: 0, default: 3, description: 'level shift: |median(recent) − median(reference)| above this many robust standard deviations (default 3)' }),
    spikeThreshold: Type.Number({ exclusiveMinimum: 0, default: 6, description: 'spike: the newest value alone this many robust standard deviations out (default 6)' }),
    spikes: Type.Boolean({ default: true, description: 'report spikes; false: fire on level shifts only (default true)' }),
    minScale: Type.Number({ minimum: 0, default: 0, description: "floor on the reference's robust spread, in the feature's own units (default 0: only a 1e-9 relative guard)" }),
  },
  { additionalProperties: false, default: {} },
);

class LevelShift implements Detector {
  readonly #recent: RollingWindow;
  readonly #reference: RollingWindow;

  constructor(
    private readonly p: Static<typeof params>,
    history: readonly number[],
  ) {
    this.#recent = new RollingWindow(p.recent);
    this.#reference = new RollingWindow(p.reference);
    for (const v of history.slice(-(p.recent + p.reference))) this.#add(v);
  }

  update(value: number): DetectorVerdict {
    this.#add(value);
    const ref = this.#reference;
    const { threshold, spikeThreshold } = this.p;
    if (ref.size < this.p.minSamples) return { statistic: 0, threshold, fired: false };
    const centre = ref.median();
    const scale = robustScale(ref, centre, scaleFloor(this.p.minScale, centre));
    const shift = Math.abs(this.#recent.median() - centre) / scale;
    if (shift > threshold) return { statistic: shift, threshold, fired: true, change: 'level-shift' };
    const point = Math.abs(value - centre) / scale;
    if (this.p.spikes && point > spikeThreshold) return { statistic: point, threshold: spikeThreshold, fired: true, change: 'spike' };
    return { statistic: shift, threshold, fired: false };
  }

  history(): number[] {
    return [...this.#reference.values(), ...this.#recent.values()];
  }

  /** The newest value joins the recent window; the one it pushes out joins the reference. */
  #add(value: number): void {
    const older = this.#recent.push(value);
    if (older !== undefined) this.#reference.push(older);
  }
}

export const levelShift = {
  params,
  create: (p, history = []) => new LevelShift(p, history),
} satisfies DetectorKind<typeof params>;
