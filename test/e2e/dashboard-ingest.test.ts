// The dashboard fed the real way, with no event made up by the test: a gateway's own uplink (its
// outbox on LevelDB, MQTT with its token) into a cloud worker (embedded broker, ingest, store, API,
// alert rules), in chromium. A device's chart fills, then extends as the gateway sends newer
// windows; the gateway's status report shows on the fleet page; an alert the gateway raises
// appears without a reload, and the flight recorder's snippet it uploads shows on the alert page.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cloud } from '../../cloud/service/cloud.js';
import type { AlertEvent } from '../../edge/alert/alert.js';
import { alertId } from '../../edge/alert/occurrence.js';
import { systemClock } from '../../edge/clock/clock.js';
import type { Summary } from '../../edge/features/summary.js';
import { silentLogger } from '../../edge/observe/log.js';
import { snippetParts } from '../helpers/snippet-parts.js';
import { Uplink } from '../../edge/uplink/client.js';
import { browserMissing, launchChromium, logIn, recordPageErrors, screenshot, SIZES, waitForAttr, waitForText } from '../helpers/browser.js';
import { brokerUrl, openCloudWorker, testGateways } from '../helpers/cloud.js';
import { PEOPLE } from '../helpers/cloud-context.js';
import { gatewaySummaries } from '../helpers/gateway-summaries.js';
import { openTestOutbox, type TestOutbox } from '../helpers/outbox.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';
import { uplinkConfig } from '../helpers/uplink.js';
import { waitFor } from '../helpers/wait.js';

const missing = browserMissing();
const DEVICE = 'gw-7-dev-0';
const START = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;

describe.skipIf(missing !== undefined)('the dashboard over a real gateway uplink and cloud worker', () => {
  let dir: TempDir;
  let cloud: Cloud;
  let box: TestOutbox;
  let uplink: Uplink;
  let browser: Browser;
  let page: Page;
  let base: string;
  const errors: string[] = [];
  // Ten minutes of one device's readings through the gateway's window engine: the first eight
  // minutes are sent before the page opens, the rest while it watches.
  const summaries = gatewaySummaries({ gateway: 'gw-7', devices: 1, metrics: ['temp', 'vib_rms'], start: START, seconds: 600, seed: 5 });
  const cut = START + 8 * 60_000;
  const early = summaries.filter((s) => s.window.end <= cut);
  const late = summaries.filter((s) => s.window.end > cut);
  const windowsOf = (list: readonly Summary[]) => new Set(list.filter((s) => s.metric === 'vib_rms').map((s) => s.window.start)).size;

  beforeAll(async () => {
    dir = tempDir('tributary-dash-ingest-');
    const { gateways, tokens } = await testGateways(['gw-7'], { 'gw-7': { site: 'plant-7', line: 'l1' } });
    // The parts `tributary cloud` runs: the API (serving the dashboard) and the alert rules.
    ({ cloud, base } = await openCloudWorker(join(dir.path, 'cloud'), gateways));

    const tokenFile = join(dir.path, 'token');
    writeFileSync(tokenFile, `${tokens['gw-7']}\n`);
    box = await openTestOutbox(join(dir.path, 'outbox'), { clock: systemClock });
    uplink = new Uplink({
      gateway: 'gw-7',
      config: uplinkConfig({ url: brokerUrl(cloud), username: 'gw-7', tokenFile, lingerMs: 5, statusIntervalMs: 3_600_000 }),
      outbox: box.outbox,
      clock: systemClock,
      log: silentLogger(),
      metrics: box.metrics,
    });
    for (const s of early) box.outbox.add('summary', s);
    await uplink.open();
    await drained();

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: SIZES.desktop, locale: 'en-US', timezoneId: 'UTC' });
    page = await context.newPage();
    recordPageErrors(page, errors, [/^401 GET \/api\/me$/]);
  });

  afterAll(async () => {
    await browser?.close();
    await uplink?.close();
    await box?.close();
    await cloud?.close();
    dir?.[Symbol.dispose]();
  });

  const drained = () => waitFor(() => box.outbox.stats().used === 0 && uplink.idle, 'the gateway\'s outbox to drain', 20_000);

  it('charts what the gateway sent, and extends the chart as it sends more', async () => {
    await logIn(page, base, 'otto', PEOPLE.otto.password, `#/devices/${DEVICE}`);
    const plot = page.locator('figure[data-chart="vib_rms"] .chart-plot');
    await waitForAttr(plot, 'aria-label', `${windowsOf(early)} windows`);
    expect(await page.locator('figure[data-chart="temp"] canvas').count()).toBe(1);
    for (const s of late) box.outbox.add('summary', s);
    await waitForAttr(plot, 'aria-label', `${windowsOf(summaries)} windows`);
    await screenshot(page, 'ingest-device', 'desktop');
  });

  it('shows the gateway\'s status report on the fleet page', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fleet' }).click();
    const row = page.locator('tr[data-gateway="gw-7"]');
    await waitForText(row, 'plant-7/l1');
    await uplink.reportStatus();
    await waitForText(row, 'No loss');
    await waitForText(row, 'Online');
    await waitForText(row, '0 summaries');
    await waitForText(page.locator(`tr[data-device="${DEVICE}"]`), 'Sending');
  });

  it('shows an alert the gateway raises as it arrives, and the raw readings it uploads around it', async () => {
    await page.getByRole('link', { name: /^Alerts/ }).click();
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    await page.evaluate('window.__sameDocument = true');
    const raisedAt = START + 9 * 60_000;
    const alert: AlertEvent = {
      id: alertId('gw-7', DEVICE, 'vibration-high', raisedAt),
      revision: 0,
      state: 'raised',
      gateway: 'gw-7',
      device: DEVICE,
      rule: 'vibration-high',
      ruleType: 'threshold',
      severity: 'critical',
      raisedAt,
      at: raisedAt,
      emittedAt: raisedAt + 30,
      message: 'vib_rms.mean above 24 for 2 windows',
      evidence: { rule: { type: 'threshold', metric: 'vib_rms', above: 24 }, features: { 'vib_rms.mean': 25.1 } },
    };
    box.outbox.add('alert', alert);
    const row = page.locator(`tr[data-alert="${alert.id}"]`);
    await waitForText(row, `vibration-high on ${DEVICE}`);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);

    const readings = Array.from({ length: 120 }, (_, i) => ({ device: DEVICE, ts: raisedAt - 60_000 + i * 1000, receivedAt: raisedAt - 60_000 + i * 1000 + 4, tsFromArrival: false, values: { temp: 21 + i / 100, vib_rms: i < 55 ? 23 : 26 } }));
    const parts = snippetParts({ gateway: 'gw-7', device: DEVICE, alert: alert.id, from: raisedAt - 60_000, to: raisedAt + 60_000 }, readings, 4096);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) box.outbox.add('raw', p);
    await drained();
    await row.getByRole('link', { name: `vibration-high on ${DEVICE}` }).click();
    await waitForText(page.locator('#flight-recorder'), '120 readings');
    expect(await page.locator('#flight-recorder figure canvas').count()).toBe(2);
    await screenshot(page, 'ingest-alert', 'desktop');
  });

  it('logged no errors in the page', () => {
    expect(errors).toEqual([]);
  });
});
