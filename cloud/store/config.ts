// The cloud store's settings: roll-up resolutions and their retention, which summaries feed the
// roll-ups, the sketch accuracy and the bucket cache. A section the cloud config embeds as `store`.

import { Type, type Static } from '@sinclair/typebox';
import { schemaFile } from '../../edge/config/schema-file.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const Resolution = Type.Object(
  {
    resolutionMs: Type.Integer({ minimum: 1000, description: 'bucket length (milliseconds); buckets are aligned to the Unix epoch (UTC)' }),
    retentionMs: Type.Integer({ minimum: 0, description: 'buckets that ended longer ago than this are deleted by retention (milliseconds; 0 keeps them forever)' }),
  },
  { additionalProperties: false },
);

/** The `store` section. Embed it with `{ ...CloudStoreConfigSchema, default: {} }` (Ajv refuses a default at a schema root). */
export const CloudStoreConfigSchema = Type.Object(
  {
    rollups: Type.Object(
      {
        resolutions: Type.Array(Resolution, {
          minItems: 1,
          default: [
            { resolutionMs: MINUTE, retentionMs: 8 * DAY },
            { resolutionMs: HOUR, retentionMs: 400 * DAY },
            { resolutionMs: DAY, retentionMs: 0 },
          ],
          description:
            'roll-up resolutions, finest first; each must divide the next (default 1 min kept 8 days, 1 h kept 400 days, 1 day kept forever)',
        }),
        sourceWindowsMs: Type.Array(Type.Integer({ minimum: 1 }), {
          minItems: 1,
          default: [10_000],
          description:
            'sizes of the tumbling windows whose summaries feed the roll-ups (milliseconds, default [10000], the edge default); each must divide the finest resolution. ' +
            'List several only if no gateway emits more than one of them for the same device and metric, or those readings would count twice',
        }),
        flushIntervalMs: Type.Integer({
          minimum: 1,
          default: 1000,
          description:
            'longest a stored summary waits before the roll-up pass merges it (milliseconds, default 1000); series queries see it after that, or after flushRollups()',
        }),
        maxPendingWindows: Type.Integer({
          minimum: 1,
          default: 100_000,
          description: 'windows waiting for the roll-up pass that make the next ingest wait for one (default 100000): the roll-ups never fall further behind',
        }),
        sketchRelativeAccuracy: Type.Number({
          exclusiveMinimum: 0,
          exclusiveMaximum: 0.5,
          default: 0.01,
          description: 'relative accuracy of the quantile sketches of window means (default 0.01, i.e. 1 %)',
        }),
      },
      { additionalProperties: false, default: {}, description: 'fleet roll-ups' },
    ),
    retention: Type.Object(
      {
        summariesMs: Type.Integer({
          minimum: HOUR,
          default: 7 * DAY,
          description:
            'raw summaries older than this (by window start) are deleted, and a summary arriving that late is refused as expired (milliseconds, default 7 days); roll-ups are recomputed from them, so every resolution must be kept at least this long',
        }),
        deadLettersMs: Type.Integer({ minimum: 0, default: 7 * DAY, description: 'dead letters older than this are deleted (milliseconds, default 7 days; 0 keeps them)' }),
        resolvedAlertsMs: Type.Integer({ minimum: 0, default: 90 * DAY, description: 'alerts resolved longer ago than this are deleted (milliseconds, default 90 days; 0 keeps them)' }),
        rawSnippetsMs: Type.Integer({
          minimum: 0,
          default: 30 * DAY,
          description: 'flight-recorder snippets whose readings end longer ago than this are deleted (milliseconds, default 30 days; 0 keeps them)',
        }),
      },
      { additionalProperties: false, default: {}, description: 'what retention deletes and when' },
    ),
    cache: Type.Object(
      {
        maxBuckets: Type.Integer({ minimum: 0, default: 200_000, description: 'roll-up buckets kept decoded in memory between batches (default 200000; about 1 KB each)' }),
      },
      { additionalProperties: false, default: {}, description: 'the hot roll-up bucket cache' },
    ),
  },
  { additionalProperties: false },
);

export type CloudStoreConfig = Static<typeof CloudStoreConfigSchema>;

/** Checks the schema cannot express, as `path: problem` lines (`prefix` is the section's path). */
export function checkStoreConfig(c: CloudStoreConfig, prefix = ''): string[] {
  const problems: string[] = [];
  const at = (path: string) => `${prefix}${path}`;
  const res = c.rollups.resolutions;
  res.forEach((r, i) => {
    const next = res[i + 1];
    if (next && (next.resolutionMs <= r.resolutionMs || next.resolutionMs % r.resolutionMs !== 0)) {
      problems.push(`${at(`rollups.resolutions.${i + 1}.resolutionMs`)}: ${next.resolutionMs} must be a multiple of the previous resolution ${r.resolutionMs}, and larger`);
    }
    if (r.retentionMs !== 0 && r.retentionMs < c.retention.summariesMs) {
      problems.push(
        `${at(`rollups.resolutions.${i}.retentionMs`)}: ${r.retentionMs} is shorter than retention.summariesMs (${c.retention.summariesMs}); a late summary could then change buckets that can no longer be recomputed`,
      );
    }
  });
  const finest = res[0]?.resolutionMs ?? 0;
  c.rollups.sourceWindowsMs.forEach((w, i) => {
    if (finest % w !== 0) problems.push(`${at(`rollups.sourceWindowsMs.${i}`)}: ${w} does not divide the finest resolution ${finest}, so its windows would straddle buckets`);
  });
  return problems;
}

const storeConfig = schemaFile<CloudStoreConfig>(CloudStoreConfigSchema, {
  codes: { read: 'ERR_CONFIG_READ', parse: 'ERR_CONFIG_PARSE', invalid: 'ERR_CONFIG_INVALID' },
  semantics: (c) => checkStoreConfig(c),
});

/** Validate a store config (defaults filled in, frozen). Throws ERR_CONFIG_INVALID listing every problem. */
export const storeConfigFrom = (raw: unknown = {}): Readonly<CloudStoreConfig> => storeConfig.validate(raw);
