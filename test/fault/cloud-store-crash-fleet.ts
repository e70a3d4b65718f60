// The summaries the cloud store crash test's child stores: 4 devices × 2 metrics × 30 minutes of
// 10-second windows after `t0`, with a revision of every 7th window, in batches of 250.

import type { Summary } from '../../edge/features/summary.js';
import { prng } from '../helpers/prng.js';
import { noisyValues, windowSummary } from '../helpers/summaries.js';

export function crashFleet(t0: number): Summary[][] {
  const random = prng(5);
  const all: Summary[] = [];
  for (let t = t0; t < t0 + 30 * 60_000; t += 10_000) {
    for (const device of ['c1', 'c2', 'c3', 'c4']) {
      for (const metric of ['temp', 'flow']) {
        all.push(windowSummary({ gateway: device === 'c4' ? 'gw-2' : 'gw-1', device, metric, start: t, values: noisyValues(random, 3, 20, 8) }));
        if (all.length % 7 === 0) all.push(windowSummary({ gateway: device === 'c4' ? 'gw-2' : 'gw-1', device, metric, start: t, revision: 1, values: noisyValues(random, 4, 25, 8) }));
      }
    }
  }
  return Array.from({ length: Math.ceil(all.length / 250) }, (_, i) => all.slice(i * 250, (i + 1) * 250));
}
