// `npm start` (tributary demo) as a user meets it: a cloud, a gateway and a simulated fleet with an
// injected bearing-wear failure, each its own process; the printed login opens the dashboard in a
// real browser, where an alert for the failing motor appears.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { browserMissing, launchChromium, logIn, screenshot, SIZES, waitForText } from '../helpers/browser.js';
import { freePort } from '../helpers/free-port.js';
import { CLI_MAIN } from '../helpers/simulator.js';
import { tempDir, type TempDir } from '../helpers/temp-dir.js';

const missing = browserMissing();
if (missing) console.warn(`demo: ${missing}; the demo's browser test is skipped`);

let demo: ChildProcess | undefined;
let browser: Browser | undefined;
let dir: TempDir | undefined;
afterEach(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    const gone = new Promise((r) => demo!.once('exit', r));
    demo.kill('SIGTERM');
    await gone;
  }
  dir?.[Symbol.dispose]();
  demo = browser = dir = undefined;
});

describe.skipIf(missing !== undefined)('npm start: the demo', () => {
  it('runs a cloud, a gateway and a fleet; the dashboard shows an alert for the injected failure', { timeout: 180_000 }, async () => {
    dir = tempDir('tributary-demo-');
    // A short scenario: two motors for an hour of simulated time at ×240; motor-002's bearing wears out over the second half.
    const scenario = join(dir.path, 'short.yaml');
    writeFileSync(
      scenario,
      JSON.stringify({
        gateway: { url: 'mqtt://127.0.0.1:1883', qos: 1 },
        speedup: 240,
        durationMs: 3_600_000,
        startTime: 'now-1h',
        seed: 42,
        groups: [{ kind: 'motor', count: 2, idPrefix: 'motor-', ratePerSec: 1 }],
        failures: [{ device: 'motor-002', mode: 'bearing-wear', startMs: 1_800_000, durationMs: 1_800_000, severity: 1 }],
      }),
    );
    const ports = { http: await freePort(), cloud: await freePort(), mqtt: await freePort(), gatewayHttp: await freePort() };
    demo = spawn(
      process.execPath,
      [CLI_MAIN, 'demo', '--data-dir', join(dir.path, 'demo'), '--scenario', scenario, '--http-port', String(ports.http), '--cloud-port', String(ports.cloud), '--mqtt-port', String(ports.mqtt), '--gateway-http-port', String(ports.gatewayHttp)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    demo.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    demo.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const login = await new Promise<{ url: string; user: string; password: string }>((resolve, reject) => {
      const check = () => {
        const url = /Dashboard:\s+(\S+)/.exec(out)?.[1];
        const creds = /Login:\s+(\S+) \/ (\S+)/.exec(out);
        if (url && creds) resolve({ url: url.replace(/\/$/, ''), user: creds[1]!, password: creds[2]! });
      };
      demo!.stdout!.on('data', check);
      demo!.once('exit', (code) => reject(new Error(`demo exited (${code}): ${err.slice(-2000)}`)));
    });
    expect(login.url).toBe(`http://127.0.0.1:${ports.http}`);

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: SIZES.desktop });
    await logIn(page, login.url, login.user, login.password, '#/alerts');
    // The wear shows within the simulated hour (four real minutes at most); the list updates live.
    await waitForText(page.locator('main'), 'motor-002', 150_000);
    await screenshot(page, 'demo-alerts', 'desktop');
    expect(await page.locator('main').textContent()).toMatch(/motor-anomaly|vibration-high|bearing-heating-fast/);
  });
});
