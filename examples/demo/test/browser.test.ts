import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../src/app.js';
import { browserSkipReason, launchChromium, screenshot, submit } from './helpers/browser.js';
import { type ChildServer, startChild, startInProcess, tempDataDir } from './helpers/server.js';

const skip = browserSkipReason();
if (skip) console.log(`# skipping the browser tests: ${skip}`);

const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const PASSWORD = 'correct horse battery';

async function sessionCookie(context: BrowserContext) {
  return (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
}

async function addToCart(page: Page, productName: string): Promise<void> {
  const card = page.locator('.products li', { hasText: productName });
  assert.equal(await submit(page, card.getByRole('button', { name: 'Add to cart' })), 200);
}

async function cartCount(page: Page): Promise<number> {
  const badge = page.getByTestId('cart-count');
  return (await badge.count()) === 0 ? 0 : Number(await badge.textContent());
}

async function fillCredentials(page: Page, path: '/signup' | '/login', base: string, username: string) {
  await page.goto(`${base}${path}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  return submit(page, page.getByRole('button', { name: path === '/signup' ? 'Create account' : 'Log in' }));
}

/**
 * Starts two things at once; if either fails, stops the one that started (a demo server left
 * running would keep the test process alive) and throws the failure.
 */
async function both<A, B>(
  first: Promise<A>,
  second: Promise<B>,
  stopFirst: (a: A) => Promise<unknown>,
  stopSecond: (b: B) => Promise<unknown>,
): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled([first, second]);
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  if (a.status === 'fulfilled') await stopFirst(a.value);
  if (b.status === 'fulfilled') await stopSecond(b.value);
  throw a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason;
}

describe('the demo in Chromium', { skip }, () => {
  const data = tempDataDir();
  let browser: Browser;
  let server: ChildServer;
  let alice: BrowserContext;
  let page: Page;

  before(async () => {
    [browser, server] = await both(
      launchChromium(),
      startChild({ PORT: '0', DATA_DIR: data.path, SESSION_SECRET: 'x'.repeat(40) }),
      (started) => started.close(),
      (started) => started.stop(),
    );
    alice = await browser.newContext({ viewport: LAPTOP });
    page = await alice.newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    data.remove();
  });

  it('signing up rotates the session ID and keeps the guest cart; the cookie is HttpOnly and SameSite=Lax', async () => {
    await page.goto(server.url);
    await screenshot(page, 'home-guest');
    await addToCart(page, 'Wool coat');
    await addToCart(page, 'Scarf');
    await addToCart(page, 'Scarf');
    assert.equal(await cartCount(page), 3);
    const guestCookie = await sessionCookie(alice);
    assert.ok(guestCookie, 'a session cookie once the cart holds something');

    await page.goto(`${server.url}/signup`);
    await screenshot(page, 'signup');
    assert.equal(await fillCredentials(page, '/signup', server.url, 'alice'), 200);
    assert.equal(await page.getByTestId('username').textContent(), 'alice');
    assert.equal(await cartCount(page), 3, 'the cart survived the login');

    const cookie = await sessionCookie(alice);
    assert.ok(cookie);
    assert.notEqual(cookie.value, guestCookie.value, 'login gave the session a new ID');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.secure, false, 'plain HTTP on 127.0.0.1: Secure would make the browser drop it');
    assert.equal(cookie.path, '/');
    assert.equal(await page.evaluate('document.cookie'), '', 'scripts cannot see the session cookie');
    await screenshot(page, 'home-signed-in');
  });

  it('the cart is still there after the server restarts', async () => {
    const port = server.port;
    await server.stop();
    server = await startChild({ PORT: String(port), DATA_DIR: data.path, SESSION_SECRET: 'x'.repeat(40) });

    await page.goto(`${server.url}/cart`);
    const rows = page.locator('[data-testid="cart"] tbody tr');
    assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-product'))), [
      'wool-coat',
      'scarf',
    ]);
    assert.equal(await rows.nth(1).locator('.qty').textContent(), '2');
    assert.equal(await page.getByTestId('cart-total').textContent(), '€259.00');
    assert.equal(await page.getByTestId('username').textContent(), 'alice');
    await screenshot(page, 'cart');
  });

  it('the session page shows the cookie attributes and the time left', async () => {
    await page.goto(`${server.url}/session`);
    const attribute = (name: string) => page.locator(`[data-attribute="${name}"]`).textContent();
    assert.equal(await attribute('httponly'), 'yes');
    assert.equal(await attribute('samesite'), 'lax');
    assert.match((await page.getByTestId('idle-left').textContent()) ?? '', /^(29|30) min/);
    assert.match((await page.getByTestId('absolute-left').textContent()) ?? '', /^6 d 23 h|^7 d/);
    await screenshot(page, 'session');
  });

  it('the session page fits a 390 px phone screen: nothing overflows sideways', async () => {
    // The same session as the laptop (its cookie copied), so the page shows the time left as well.
    const phone = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      storageState: await alice.storageState(),
    });
    try {
      const phonePage = await phone.newPage();
      await phonePage.goto(`${server.url}/session`);
      assert.ok(await phonePage.getByTestId('time-left').isVisible());
      // A string, as this file is typechecked without the DOM's types.
      const overflow = (await phonePage.evaluate(`(() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll('body *')]
          .filter((element) => element.getBoundingClientRect().right > width + 0.5)
          .map((element) => element.tagName.toLowerCase() + '.' + element.className + ': ' + (element.textContent ?? '').slice(0, 40));
        return { width, scrollWidth: document.documentElement.scrollWidth, wide };
      })()`)) as { width: number; scrollWidth: number; wide: string[] };
      await screenshot(phonePage, 'phone-session');
      assert.equal(overflow.width, PHONE.width);
      assert.deepEqual(overflow.wide, []);
      assert.ok(overflow.scrollWidth <= PHONE.width, `the page is ${overflow.scrollWidth} px wide`);
    } finally {
      await phone.close();
    }
  });

  it('two browser contexts are two sessions, and "log out everywhere else" ends the other', async () => {
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    try {
      const phonePage = await phone.newPage();
      assert.equal(await fillCredentials(phonePage, '/login', server.url, 'alice'), 200);
      assert.equal(await phonePage.getByTestId('username').textContent(), 'alice');
      assert.notEqual((await sessionCookie(phone))?.value, (await sessionCookie(alice))?.value);
      assert.equal(await cartCount(phonePage), 0, 'a new session has its own, empty cart');
      await screenshot(phonePage, 'phone-home');

      await page.goto(`${server.url}/devices`);
      assert.equal(await page.getByTestId('device').count(), 2);
      assert.equal(await page.locator('.card.current .tag').textContent(), 'this device');
      await screenshot(page, 'devices');
      await phonePage.goto(`${server.url}/devices`);
      await screenshot(phonePage, 'phone-devices');

      await submit(page, page.getByRole('button', { name: 'Log out everywhere else' }));
      assert.match((await page.locator('.flash.success').textContent()) ?? '', /Logged out 1 other device/);
      assert.equal(await page.getByTestId('device').count(), 1);

      const response = await phonePage.goto(`${server.url}/devices`);
      assert.equal(response?.status(), 401, 'the other session is over');
      assert.equal(await phonePage.locator('footer').getByText('Not signed in').count(), 1);
      assert.match(
        (await phonePage.locator('.flash.info').textContent()) ?? '',
        /previous session has ended/,
        'the browser is told why',
      );
      await screenshot(phonePage, 'phone-401');
      assert.equal(await page.getByTestId('username').textContent(), 'alice', 'this session lives on');
    } finally {
      await phone.close();
    }
  });

  it('a forged cross-site form POST is refused and changes nothing', async () => {
    let attacker: Server | undefined;
    try {
      // Another site: "localhost" and "127.0.0.1" are different sites to the browser.
      attacker = createServer((_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(`<!doctype html><title>Win a coat</title>
<form method="post" action="${server.url}/cart/clear"><button>Claim your prize</button></form>`);
      });
      await new Promise<void>((resolve) => attacker?.listen(0, '127.0.0.1', resolve));
      const { port } = attacker.address() as AddressInfo;

      const before = await cartCount(page);
      assert.ok(before > 0);
      await page.goto(`http://localhost:${port}/`);
      const [response] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.getByRole('button', { name: 'Claim your prize' }).click(),
      ]);
      assert.equal(response?.status(), 403);
      assert.equal(await response?.headerValue('x-refused-because'), 'cross-site');
      assert.equal(await page.locator('h1').textContent(), 'Request refused');
      await screenshot(page, 'csrf-403');

      await page.goto(`${server.url}/cart`);
      assert.equal(await cartCount(page), before, 'the cart was not emptied');
    } finally {
      await new Promise((resolve) => attacker?.close(resolve));
    }
  });

  it('unknown pages get a clean 404 page', async () => {
    const response = await page.goto(`${server.url}/no/such/page`);
    assert.equal(response?.status(), 404);
    assert.equal(await page.locator('h1').textContent(), 'Page not found');
    await screenshot(page, 'not-found');
  });

  it('the API answers 401 without a token and 200 with one, and sees the browser cart', async () => {
    await page.goto(`${server.url}/api`);
    assert.equal(await page.locator('h1').textContent(), 'The JSON API');
    await screenshot(page, 'api-guide');
    const api = alice.request;
    const anonymous = await api.get(`${server.url}/api/me`);
    assert.equal(anonymous.status(), 401);
    assert.match(anonymous.headers()['www-authenticate'] ?? '', /^Bearer/);

    const issued = await api.post(`${server.url}/api/token`, {
      data: { username: 'alice', password: PASSWORD },
    });
    assert.equal(issued.status(), 200);
    const { access_token: token } = (await issued.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${token}` };
    const me = await api.get(`${server.url}/api/me`, { headers: auth });
    assert.equal(me.status(), 200);
    assert.equal(((await me.json()) as { username: string }).username, 'alice');
    const cart = await api.get(`${server.url}/api/cart`, { headers: auth });
    assert.equal(((await cart.json()) as { count: number }).count, 3);
  });

  it('the login page and the error pages look right on a phone', async () => {
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    try {
      const phonePage = await phone.newPage();
      await phonePage.goto(`${server.url}/login`);
      await screenshot(phonePage, 'phone-login');
      assert.equal(await fillCredentials(phonePage, '/login', server.url, 'alice-typo'), 400);
      assert.match((await phonePage.locator('.flash.error').textContent()) ?? '', /do not match an account/);
      await screenshot(phonePage, 'phone-login-failed');
    } finally {
      await phone.close();
    }
  });
});

describe('an idle session in Chromium', { skip }, () => {
  it('expires after the idle timeout: signed out, cart gone', async () => {
    const data = tempDataDir();
    const [browser, running] = await both(
      launchChromium(),
      startInProcess(data.path, { IDLE_TIMEOUT: '2500' }),
      (started) => started.close(),
      (started) => started.close(),
    );
    try {
      const context = await browser.newContext({ viewport: LAPTOP });
      const page = await context.newPage();
      assert.equal(await fillCredentials(page, '/signup', running.url, 'idler'), 200);
      await addToCart(page, 'Umbrella');
      await page.goto(`${running.url}/session`);
      assert.match((await page.getByTestId('idle-left').textContent()) ?? '', /^2 s|^1 s/);

      // Busy within the timeout: each request restarts it.
      for (let i = 0; i < 3; i++) {
        await sleep(800);
        await page.goto(`${running.url}/cart`);
        assert.equal(await page.getByTestId('username').textContent(), 'idler');
      }
      await sleep(3000);
      await page.goto(`${running.url}/cart`);
      assert.equal(await page.locator('footer').getByText('Not signed in').count(), 1);
      assert.equal(await cartCount(page), 0);
      assert.match((await page.locator('.flash.info').textContent()) ?? '', /previous session has ended/);
    } finally {
      await browser.close();
      await running.close();
      data.remove();
    }
  });
});
