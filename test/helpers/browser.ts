// Debian's chromium driven by playwright-core for the dashboard's browser tests: headless, a fresh
// profile per launch (playwright makes one in a temporary folder), and the flags that keep a
// browser quiet on a closed network (no background downloads, component updates, sync or QUIC).

import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. */
export const browserMissing = (): string | undefined =>
  existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is absent: install Debian's chromium package (apt-get install chromium) to run the dashboard's browser tests`;

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });

export const SIZES = { desktop: { width: 1366, height: 900 }, phone: { width: 390, height: 844 } } as const;
export type SizeName = keyof typeof SIZES;

/** test/e2e/screenshots (git-ignored). */
export const SCREENSHOT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'e2e', 'screenshots');

/** Save a full-page screenshot as `<name>-<size>.png`; returns its path. */
export async function screenshot(page: Page, name: string, size: SizeName): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}-${size}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** How far the page is wider than its viewport (0: no horizontal scrolling). */
// A string, not a function: the project's TypeScript has no DOM types, and this runs in the page.
export const overflowX = (page: Page): Promise<number> => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/**
 * Record what a page does wrong into `errors`: uncaught errors, console errors, and responses of
 * 400 and up unless `expected` (patterns of `<status> <METHOD> <path>`) names them.
 */
export function recordPageErrors(page: Page, errors: string[], expected: readonly RegExp[]): void {
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    // A refused request is logged by the browser too; those are judged by their response below.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    const what = `${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`;
    if (r.status() >= 400 && !expected.some((p) => p.test(what))) errors.push(`response: ${what}`);
  });
}

/** Log in through the dashboard's form at `base`/`hash`, and wait for the live stream. */
export async function logIn(page: Page, base: string, name: string, password: string, hash = ''): Promise<void> {
  await page.goto(`${base}/${hash}`);
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#live-state[data-state="live"]').waitFor();
}

/** Poll `read` until `ok` accepts its value (the page updates on its own time); else fail saying what was found. */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; found ${JSON.stringify(value)?.slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Wait until the locator's (first match's) text contains `text`. */
export const waitForText = (locator: Locator, text: string, timeoutMs = 10_000): Promise<void> =>
  until(async () => (await locator.first().textContent({ timeout: 10_000 }).catch(() => '')) ?? '', (t) => t.includes(text), `${JSON.stringify(text)} in ${locator}`, timeoutMs);

/** Wait until the locator's (first match's) attribute `name` contains `value`. */
export const waitForAttr = (locator: Locator, name: string, value: string, timeoutMs = 10_000): Promise<void> =>
  until(() => locator.first().getAttribute(name, { timeout: 10_000 }).catch(() => null), (v) => v?.includes(value) ?? false, `${name} of ${locator} to contain ${JSON.stringify(value)}`, timeoutMs);

/** Wait until the locator matches `n` elements. */
export const waitForCount = (locator: Locator, n: number): Promise<void> => until(() => locator.count(), (c) => c === n, `${n} of ${locator}`);
