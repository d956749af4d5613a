import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import session, { MemoryStore, type SessionEventName } from 'coatcheck';
import express from 'express';
import type { BrowserContext } from 'playwright-core';
import { chromiumSkipReason, launchChromium } from '../helpers/chromium.js';
import { HttpsClient, listenHttps, type TestHttpsServer } from '../helpers/device.js';

const skip = chromiumSkipReason();
const SECRET = 'a Chromium test secret, at least thirty-two bytes long';
const BOUND = '__Host-coatcheck-bound';
const MAX_AGE = 4000;

type Req = express.Request & { session: Record<string, unknown> & { rotate(): Promise<void> } };
type Logged = { at: number; method: string; path: string; proven: boolean | null; user: unknown };

async function until<T>(what: string, probe: () => T | undefined, timeout = 10_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('device-bound sessions in Chromium', { skip }, () => {
  const store = new MemoryStore();
  const sessions = session({
    secret: SECRET,
    store,
    userKey: 'userId',
    deviceBound: { cookie: { maxAge: MAX_AGE } },
  });
  const events: Array<{ at: number; event: SessionEventName; payload: Record<string, unknown> }> = [];
  const log: Logged[] = [];
  let server: TestHttpsServer;
  const launched: Array<{ close(): Promise<void> }> = [];

  for (const event of [
    'deviceBound',
    'deviceRefreshed',
    'deviceRefreshFailed',
    'usedWithoutDeviceProof',
  ] as const) {
    sessions.on(event, (payload) =>
      events.push({ at: Date.now(), event, payload: payload as Record<string, unknown> }),
    );
  }

  before(async () => {
    const app = express();
    app.use(sessions);
    app.use((req, res, next) => {
      res.on('finish', () =>
        log.push({
          at: Date.now(),
          method: req.method,
          path: req.path,
          proven: sessions.deviceBinding(req)?.proven ?? null,
          user: (req as Req).session?.userId ?? null,
        }),
      );
      next();
    });
    app.get('/signin', async (req, res) => {
      await (req as Req).session.rotate();
      (req as Req).session.userId = String(req.query.user ?? 'alice');
      res.type('html').send('<title>signed in</title><p>signed in</p>');
    });
    app.get('/me', (req, res) => {
      const user = (req as Req).session.userId;
      res.type('html').send(`<title>me</title><p id="user">${user ?? 'nobody'}</p>`);
    });
    server = await listenHttps(app);
  });
  after(async () => {
    for (const browser of launched) await browser.close();
    await server?.close();
  });

  async function browser(dbsc: boolean): Promise<BrowserContext> {
    const opened = await launchChromium({ spki: server.certificate.spki, dbsc });
    launched.push(opened);
    return opened.context;
  }

  async function userShown(context: BrowserContext): Promise<string> {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/me`);
    return (await page.textContent('#user')) ?? '';
  }

  let device: BrowserContext;
  let copied: Array<{ name: string; value: string }>;

  it('sign in: Chromium registers its key and the bound cookie is set', async () => {
    device = await browser(true);
    const page = await device.newPage();
    const registeredBefore = events.filter((e) => e.event === 'deviceBound').length;
    await page.goto(`${server.url}/signin?user=alice`);
    await until('the registration', () =>
      events.filter((e) => e.event === 'deviceBound').length > registeredBefore ? true : undefined,
    );
    const jar = await device.cookies();
    const bound = jar.find((c) => c.name === BOUND);
    assert.ok(bound, 'the bound cookie is in the browser');
    assert.equal(bound.httpOnly, true);
    assert.equal(bound.secure, true);
    assert.equal(await userShown(device), 'alice');
    copied = jar.map(({ name, value }) => ({ name, value }));
    const [info] = await sessions.listByUser('alice');
    assert.equal(info?.deviceBound, true);
  });

  it('once the bound cookie expires, Chromium holds the navigation, refreshes with a signed proof, and the page is signed in', async () => {
    assert.ok(device, 'needs the registered browser');
    // The bound cookie was set at registration, before this line: it has expired by then.
    const startedAt = Date.now();
    const expiredAt = startedAt + MAX_AGE;
    await sleep(MAX_AGE + 500);
    const before = log.length;
    assert.equal(await userShown(device), 'alice');
    const navigation = log.slice(before).find((l) => l.method === 'GET' && l.path === '/me');
    assert.ok(navigation, 'the navigation reached the server');
    assert.equal(navigation.proven, true, 'it arrived with a valid bound cookie');
    const refreshed = events.filter((e) => e.event === 'deviceRefreshed' && e.at >= expiredAt - MAX_AGE);
    assert.ok(refreshed.length > 0, 'a signed refresh renewed the cookie');
    assert.ok(
      refreshed.some((e) => e.at <= navigation.at),
      'the refresh came before the page was served',
    );
    assert.deepEqual(
      // Counted from this test's start: in a loaded full run one 'missing' event was seen while this
      // test's navigation was proven and refreshed in time; an earlier request (such as the
      // favicon, sent while the registration is being answered) is the likely source. The request
      // log is in the message for the day it fails here.
      events
        .filter((e) => e.at >= startedAt)
        .filter((e) => e.event === 'deviceRefreshFailed' || e.event === 'usedWithoutDeviceProof')
        .map((e) => e.payload),
      [],
      `Chromium never had to go without its proof (requests: ${JSON.stringify(log.slice(before))})`,
    );
  });

  it('copied cookies stop working elsewhere once the bound cookie expires, while the device goes on', async () => {
    assert.ok(copied, 'needs the cookies copied after sign-in');
    // An HTTP client and a fresh Chromium context, both holding the cookies copied out of the device.
    const client = new HttpsClient(server.url, server.certificate.cert);
    for (const { name, value } of copied) client.jar.set(name, value);
    const elsewhere = await browser(true);
    await elsewhere.addCookies(copied.map((c) => ({ ...c, url: server.url, secure: true, httpOnly: true })));
    await sleep(MAX_AGE + 200); // the copied bound cookie is past its expiry by now, whatever the first test took
    const answer = await client.request('/me');
    assert.match(answer.body, /id="user">nobody</);
    assert.equal(await userShown(elsewhere), 'nobody');
    const refused = events.filter((e) => e.event === 'usedWithoutDeviceProof');
    assert.ok(refused.length >= 2, 'both copies were reported');
    assert.ok(refused.every((e) => e.payload.enforced === true && e.payload.user === 'alice'));
    assert.equal(await userShown(device), 'alice', 'the device keeps its session');
    const [info] = await sessions.listByUser('alice');
    assert.equal(info?.deviceBound, true, 'the stored session is untouched');
  });

  it('a browser without the DBSC features keeps an ordinary working session', async () => {
    const plain = await browser(false);
    const page = await plain.newPage();
    await page.goto(`${server.url}/signin?user=bob`);
    for (let i = 0; i < 3; i++) assert.equal(await userShown(plain), 'bob');
    assert.equal(
      (await plain.cookies()).some((c) => c.name === BOUND),
      false,
    );
    const [info] = await sessions.listByUser('bob');
    assert.equal(info?.deviceBound, false);
    assert.equal(events.filter((e) => e.payload.user === 'bob').length, 0);
  });
});
