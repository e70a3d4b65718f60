// Retention in a running worker: on its interval the store deletes what retention allows — here a
// summary and its roll-ups once the clock has moved past summariesMs — and counts it.

import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { RetentionRunner } from '../../cloud/store/retention-runner.js';
import { cloudFixture } from '../helpers/cloud-context.js';
import { metric } from '../helpers/mqtt.js';
import { windowSummary } from '../helpers/summaries.js';

const DAY = 86_400_000;

describe('retention runner', () => {
  it('deletes old summaries on its interval and counts them', async () => {
    const clock = new FakeClock(Date.UTC(2024, 10, 24, 12));
    await using fx = await cloudFixture({ clock, config: { store: { retention: { summariesMs: 2 * DAY, intervalMs: DAY / 2 } } } });
    const { store } = fx.ctx;
    const start = clock.now() - 10_000;
    expect((await store.ingestSummaries([windowSummary({ device: 'd-1', metric: 'temp', start })])).map((r) => r.outcome)).toEqual(['inserted']);
    const runner = new RetentionRunner(fx.ctx, fx.ctx.config.store.retention.intervalMs);
    await runner.open();
    try {
      // Within two days nothing goes.
      expect((await runner.run())!.summaries).toBe(0);
      expect(await store.summaries({ device: 'd-1', from: start - DAY, to: start + DAY })).toHaveLength(1);
      // Three days on, a pass on the interval has deleted it.
      for (let half = 0; half < 6; half++) {
        clock.advance(DAY / 2); // the interval fires a pass
        await runner.run(); // ... and this waits for it
      }
      expect(await store.summaries({ device: 'd-1', from: start - DAY, to: start + DAY })).toEqual([]);
      expect(metric(fx.ctx.metrics, 'tributary_cloud_retention_deleted_total', 'summaries')).toBe(1);
      expect(metric(fx.ctx.metrics, 'tributary_cloud_retention_runs_total')).toBeGreaterThanOrEqual(2);
    } finally {
      await runner.close();
    }
  });
});
