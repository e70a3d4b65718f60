// The gateway's loop-delay gauge: Node's histogram samples the whole time between two ticks of a
// 10-ms timer, so the gauge takes the interval off; an idle loop reads 0, not 10 ms.

import { describe, expect, it } from 'vitest';
import { pipelineMetrics } from '../../edge/gateway/pipeline-metrics.js';
import { LAG_RESOLUTION_MS, loopDelayHistogram, loopDelaySeconds } from '../../edge/observe/process-gauges.js';
import { Registry } from '../../edge/observe/metrics.js';

const ms = (v: number): number => v * 1e6;

describe('loopDelaySeconds', () => {
  it('takes the timer interval off a sample', () => {
    expect(loopDelaySeconds(ms(LAG_RESOLUTION_MS))).toBe(0);
    expect(loopDelaySeconds(ms(LAG_RESOLUTION_MS + 25))).toBeCloseTo(0.025, 9);
  });

  it('never goes below zero (a tick a little early, or no sample at all)', () => {
    expect(loopDelaySeconds(ms(LAG_RESOLUTION_MS - 0.3))).toBe(0);
    expect(loopDelaySeconds(0)).toBe(0);
  });

  it('is what a real histogram shows of a loop blocked for 60 ms, less the interval', async () => {
    const h = loopDelayHistogram();
    await new Promise((resolve) => setTimeout(resolve, 3 * LAG_RESOLUTION_MS));
    const until = performance.now() + 60;
    while (performance.now() < until); // the loop blocked
    await new Promise((resolve) => setTimeout(resolve, 3 * LAG_RESOLUTION_MS));
    h.disable();
    // The tick due during the block ran after it: its sample is at least the block's length.
    expect(h.max).toBeGreaterThanOrEqual(ms(60));
    expect(loopDelaySeconds(h.max)).toBeCloseTo(h.max / 1e9 - LAG_RESOLUTION_MS / 1e3, 9);
  });
});

describe('the gauge', () => {
  it('reports the delay beyond the interval, and resets after each scrape', async () => {
    const registry = new Registry();
    const m = pipelineMetrics(registry);
    await new Promise((resolve) => setTimeout(resolve, 5 * LAG_RESOLUTION_MS));
    const until = performance.now() + 50;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 3 * LAG_RESOLUTION_MS));
    const max = m.lag.max;
    const text = registry.render();
    m.lag.disable();
    const value = Number(/^tributary_event_loop_lag_seconds\{quantile="1"\} (\S+)$/m.exec(text)?.[1]);
    expect(value).toBeCloseTo(loopDelaySeconds(max), 9);
    expect(value).toBeGreaterThanOrEqual(0.04);
    expect(m.lag.count).toBe(0); // reset by the scrape
  });
});
