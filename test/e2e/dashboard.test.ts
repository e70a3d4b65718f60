// The dashboard in a real browser (Debian's chromium, headless, driven by playwright-core) against
// a real cloud API on port 0 over a real LevelDB store filled through the store's own methods: log
// in; see the fleet; open a device's charts with data and watch them extend live; watch a new alert
// appear without a reload; acknowledge and resolve it through the UI and find both moves in the
// store's history; the flight recorder's raw readings; a viewer gets no buttons; every page fits a
// phone's width; the push page against the real push service (cloud/push/), whose messages are
// kept instead of published and whose gateways' reports the test makes (a real gateway process
// answers in dashboard-push.test.ts). Screenshots of every page at desktop and phone sizes are
// saved under test/e2e/screenshots/ (git-ignored).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CloudApi } from '../../cloud/api/api.js';
import { recordAlertEvents } from '../../cloud/alerts/record.js';
import { PushService } from '../../cloud/push/service.js';
import type { CloudAlertEvent } from '../../cloud/store/contract.js';
import { alertId } from '../../edge/alert/occurrence.js';
import { MOTOR_MODEL } from '../../devices/models/motor-model.js';
import { systemClock } from '../../edge/clock/clock.js';
import { Registry } from '../../edge/observe/metrics.js';
import { decodePush, type AppliedReport } from '../../edge/uplink/push-protocol.js';
import {
  browserMissing,
  launchChromium,
  logIn as logInAs,
  overflowX,
  recordPageErrors,
  screenshot,
  SIZES,
  waitForAttr,
  waitForCount,
  waitForText,
  type SizeName,
} from '../helpers/browser.js';
import { cloudFixture, credentialsConfig, PEOPLE, type CloudFixture } from '../helpers/cloud-context.js';
import { pumpWindow, seedFleet, WINDOW_MS, type SeededFleet } from '../helpers/dashboard-fleet.js';
import { prng } from '../helpers/prng.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const missing = browserMissing();
if (missing) console.warn(`skipping the dashboard's browser tests: ${missing}`);

const MOTOR_ONNX = fileURLToPath(new URL('../../edge/models/motor-baseline.onnx', import.meta.url));

let fx: CloudFixture;
let api: CloudApi;
let push: PushService;
/** What the push service published (to the gateways that a broker would have delivered it to). */
const published: Array<{ topic: string; payload: Buffer }> = [];
let dir: TempDir;
/** Manifests of the committed motor model, for the upload form: as version 2024-12-01.1, and one that does not describe the graph (3 of its 4 features). */
const models = { v2: '', mismatched: '' };
let browser: Browser;
let base: string;
let fleet: SeededFleet;
const contexts: BrowserContext[] = [];
/** Errors the pages logged or threw, and refused requests but the expected ones: none are expected. */
const pageErrors: string[] = [];
/** Refusals the pages meet on purpose: not logged in yet, a wrong password, a cloud without push. */
const EXPECTED_REFUSALS = [/^401 GET \/api\/me$/, /^401 POST \/api\/login$/, /^404 GET \/api\/push$/];

/** A page in a fresh context (its own cookies); `refusals`: further refusals this page meets on purpose. */
async function openPage(size: SizeName = 'desktop', refusals: readonly RegExp[] = []): Promise<Page> {
  const context = await browser.newContext({ viewport: SIZES[size], locale: 'en-US', timezoneId: 'UTC' });
  contexts.push(context);
  const page = await context.newPage();
  recordPageErrors(page, pageErrors, [...EXPECTED_REFUSALS, ...refusals]);
  return page;
}

const logIn = (page: Page, name: keyof typeof PEOPLE, hash = ''): Promise<void> => logInAs(page, base, name, PEOPLE[name].password, hash);

let reportAt = Date.now();
/** A gateway's status report saying what it runs (its file's config unless `config` says otherwise), as the ingest hands it to the push service. */
const report = (gateway: string, applied: Partial<AppliedReport>): Promise<void> =>
  push.recordStatus(gateway, { at: ++reportAt, applied: { config: { id: null, version: null, at: null }, models: [], refused: [], ...applied } });

/** A new alert on pump-8, as a gateway would raise it. */
function freshAlert(rule: string, at: number): CloudAlertEvent {
  return {
    id: alertId('gw-1', 'pump-8', rule, at),
    revision: 0,
    state: 'raised',
    gateway: 'gw-1',
    device: 'pump-8',
    rule,
    ruleType: 'threshold',
    severity: 'critical',
    raisedAt: at,
    at,
    emittedAt: at + 20,
    message: `${rule}: vib_rms.mean 5.2 above 3.5`,
    evidence: { rule: { type: 'threshold', metric: 'vib_rms', above: 3.5 }, features: { 'vib_rms.mean': 5.2 } },
  };
}

describe.skipIf(missing !== undefined)('the dashboard in chromium', () => {
  let page: Page;

  beforeAll(async () => {
    const { gateways } = await credentialsConfig();
    fx = await cloudFixture({ clock: systemClock, config: { gateways: { 'gw-1': { ...gateways['gw-1']!, site: 'plant-a', line: 'line-1' }, 'gw-2': { ...gateways['gw-2']!, site: 'plant-b', line: 'line-2' } } } });
    fleet = await seedFleet(fx.ctx.store, Date.now());
    // The API with the push service, as `tributary cloud` runs them (cloud/service/parts.ts).
    push = new PushService(fx.ctx, { publish: async (topic, payload) => void published.push({ topic, payload }) });
    await push.open();
    api = new CloudApi(fx.ctx, { push });
    await api.open();
    dir = tempDir('tributary-dash-models-');
    const manifest = JSON.parse(readFileSync(MOTOR_ONNX.replace(/\.onnx$/, '.manifest.json'), 'utf8')) as { features: string[]; normalisation: { mean: number[]; std: number[] } };
    models.v2 = join(dir.path, 'motor-v2.manifest.json');
    writeFileSync(models.v2, JSON.stringify({ ...manifest, version: '2024-12-01.1' }));
    models.mismatched = join(dir.path, 'motor-3.manifest.json');
    writeFileSync(models.mismatched, JSON.stringify({ ...manifest, version: 'broken', features: manifest.features.slice(0, 3), normalisation: { mean: manifest.normalisation.mean.slice(0, 3), std: manifest.normalisation.std.slice(0, 3) } }));
    base = `http://127.0.0.1:${api.port}`;
    browser = await launchChromium();
    page = await openPage();
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await api?.close();
    await push?.close();
    await fx?.[Symbol.asyncDispose]();
    dir?.[Symbol.dispose]();
  });

  it('refuses a wrong password, then logs in and shows the fleet with its health', async () => {
    await page.goto(`${base}/`);
    await screenshot(page, 'login', 'desktop');
    await page.getByLabel('Username').fill('otto');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Log in' }).click();
    await waitForText(page.getByRole('alert'), 'Wrong username or password.');

    await logIn(page, 'otto');
    await page.getByRole('heading', { name: 'Fleet', level: 1 }).waitFor();
    const gw1 = page.locator('tr[data-gateway="gw-1"]');
    await waitForText(gw1, 'Online');
    await waitForText(gw1, '3 items lost');
    await waitForText(gw1, '12 summaries');
    await waitForText(gw1, 'plant-a/line-1');
    await waitForText(page.locator('tr[data-gateway="gw-2"]'), 'Offline');
    await waitForText(page.locator('tr[data-device="pump-7"]'), '1 open alert');
    await waitForText(page.locator('tr[data-device="fan-1"]'), 'Silent');
    expect(await page.locator('#who').textContent()).toBe('otto operator');
    // Devices needing attention come first; the filter narrows the list.
    expect(await page.locator('tr[data-device]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-device')))).toEqual(['pump-7', 'fan-1', 'pump-8']);
    await page.getByLabel('Filter devices').fill('plant-b');
    await waitForCount(page.locator('tr[data-device]'), 0);
    await page.getByLabel('Filter devices').fill('gw-2');
    await waitForCount(page.locator('tr[data-device]'), 1);
    expect(await page.locator('tr[data-device="fan-1"]').count()).toBe(1);
    await page.getByLabel('Filter devices').fill('');
    await waitForCount(page.locator('tr[data-device]'), 3);
    await screenshot(page, 'fleet', 'desktop');
  });

  it('shows a gateway\'s health change live, without a reload', async () => {
    await page.evaluate('window.__sameDocument = true');
    const record = { id: 'gw-2', firstSeen: Date.now() - 86_400_000, lastSeen: Date.now(), backlog: 40, lossLedger: { lossSince: 0, loss: [] } };
    await fx.ctx.store.upsertGateways([{ id: record.id, lastSeen: record.lastSeen, backlog: record.backlog }]);
    fx.ctx.bus.emit('gateway', record);
    const gw2 = page.locator('tr[data-gateway="gw-2"]');
    await waitForText(gw2, 'Online');
    await waitForText(gw2, '40 summaries');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
  });

  it('opens a device\'s charts with data, and extends them as summaries arrive', async () => {
    await page.locator('tr[data-device="pump-7"] a', { hasText: 'pump-7' }).click();
    await page.getByRole('heading', { name: 'pump-7', level: 1 }).waitFor();
    const vib = page.locator('figure[data-chart="vib_rms"]');
    await vib.locator('canvas').waitFor();
    expect(await page.locator('figure[data-chart="score"] canvas').count()).toBe(1);
    expect(await page.locator('figure[data-chart="bearing_temp"] canvas').count()).toBe(1);
    // The legend holds the newest window's values (not uPlot's dashes).
    const legend = async () => (await vib.locator('.u-legend .u-series .u-value').allTextContents()).map((t) => t.trim());
    const [, mean, min, max] = await legend();
    expect(Number(mean!.replace(/,/g, ''))).toBeCloseTo(fleet.lastVibration.features.mean, 2);
    expect(Number(min!.replace(/,/g, ''))).toBeCloseTo(fleet.lastVibration.features.min, 2);
    expect(Number(max!.replace(/,/g, ''))).toBeCloseTo(fleet.lastVibration.features.max, 2);
    const label = vib.locator('.chart-plot');
    expect(await label.getAttribute('aria-label')).toContain(`${fleet.windows} windows`);
    // The anomaly's alert is marked and listed.
    await waitForText(page.locator(`li[data-alert="${fleet.alert.id}"]`), 'motor-anomaly');
    await screenshot(page, 'device', 'desktop');

    // A new window arrives: stored, then announced on the bus as ingest does.
    const next = pumpWindow(fleet.lastStart + WINDOW_MS, 180, 180, prng(99));
    await fx.ctx.store.ingestSummaries(next);
    const storedNext = await fx.ctx.store.summaries({ device: 'pump-7', from: fleet.lastStart + WINDOW_MS, to: fleet.lastStart + 2 * WINDOW_MS });
    expect(storedNext).toHaveLength(2);
    fx.ctx.bus.emit('summaries', storedNext);
    await waitForAttr(label, 'aria-label', `${fleet.windows + 1} windows`);
    const newest = next.find((s) => s.metric === 'vib_rms')!;
    expect(Number((await legend())[1]!.replace(/,/g, ''))).toBeCloseTo(newest.features.mean, 2);
  });

  it('shows a new alert as it is raised, without a reload', async () => {
    await page.getByRole('link', { name: /^Alerts/ }).click();
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    await page.evaluate('window.__sameDocument = true');
    const before = Number(await page.locator('#open-count').textContent());
    const alert = freshAlert('vibration-high', Date.now() - 1000);
    await recordAlertEvents(fx.ctx, [alert]);
    const row = page.locator(`tr[data-alert="${alert.id}"]`);
    await waitForText(row, 'vibration-high on pump-8');
    expect(await row.getAttribute('data-state')).toBe('open');
    await waitForText(page.locator('#toasts'), 'New critical alert: vibration-high on pump-8');
    await waitForText(page.locator('#open-count'), String(before + 1));
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await screenshot(page, 'alerts', 'desktop');
  });

  it('acknowledges and resolves it through the UI, each with a note the store keeps', async () => {
    const open = await fx.ctx.store.alerts({ device: 'pump-8', state: 'open' });
    expect(open).toHaveLength(1);
    const id = open[0]!.id;
    const row = page.locator(`tr[data-alert="${id}"]`);

    await row.getByRole('button', { name: /^Acknowledge/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Acknowledge alert' });
    await dialog.getByLabel('Note (optional)').fill('crew on the way');
    await screenshot(page, 'acknowledge-dialog', 'desktop');
    await dialog.getByRole('button', { name: 'Acknowledge' }).click();
    await waitForAttr(row, 'data-state', 'acknowledged');
    expect(await row.getByRole('button', { name: /^Acknowledge/ }).count()).toBe(0);

    await row.getByRole('button', { name: /^Resolve/ }).click();
    const resolve = page.getByRole('dialog', { name: 'Resolve alert' });
    await resolve.getByLabel('Note (optional)').fill('bearing reseated');
    await resolve.getByRole('button', { name: 'Resolve' }).click();
    // The default filter lists unresolved alerts only: the row leaves.
    await row.waitFor({ state: 'detached' });

    const stored = await fx.ctx.store.alert(id);
    expect(stored?.state).toBe('resolved');
    expect(stored?.history.map((h) => [h.from, h.to, h.by, h.note])).toEqual([
      [null, 'open', 'gateway:gw-1', undefined],
      ['open', 'acknowledged', 'otto', 'crew on the way'],
      ['acknowledged', 'resolved', 'otto', 'bearing reseated'],
    ]);
    expect(stored?.resolved).toMatchObject({ by: 'otto', cause: 'operator' });

    // Listed again once the filter takes resolved alerts, with its history on its own page.
    await page.getByRole('checkbox', { name: 'resolved' }).check();
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitForAttr(row, 'data-state', 'resolved');
    await row.getByRole('link', { name: 'vibration-high on pump-8' }).click();
    const history = page.locator('#alert-history');
    await waitForText(history, 'acknowledged → resolved by otto');
    await waitForText(history, 'bearing reseated');
  });

  it('shows the flight recorder\'s raw readings around an alert, charted per metric', async () => {
    await page.goto(`${base}/#/alerts/${fleet.alert.id}`);
    await page.getByRole('heading', { name: 'motor-anomaly on pump-7', level: 1 }).waitFor();
    const recorder = page.locator('#flight-recorder');
    await waitForText(recorder, '600 readings');
    expect(await recorder.locator('figure canvas').count()).toBe(2);
    expect(await recorder.locator('figure figcaption').allTextContents()).toEqual(['bearing_temp', 'vib_rms']);
    await waitForText(page.locator('dl.facts').first(), 'motor-anomaly (score)');
    await screenshot(page, 'alert', 'desktop');
  });

  it('gives a viewer no buttons to move alerts', async () => {
    const viewer = await openPage();
    await logIn(viewer, 'vera', '#/alerts');
    await viewer.locator(`tr[data-alert="${fleet.alert.id}"]`).waitFor();
    expect(await viewer.getByRole('button', { name: /^(Acknowledge|Resolve)/ }).count()).toBe(0);
    await viewer.goto(`${base}/#/alerts/${fleet.alert.id}`);
    await viewer.locator('#flight-recorder figure').first().waitFor();
    expect(await viewer.getByRole('button', { name: /^(Acknowledge|Resolve)/ }).count()).toBe(0);
  });

  it('fits every page on a phone (390 px) without horizontal scrolling', async () => {
    const phone = await openPage('phone');
    await logIn(phone, 'otto');
    const pages: Array<[string, string, string]> = [
      ['fleet', '#/fleet', 'tr[data-device="pump-7"]'],
      ['device', '#/devices/pump-7', 'figure[data-chart="vib_rms"] canvas'],
      ['alerts', '#/alerts?state=open,acknowledged,resolved', `tr[data-alert="${fleet.alert.id}"]`],
      ['alert', `#/alerts/${fleet.alert.id}`, '#flight-recorder figure canvas'],
    ];
    for (const [name, hash, ready] of pages) {
      await phone.goto(`${base}/${hash}`);
      await phone.locator(ready).first().waitFor();
      expect(await overflowX(phone), `${name} on a phone`).toBe(0);
      await screenshot(phone, name, 'phone');
    }
    await phone.evaluate('document.cookie'); // still the same session
    await phone.getByRole('button', { name: 'Log out' }).click();
    await phone.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await overflowX(phone), 'login on a phone').toBe(0);
    await screenshot(phone, 'login', 'phone');
  });

  it('says on the push page when this cloud has no push routes', async () => {
    // A second API on the same store and bus, without the push service.
    const bare = new CloudApi({ ...fx.ctx, metrics: new Registry() });
    await bare.open();
    try {
      const visitor = await openPage();
      await logInAs(visitor, `http://127.0.0.1:${bare.port}`, 'vera', PEOPLE.vera.password, '#/push');
      await waitForText(visitor.locator('#push-unavailable'), 'not available');
      await screenshot(visitor, 'push-unavailable', 'desktop');
    } finally {
      await bare.close();
    }
  });

  it('pushes a model and a config through the forms, shows each gateway\'s slots going pending → applied or refused live, and clears an entry', { timeout: 60_000 }, async () => {
    const admin = await openPage('desktop', [/^400 PUT \/api\/push\//]);
    await logIn(admin, 'ada', '#/push');
    const gw1 = admin.locator('#push-state tr[data-gateway="gw-1"]');
    const gw2 = admin.locator('#push-state tr[data-gateway="gw-2"]');
    await waitForText(gw1, 'Not reporting');
    await waitForText(gw2, 'no report yet');
    await admin.evaluate('window.__sameDocument = true');

    // gw-1 says what it runs: its file's config and the committed motor model.
    await report('gw-1', { models: [{ name: 'motor-baseline', version: MOTOR_MODEL.version, id: null }] });
    const motor1 = gw1.locator('[data-slot="model:motor-baseline"]');
    await waitForAttr(gw1, 'data-state', 'in-sync');
    await waitForText(motor1.locator('.slot-running'), `${MOTOR_MODEL.version} (its config file)`);
    await waitForText(gw1.locator('[data-slot="config"] .slot-running'), 'its config file');

    // A manifest that does not describe its graph: the cloud refuses it, and the form says why.
    const upload = admin.locator('#push-model');
    const files = (manifest: string) => upload.getByLabel('Model (.onnx)').setInputFiles(MOTOR_ONNX).then(() => upload.getByLabel('Manifest (.manifest.json)').setInputFiles(manifest));
    await files(models.mismatched);
    await upload.getByRole('button', { name: 'Upload model' }).click();
    await waitForText(upload.locator('.form-status.error'), 'ERR_MODEL_MISMATCH: model motor-baseline@broken');
    await waitForText(upload.locator('.form-status.error'), 'the manifest lists 3 feature(s)');
    expect(published).toHaveLength(0);

    // The motor model as version 2024-12-01.1, to the whole fleet: published at once to the gateways heard from lately.
    await upload.getByLabel('Target').selectOption('fleet');
    await files(models.v2);
    await waitForText(admin.locator('#model-preview'), 'motor-baseline, version 2024-12-01.1');
    await upload.getByRole('button', { name: 'Upload model' }).click();
    await waitForText(upload.locator('.form-status'), 'Model motor-baseline 2024-12-01.1 is desired for fleet; it reaches 2 gateways.');
    await waitForAttr(motor1, 'data-state', 'pending');
    await waitForText(motor1, 'waiting for the gateway\'s report');
    const toGw1 = published.filter((p) => p.topic === 'tributary/v1/gw-1/model');
    expect(toGw1).toHaveLength(1);
    const sent = decodePush(toGw1[0]!.topic, toGw1[0]!.payload);
    if (!sent.ok || sent.push.kind !== 'model') throw new Error('the published model push does not decode');
    expect(Buffer.from(sent.push.onnx, 'base64').equals(readFileSync(MOTOR_ONNX))).toBe(true);
    expect(sent.push).toMatchObject({ name: 'motor-baseline', version: '2024-12-01.1', target: 'fleet', pushedBy: 'ada' });

    // gw-1 runs it now: applied, live.
    await report('gw-1', { models: [{ name: 'motor-baseline', version: '2024-12-01.1', id: sent.push.id }] });
    await waitForAttr(motor1, 'data-state', 'applied');
    await waitForText(motor1.locator('.slot-running'), '2024-12-01.1');
    await waitForAttr(gw1, 'data-state', 'in-sync');

    // A config the cloud can judge itself (a key that needs a restart): refused at once, with its code.
    const config = admin.locator('#push-config');
    await config.getByLabel('Target').selectOption('site:plant-b');
    await config.getByLabel('Config document').fill('http:\n  port: 9999\n');
    await config.getByRole('button', { name: 'Push config' }).click();
    await waitForText(config.locator('.form-status.error'), 'restart');

    // A config only the gateway can judge, as JSON with a version, to gw-2's site: gw-2 refuses it and says why.
    await config.getByLabel('Version (optional)').fill('c7');
    await config.getByLabel('Format').selectOption('json');
    await config.getByLabel('Config document').fill('{"alerts": {"rules": [{"name": "shifted", "type": "detector", "detector": "temp-shift"}]}}');
    await config.getByRole('button', { name: 'Push config' }).click();
    await waitForText(config.locator('.form-status'), 'Config c7 is desired for site:plant-b; it reaches gw-2.');
    const config2 = gw2.locator('[data-slot="config"]');
    await waitForText(config2.locator('.slot-desired'), 'c7 for site:plant-b, ada');
    const c7 = (await push.desired()).find((d) => d.version === 'c7')!;
    expect(c7).toMatchObject({ kind: 'config', target: 'site:plant-b', format: 'json' });
    const message = 'config is invalid (1 problem(s)):\n  - alerts.rules.0.detector: no detector is named temp-shift';
    await report('gw-2', { refused: [{ kind: 'config', id: c7.id, version: 'c7', code: 'ERR_CONFIG_INVALID', message, at: Date.now() }] });
    await waitForAttr(config2, 'data-state', 'refused');
    await waitForText(config2.locator('.slot-error'), `ERR_CONFIG_INVALID: ${message}`);
    await waitForText(config2.locator('.slot-running'), 'its config file');
    await waitForAttr(gw2, 'data-state', 'refused');
    // The gateway needing attention comes first.
    expect(await admin.locator('#push-state tr[data-gateway]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-gateway')))).toEqual(['gw-2', 'gw-1']);
    await waitForText(admin.locator('#push-tiles'), '1 / 2');
    expect(await admin.evaluate('window.__sameDocument')).toBe(true);
    await screenshot(admin, 'push-admin', 'desktop');

    // The desired entries by target; clearing the site's config hands gw-2 back to its file.
    const entry = admin.locator('#push-desired tr[data-target="site:plant-b"][data-slot="config"]');
    await waitForText(entry, 'c7');
    await waitForText(admin.locator('#push-desired tr[data-target="fleet"][data-slot="model:motor-baseline"]'), '2 gateways');
    await entry.getByRole('button', { name: 'Clear the config desired for site:plant-b' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Clear the desired config' });
    await dialog.getByRole('button', { name: 'Clear' }).click();
    await entry.waitFor({ state: 'detached' });
    await waitForAttr(config2, 'data-state', 'none');
    expect((await push.desired()).map((d) => d.version)).toEqual(['2024-12-01.1']);
  });

  it('shows viewers and operators the push state without forms, and fits a phone', { timeout: 30_000 }, async () => {
    for (const [who, size] of [['vera', 'phone'], ['otto', 'desktop']] as const) {
      const page = await openPage(size);
      await logIn(page, who, '#/push');
      await waitForText(page.locator('#push-state tr[data-gateway="gw-1"] [data-slot="model:motor-baseline"]'), 'Applied');
      await waitForText(page.locator('#push-admins-only'), 'Only admins');
      expect(await page.locator('#push-model, #push-config').count(), `no push forms for ${who}`).toBe(0);
      expect(await page.getByRole('button', { name: /^Clear/ }).count(), `no clear buttons for ${who}`).toBe(0);
      if (size === 'phone') {
        expect(await overflowX(page), 'push on a phone').toBe(0);
        await screenshot(page, 'push-viewer', 'phone');
      }
    }
    const admin = await openPage('phone');
    await logIn(admin, 'ada', '#/push');
    await admin.locator('#push-model').waitFor();
    expect(await overflowX(admin), 'push with its forms on a phone').toBe(0);
    await screenshot(admin, 'push-admin', 'phone');
  });

  it('catches up after the live stream drops: what happened meanwhile is loaded on reconnect', async () => {
    const watcher = await openPage();
    await logIn(watcher, 'otto', '#/alerts');
    await watcher.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    await watcher.evaluate('window.__sameDocument = true');
    // The cloud ends every stream (a worker restarting, say) and an alert is raised before the
    // browser is back: no event carries it, so only the reload on the next hello can show it.
    api.stream.stop();
    await waitForAttr(watcher.locator('#live-state'), 'data-state', 'reconnecting');
    const missed = freshAlert('bearing-hot', Date.now() - 500);
    await recordAlertEvents(fx.ctx, [missed]);
    api.stream.start();
    await waitForAttr(watcher.locator('#live-state'), 'data-state', 'live');
    await waitForText(watcher.locator(`tr[data-alert="${missed.id}"]`), 'bearing-hot on pump-8');
    expect(await watcher.evaluate('window.__sameDocument')).toBe(true);
  });

  it('sends a person whose session ended back to the login page, and on to where they were', async () => {
    const expiring = await openPage('desktop', [/^401 GET \/api\//]);
    await logIn(expiring, 'vera', '#/fleet');
    await expiring.locator('tr[data-device="pump-7"]').waitFor();
    api.auth.sessions.clear();
    await expiring.goto(`${base}/#/devices/pump-7`);
    await expiring.getByRole('button', { name: 'Log in' }).waitFor();
    await expiring.getByLabel('Username').fill('vera');
    await expiring.getByLabel('Password').fill(PEOPLE.vera.password);
    await expiring.getByRole('button', { name: 'Log in' }).click();
    await expiring.getByRole('heading', { name: 'pump-7', level: 1 }).waitFor();
    await expiring.locator('figure[data-chart="vib_rms"] canvas').waitFor();
  });

  it('logged no errors in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
