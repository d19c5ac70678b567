// Headless Chromium through playwright-core, with the browser Debian ships
// (hack/chromium.sh finds or installs it): playwright's own browser builds
// cannot be downloaded here.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const screenshotDir = resolve(import.meta.dirname, '.artifacts/screenshots');

export async function launch(): Promise<Browser> {
  const executablePath = process.env.UPDRAFT_CHROMIUM;
  if (!executablePath) throw new Error('UPDRAFT_CHROMIUM is not set: run the tests through hack/web.sh e2e');
  // Chromium's sandbox needs user namespaces, which a root CI shell may not
  // have; the pages are our own.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Saves a screenshot of the page as test output and returns its path. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

export const byTestId = (id: string) => `[data-testid="${id}"]`;
