// Config and model push through the dashboard, answered by a real gateway: a cloud worker with the
// parts `tributary cloud` runs (embedded broker, ingest, API with the push service) and a
// `tributary edge` process scoring its motors with the committed motor model, its uplink logged in
// to the cloud with its token. In chromium, an admin uploads a new version of the motor model
// (fitted by the project's own code) and sees "applied" come back from the gateway, then pushes a
// good config and one with an error, which the gateway refuses: the dashboard shows its error and
// that it still runs the good one. Screenshots of the push page at desktop and phone sizes.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cloud } from '../../cloud/service/cloud.js';
import { MOTOR_MODEL } from '../../devices/models/motor-model.js';
import { browserMissing, launchChromium, logIn, overflowX, recordPageErrors, screenshot, SIZES, waitForAttr, waitForText, type SizeName } from '../helpers/browser.js';
import { brokerUrl, openCloudWorker, testGateways } from '../helpers/cloud.js';
import { PEOPLE } from '../helpers/cloud-context.js';
import { startGatewayProcess, uplinkedGatewayConfig, type GatewayProcess } from '../helpers/gateway-process.js';
import { call } from '../helpers/http-client.js';
import { writeMotorModelVersion } from '../helpers/push.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const missing = browserMissing();
const GW = 'gw-1';
const MOTOR_ONNX = fileURLToPath(new URL('../../edge/models/motor-baseline.onnx', import.meta.url));
const V2 = '2024-12-01.1';

describe.skipIf(missing !== undefined)('push through the dashboard to a real gateway process', () => {
  let dir: TempDir;
  let cloud: Cloud;
  let gateway: GatewayProcess;
  let browser: Browser;
  let base: string;
  let v2: { onnx: string; manifest: string };
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];

  const openPage = async (size: SizeName): Promise<Page> => {
    const context = await browser.newContext({ viewport: SIZES[size], locale: 'en-US', timezoneId: 'UTC' });
    contexts.push(context);
    const page = await context.newPage();
    recordPageErrors(page, errors, [/^401 GET \/api\/me$/]);
    return page;
  };
  const health = async () => (await (await fetch(`http://127.0.0.1:${gateway.httpPort}/healthz`)).json()) as { models: Array<{ name: string; version: string }>; push: { config: { id: string | null } } };

  beforeAll(async () => {
    dir = tempDir('tributary-dash-push-');
    // The cloud worker: gw-1 in the lab (the gateway process), gw-2 in the yard (never heard from).
    const { gateways, tokens } = await testGateways([GW, 'gw-2'], { [GW]: { site: 'lab' }, 'gw-2': { site: 'yard' } });
    ({ cloud, base } = await openCloudWorker(join(dir.path, 'cloud'), gateways));
    // The gateway process: motors scored by the committed motor model, its uplink to the cloud.
    const over = { devices: { kinds: { motor: ['motor-*'] } }, models: [{ path: MOTOR_ONNX }] };
    gateway = await startGatewayProcess((await uplinkedGatewayConfig(dir.path, { gateway: GW, url: brokerUrl(cloud), token: tokens[GW]!, over })).path);
    // The new model version an admin uploads: the files `npm run models`' code makes, fitted on other motors.
    v2 = await writeMotorModelVersion(dir.path, 'motor-baseline-v2', V2);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    if (gateway && gateway.child.exitCode === null) {
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    }
    await cloud?.close();
    dir?.[Symbol.dispose]();
  });

  it('uploads a new model version through the form and sees "applied" come back from the gateway', { timeout: 60_000 }, async () => {
    const admin = await openPage('desktop');
    await logIn(admin, base, 'ada', PEOPLE.ada.password, '#/push');
    const row = admin.locator(`#push-state tr[data-gateway="${GW}"]`);
    const slot = row.locator('[data-slot="model:motor-baseline"]');
    // The gateway's first report: it runs the motor model from its config file.
    await waitForText(slot.locator('.slot-running'), `${MOTOR_MODEL.version} (its config file)`, 30_000);
    await waitForAttr(row, 'data-state', 'in-sync');
    await waitForText(admin.locator('#push-state tr[data-gateway="gw-2"]'), 'Not reporting');
    await admin.evaluate('window.__sameDocument = true');

    const form = admin.locator('#push-model');
    await form.getByLabel('Target').selectOption(`gateway:${GW}`);
    await form.getByLabel('Model (.onnx)').setInputFiles(v2.onnx);
    await form.getByLabel('Manifest (.manifest.json)').setInputFiles(v2.manifest);
    await waitForText(admin.locator('#model-preview'), `motor-baseline, version ${V2}`);
    await form.getByRole('button', { name: 'Upload model' }).click();
    await waitForText(form.locator('.form-status'), `Model motor-baseline ${V2} is desired for gateway:${GW}; it reaches ${GW}.`);
    await waitForText(slot.locator('.slot-desired'), `${V2} for gateway:${GW}, ada`);

    // The gateway loads it, swaps it in and reports: applied, without a reload.
    await waitForAttr(slot, 'data-state', 'applied', 30_000);
    expect(await slot.locator('.slot-running').textContent()).toBe(V2);
    await waitForAttr(row, 'data-state', 'in-sync');
    expect(await admin.evaluate('window.__sameDocument')).toBe(true);
    expect((await health()).models).toEqual([{ name: 'motor-baseline', version: V2 }]);
  });

  it('shows a config with an error refused, with the gateway\'s error, while the gateway keeps the good one', { timeout: 60_000 }, async () => {
    const admin = await openPage('desktop');
    await logIn(admin, base, 'ada', PEOPLE.ada.password, '#/push');
    const row = admin.locator(`#push-state tr[data-gateway="${GW}"]`);
    const slot = row.locator('[data-slot="config"]');
    await waitForAttr(row, 'data-state', 'in-sync');
    await admin.evaluate('window.__sameDocument = true');
    const form = admin.locator('#push-config');
    const pushConfig = async (target: string, version: string, document: string) => {
      await form.getByLabel('Target').selectOption(target);
      await form.getByLabel('Version (optional)').fill(version);
      await form.getByLabel('Config document').fill(document);
      await form.getByRole('button', { name: 'Push config' }).click();
      await waitForText(form.locator('.form-status'), `Config ${version} is desired for ${target}`);
    };

    // A good config for the lab: applied.
    await pushConfig('site:lab', 'c1', 'alerts:\n  rules:\n    - { name: vibration-high, type: threshold, feature: vib_rms.mean, above: 2.8, kinds: [motor], raiseAfter: 2 }\n');
    await waitForAttr(slot, 'data-state', 'applied', 30_000);
    await waitForText(slot.locator('.slot-running'), 'c1');

    // One naming a detector the gateway's file lacks: only the gateway can tell; it refuses it and says why.
    await pushConfig(`gateway:${GW}`, 'c2', 'alerts:\n  rules:\n    - { name: shifted, type: detector, detector: temp-shift }\n');
    await waitForAttr(slot, 'data-state', 'refused', 30_000);
    await waitForText(slot.locator('.slot-error'), 'ERR_CONFIG_INVALID: config is invalid');
    await waitForText(slot.locator('.slot-error'), 'alerts.rules.0.detector: no detector is named temp-shift');
    await waitForText(slot.locator('.slot-desired'), `c2 for gateway:${GW}, ada`);
    expect(await slot.locator('.slot-running').textContent()).toBe('c1');
    await waitForAttr(row, 'data-state', 'refused');
    expect(await admin.evaluate('window.__sameDocument')).toBe(true);
    // What the page says is what the gateway runs: c1.
    const { desired } = (await call(base, '/api/push', { token: await token() })).json as { desired: Array<{ id: string; version: string }> };
    expect((await health()).push.config.id).toBe(desired.find((d) => d.version === 'c1')?.id);
    await screenshot(admin, 'push', 'desktop');

    for (const [who, size] of [['ada', 'phone'], ['vera', 'phone']] as const) {
      const page = await openPage(size);
      await logIn(page, base, who, PEOPLE[who].password, '#/push');
      await waitForAttr(page.locator(`#push-state tr[data-gateway="${GW}"] [data-slot="config"]`), 'data-state', 'refused');
      expect(await page.locator('#push-model').count(), `push forms for ${who}`).toBe(who === 'ada' ? 1 : 0);
      expect(await overflowX(page), `the push page on a phone (${who})`).toBe(0);
      if (who === 'ada') await screenshot(page, 'push', 'phone');
    }
  });

  it('logged no errors in any page', () => {
    expect(errors).toEqual([]);
  });

  const token = async (): Promise<string> => (await call(base, '/api/login', { method: 'POST', body: { username: 'vera', password: PEOPLE.vera.password } })).json.token as string;
});
