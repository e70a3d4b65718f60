// Debian's chromium driven by playwright-core for the dashboard's browser tests: headless, a fresh
// profile per launch (playwright makes one in a temporary folder), and the flags that keep a
// browser quiet on a closed network (no background downloads, component updates, sync or QUIC).

import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

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
