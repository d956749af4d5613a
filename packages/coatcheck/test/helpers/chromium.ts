import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the Chromium tests cannot run here, or `false`. Outside CI a machine without Chromium skips
 * them with one line; in CI (`CI=true`) a missing browser is a failure, never a skip.
 */
export function chromiumSkipReason(): string | false {
  if (existsSync(CHROMIUM_PATH) || process.env.CI === 'true' || process.env.CI === '1') return false;
  const reason = `Chromium is not at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH)`;
  console.log(`# skipping the Chromium tests: ${reason}`);
  return reason;
}

/**
 * The flags Debian's Chromium needs on a machine without a sandbox, a GPU or a network (without the
 * background-networking ones it keeps trying to reach Google's hosts). The demo's browser tests use
 * them too.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** The features that make Chromium 156 do DBSC on Linux (see the machine notes): both are needed. */
export const DBSC_FEATURES =
  '--enable-features=DeviceBoundSessions,EnableBoundSessionCredentialsSoftwareKeysForManualTesting';

/**
 * Debian's Chromium, headless, in a fresh profile, trusting one certificate by its SPKI hash (an
 * ignored certificate error makes Chromium drop DBSC silently). `dbsc: false` leaves the features
 * off: a browser without DBSC, as every browser but Chrome is today.
 */
export async function launchChromium(options: { spki: string; dbsc: boolean }): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const profile = mkdtempSync(join(tmpdir(), 'coatcheck-chromium-'));
  const args = ['--headless', ...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${options.spki}`];
  // Playwright adds its own --enable-features; the last one on the command line wins, so ours goes after.
  if (options.dbsc) args.push(DBSC_FEATURES);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
