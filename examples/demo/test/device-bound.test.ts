// The demo's HTTPS mode (HTTPS=1) in Chromium with DBSC: signing up binds the session to the
// browser's device key, the devices page shows it, the session page shows the bound cookie's time.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../../../packages/coatcheck/test/helpers/chromium.js';
import type { RunningDemo } from '../src/app.js';
import { browserSkipReason, submit } from './helpers/browser.js';
import { startInProcess, tempDataDir } from './helpers/server.js';

const skip = browserSkipReason();
if (skip) console.log(`# skipping the demo's device-bound test: ${skip}`);

describe('the demo over HTTPS: device-bound sessions in Chromium', { skip }, () => {
  const data = tempDataDir();
  let server: RunningDemo;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let context: BrowserContext;

  before(async () => {
    server = await startInProcess(data.path, { HTTPS: '1' });
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.spki);
    browser = await launchChromium({ spki: server.spki, dbsc: true });
    context = browser.context;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    data.remove();
  });

  it('signing up binds the session: a "bound to this device" badge, and the bound cookie’s time left', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/signup`);
    await page.getByLabel('Username').fill('dana');
    await page.getByLabel('Password').fill('correct horse battery');
    assert.equal(await submit(page, page.getByRole('button', { name: 'Create account' })), 200);
    const deadline = Date.now() + 10_000;
    let badges = 0;
    while (Date.now() < deadline) {
      await page.goto(`${server.url}/devices`);
      badges = await page.getByTestId('bound-badge').count();
      if (badges > 0) break;
      await sleep(200);
    }
    assert.equal(badges, 1, 'the current session is bound to this device');
    assert.equal(await page.getByTestId('bound-badge').textContent(), 'bound to this device');
    await page.goto(`${server.url}/session`);
    const left = (await page.getByTestId('bound-left').textContent()) ?? '';
    assert.match(left, /^\s*(\d+ min )?\d+ s|^\s*\d+ min/, left);
    assert.ok(
      (await context.cookies()).some((c) => c.name === '__Host-coatcheck-bound' && c.secure && c.httpOnly),
    );
  });
});
