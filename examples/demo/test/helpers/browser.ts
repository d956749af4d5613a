import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../../../packages/coatcheck/test/helpers/chromium.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../artifacts/', import.meta.url));

/**
 * Why the browser tests cannot run here, or `false` when they can. Outside CI a machine without
 * Chromium skips them with the command that installs it; in CI (`CI=true`) a missing browser is a
 * failure, never a skip.
 */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM_PATH) || process.env.CI === 'true') return false;
  return `Chromium is not at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH)`;
}

/** Debian's Chromium, headless, with the flags a machine without a sandbox, GPU or network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}

/** Saves a full-page screenshot as artifacts/<name>.png (git ignores the folder). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS_DIR}${name}.png`, fullPage: true });
}

/** Clicks a submit button and waits for the page the form leads to; resolves its final status. */
export async function submit(page: Page, button: Locator): Promise<number | undefined> {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
  return response?.status();
}
