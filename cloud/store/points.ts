// Roll-up buckets as the store returns them: features derived from the partials, the sketch as is.

import { deriveFeatures } from '../../edge/features/partials.js';
import type { RollupBucket } from '../rollup/bucket.js';
import { parseBucketKey } from '../rollup/series.js';
import type { RollupRecord, SeriesPoint } from './contract.js';

export function pointOf(b: RollupBucket): SeriesPoint {
  return { start: b.start, windows: b.windows, partials: b.partials, features: deriveFeatures(b.partials), sketch: b.sketch };
}

export function recordOf(key: string, b: RollupBucket): RollupRecord {
  const ref = parseBucketKey(key);
  return { scope: ref.series.scope, metric: ref.series.metric, resolutionMs: ref.resolutionMs, point: pointOf(b) };
}
