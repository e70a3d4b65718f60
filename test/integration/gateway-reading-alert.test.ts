// A `reading-threshold` rule in a real gateway over a real broker: the reading that crosses the
// limit raises its alert as soon as it is in the ingest log — while its window is still open,
// with no summary of it yet — and the window closes later as usual.

import { afterEach, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../edge/alert/alert.js';
import { alertId } from '../../edge/alert/occurrence.js';
import { FakeClock } from '../../edge/clock/fake-clock.js';
import { EdgeConfigSchema } from '../../edge/config/schema.js';
import { staggerOf } from '../../edge/window/stagger.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

// The gateway runs on a fake clock, so no idle rule closes a window behind the test's back: only
// a reading's event time moves the watermark. T0 is a 10-second boundary a minute before "now".
const NOW = Math.floor(Date.now() / 10_000) * 10_000;
const T0 = NOW - 60_000;

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.[Symbol.asyncDispose]();
  gw = undefined;
});

const alertsOf = async (g: TestGateway): Promise<AlertEvent[]> => ((await g.gateway.inspect('alerts', 100, 'oldest'))!.entries as Array<{ item: AlertEvent }>).map((e) => e.item);

describe('reading-threshold in the gateway', () => {
  it('raises on the crossing reading before its window closes; the window closes later as usual', async () => {
    gw = await startGateway(
      {
        // The default windows (10 s tumbling, 1 min hopping), watermark lag (2 s) and stagger.
        alerts: { rules: [{ name: 'vib-spike', type: 'reading-threshold', metric: 'vib_rms', above: 2.8, kinds: ['motor'] }] },
        devices: { kinds: { motor: ['motor-*'] } },
      },
      new FakeClock(NOW),
    );
    const g = gw;
    const client = await g.connect();
    const publish = (device: string, at: number, vib: number) => client.publishAsync(`sensors/${device}`, JSON.stringify({ ts: T0 + at, vib_rms: vib, temp: 40 }), { qos: 1 });

    await publish('motor-1', 1000, 1.2);
    await publish('pump-1', 1500, 9); // out of the rule's scope: no alert
    await publish('motor-1', 3000, 4);
    const [raised] = await waitFor(async () => {
      const alerts = await alertsOf(g);
      return alerts.length > 0 ? alerts : undefined;
    }, 'the reading-threshold alert in the outbox');
    expect(raised).toMatchObject({
      id: alertId('gw-test', 'motor-1', 'vib-spike', T0 + 3000),
      revision: 0,
      state: 'raised',
      device: 'motor-1',
      ruleType: 'reading-threshold',
      raisedAt: T0 + 3000,
      at: T0 + 3000,
      message: 'vib_rms 4 > 2.8; bad 1 reading in a row',
      evidence: { reading: { ts: T0 + 3000, receivedAt: NOW }, features: { vib_rms: 4 }, bad: 1 },
    });
    expect(raised!.evidence.window).toBeUndefined();
    // Its window [T0, T0 + 10 s) has not closed: nothing summarised yet, windows still open.
    expect(g.summaries).toEqual([]);
    expect(g.gateway.windows.stats.windowsOpen).toBeGreaterThan(0);
    expect(g.metric('tributary_alert_events_total{rule="vib-spike",state="raised"}')).toBe(1);

    // A reading just before the window's end + 2 s + motor-1's share of the stagger leaves it open;
    // one at that point moves the watermark past the end: its summaries come now, and that good
    // reading clears the alert (the one before it was hot still).
    const closeAt = 12_000 + staggerOf('motor-1', EdgeConfigSchema.properties.windows.properties.staggerMs.default);
    await publish('motor-1', closeAt - 1, 4);
    await waitFor(() => g.gateway.windows.watermark('motor-1') === T0 + 10_000 - 1, 'the reading just before to move the watermark');
    expect(g.summaries).toEqual([]);
    await publish('motor-1', closeAt, 1);
    await waitFor(() => g.summaries.some((s) => s.device === 'motor-1' && s.metric === 'vib_rms' && s.window.end === T0 + 10_000), 'the window of the crossing reading to close');
    const alerts = await waitFor(async () => {
      const all = await alertsOf(g);
      return all.length === 2 ? all : undefined;
    }, 'the clear');
    expect(alerts.map((e) => [e.id, e.revision, e.state, e.at - T0])).toEqual([
      [raised!.id, 0, 'raised', 3000],
      [raised!.id, 1, 'cleared', closeAt],
    ]);
  });
});
