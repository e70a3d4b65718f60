// `robust-z`: how far a value lies from the rolling median of the last K values, in robust standard
// deviations (1.4826·MAD) — a z-score that a few outliers in the history cannot drag.
//
// The value is scored against the K values before it, then joins them, fired or not: the median
// and MAD ignore up to half the history being outliers, so a spike does not poison them, while a
// lasting level shift is learned once it fills about K/2 of the history (it fires until then;
// the `level-shift` detector names such shifts as shifts).

import { Type, type Static } from '@sinclair/typebox';
import { scaleFloor, type Detector, type DetectorKind, type DetectorVerdict } from './contract.js';
import { RollingWindow, robustScale } from './rolling-window.js';

const params = Type.Object(
  {
    window: Type.Integer({ minimum: 3, maximum: 10000, default: 60, description: 'history length K (values, i.e. windows of the feature; default 60)' }),
    minSamples: Type.Integer({ minimum: 3, maximum: 10000, default: 20, description: 'warm-up: values needed in the history before anything fires (default 20)' }),
    threshold: Type.Number({ exclusiveMinimum: 0, default: 4, description: 'fires when |x − median| / (1.4826·MAD) exceeds this (robust standard deviations, default 4)' }),
    minScale: Type.Number({
      minimum: 0,
      default: 0,
      description: "floor on the robust spread, in the feature's own units (default 0: only a 1e-9 relative guard); set it to the sensor's resolution so a flat history does not make its smallest step an alarm",
    }),
  },
  { additionalProperties: false, default: {} },
);

class RobustZ implements Detector {
  readonly #history: RollingWindow;

  constructor(
    private readonly p: Static<typeof params>,
    history: readonly number[],
  ) {
    this.#history = new RollingWindow(p.window);
    for (const v of history.slice(-p.window)) this.#history.push(v);
  }

  update(value: number): DetectorVerdict {
    const h = this.#history;
    let statistic = 0;
    if (h.size >= this.p.minSamples) {
      const median = h.median();
      statistic = Math.abs(value - median) / robustScale(h, median, scaleFloor(this.p.minScale, median));
    }
    h.push(value);
    return { statistic, threshold: this.p.threshold, fired: statistic > this.p.threshold };
  }

  history(): number[] {
    return this.#history.values();
  }
}

export const robustZ = {
  params,
  create: (p, history = []) => new RobustZ(p, history),
} satisfies DetectorKind<typeof params>;
