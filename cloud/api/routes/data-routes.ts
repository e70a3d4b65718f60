// Time series for charts: roll-up buckets of a device, line, site or the fleet at a configured
// resolution (features of all readings in each bucket, and p50/p90/p99 of the window means from
// its sketch), and a device's raw window summaries with their anomaly scores.

import { Type } from '@sinclair/typebox';
import type { SeriesPoint } from '../../store/contract.js';
import { Instant, Name, Problems, duration } from '../query.js';
import { route, type ApiDeps, type ApiRoute } from '../route.js';
import { summaryView } from '../views.js';

/** Buckets one series answer may hold; a wider range must use a coarser resolution. */
const MAX_POINTS = 10_000;
/** Without `from`, this much before `to`. */
const DEFAULT_SPAN_MS = 24 * 3_600_000;
/** Without `resolution`, the finest configured one that gives at most this many buckets. */
const AUTO_POINTS = 1500;

const SeriesQuery = Type.Object(
  {
    scope: Type.String({ minLength: 1, maxLength: 300, description: 'device:<id>, line:<site>/<line>, site:<site> or fleet' }),
    metric: Name,
    resolution: Type.Optional(Type.String({ maxLength: 20, description: 'ms, or 1m / 1h / 1d; one of store.rollups.resolutions (default: the finest giving ≤ 1500 buckets)' })),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
  },
  { additionalProperties: false },
);

const SummaryQuery = Type.Object(
  {
    device: Name,
    metric: Type.Optional(Name),
    from: Type.Optional(Instant),
    to: Type.Optional(Instant),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 })),
  },
  { additionalProperties: false },
);

export interface PointView {
  readonly start: number;
  readonly windows: number;
  readonly features: SeriesPoint['features'];
  /** Quantiles of the window means in the bucket (null for an empty sketch). */
  readonly quantiles: { readonly p50: number | null; readonly p90: number | null; readonly p99: number | null };
}

const q = (p: SeriesPoint, at: number): number | null => {
  const v = p.sketch.quantile(at);
  return Number.isFinite(v) ? v : null;
};

function pointView(p: SeriesPoint): PointView {
  return { start: p.start, windows: p.windows, features: p.features, quantiles: { p50: q(p, 0.5), p90: q(p, 0.9), p99: q(p, 0.99) } };
}

/** from/to of a query: to defaults to now, from to `span` before to; from < to. */
function range(problems: Problems, query: { from?: string; to?: string }, now: number, span: number): { from: number; to: number } {
  const to = problems.instant('querystring/to', query.to) ?? now;
  const from = problems.instant('querystring/from', query.from) ?? to - span;
  if (!(from < to)) problems.add('querystring/from', 'must be before to');
  return { from, to };
}

export function dataRoutes({ ctx }: ApiDeps): ApiRoute[] {
  const resolutions = ctx.config.store.rollups.resolutions.map((r) => r.resolutionMs);
  return [
    route({
      method: 'GET',
      url: '/api/series',
      access: 'viewer',
      summary: 'roll-up buckets of one series: scope, metric, resolution, from, to → points with features and p50/p90/p99',
      query: SeriesQuery,
      handler: async ({ query }) => {
        const problems = new Problems();
        const scope = problems.scope('querystring/scope', query.scope);
        const { from, to } = range(problems, query, ctx.clock.now(), DEFAULT_SPAN_MS);
        const resolutionMs =
          query.resolution === undefined
            ? (resolutions.find((r) => (to - from) / r <= AUTO_POINTS) ?? resolutions[resolutions.length - 1]!)
            : problems.resolution('querystring/resolution', query.resolution, resolutions);
        if (resolutionMs !== undefined && (to - from) / resolutionMs > MAX_POINTS) {
          problems.add('querystring/from', `the range holds more than ${MAX_POINTS} buckets of ${duration(resolutionMs)}: narrow it or use a coarser resolution`);
        }
        problems.check();
        const points = await ctx.store.series({ scope: scope!, metric: query.metric, resolutionMs: resolutionMs!, from, to });
        return { scope: scope!, metric: query.metric, resolutionMs, from, to, points: points.map(pointView) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/summaries',
      access: 'viewer',
      summary: 'a device\'s window summaries (features, anomaly score) with window start in [from, to), oldest first',
      query: SummaryQuery,
      handler: async ({ query }) => {
        const problems = new Problems();
        const { from, to } = range(problems, query, ctx.clock.now(), 3_600_000);
        problems.check();
        const limit = query.limit ?? 1000;
        const found = await ctx.store.summaries({ device: query.device, ...(query.metric === undefined ? {} : { metric: query.metric }), from, to, limit: limit + 1 });
        return { device: query.device, from, to, truncated: found.length > limit, summaries: found.slice(0, limit).map(summaryView) };
      },
    }),
  ];
}
