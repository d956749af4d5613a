/**
 * Device-bound sessions (DBSC) in a real browser: Debian's Chromium with its DBSC features on
 * (`../shared/dbsc.md` has what it does on this machine), driven by playwright-core, against an app
 * of each adapter over HTTPS. Sign-in registers the browser's key; once the bound cookie expires,
 * Chromium holds the navigation and refreshes with a signed proof; cookies copied out of the
 * browser stop working elsewhere; a browser without DBSC keeps an ordinary session. Each adapter's
 * test gives an app serving `GET /signin?user=…` (rotate(), then `userId`) and `GET /me` (HTML,
 * `#user`), which reports each `/me` it serves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionEventName, SessionEvents, SessionInfo, SessionOptions } from 'coatcheck';
import type { BrowserContext } from 'playwright-core';
import { chromiumSkipReason, launchChromium } from '../../packages/coatcheck/test/helpers/chromium.js';
import { HttpsClient, type TestHttpsServer } from '../../packages/coatcheck/test/helpers/device.js';

export const CHROMIUM_SECRET = 'a Chromium test secret, at least thirty-two bytes long';
const BOUND = '__Host-coatcheck-bound';
/** The bound cookie's lifetime: short, so a refresh is due within a test. */
const MAX_AGE = 4000;

/** What `/me` saw: whether the request proved its device, and whose session it had. */
export interface Served {
  proven: boolean | null;
  user: string | null;
}

/** The options every adapter's app is started with. */
export const CHROMIUM_OPTIONS = {
  secret: CHROMIUM_SECRET,
  userKey: 'userId',
  deviceBound: { cookie: { maxAge: MAX_AGE } },
} satisfies SessionOptions;

/** The adapter's sessions, as far as the suite needs them. */
export interface ChromiumSessions {
  on<E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void): unknown;
  listByUser(user: string): Promise<SessionInfo[]>;
}

/** Starts the adapter's app over HTTPS (`listenHttps`); `served` is told of each `/me`. */
export type ChromiumApp = (
  served: (entry: Served) => void,
) => Promise<{ sessions: ChromiumSessions; server: TestHttpsServer }>;

async function until<T>(what: string, probe: () => T | undefined, timeout = 10_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The `#user` shown in a page of the app. */
export const mePage = (user: unknown) => `<title>me</title><p id="user">${String(user ?? 'nobody')}</p>`;

export function describeDeviceBoundInChromium(label: string, start: ChromiumApp): void {
  const skip = chromiumSkipReason();
  describe(`device-bound sessions in Chromium, on ${label}`, { skip }, () => {
    const events: Array<{ at: number; event: SessionEventName; payload: Record<string, unknown> }> = [];
    const log: Array<Served & { at: number }> = [];
    let sessions: ChromiumSessions;
    let server: TestHttpsServer;
    const launched: Array<{ close(): Promise<void> }> = [];

    before(async () => {
      ({ sessions, server } = await start((entry) => log.push({ at: Date.now(), ...entry })));
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
      const navigation = log.slice(before).at(-1);
      assert.ok(navigation, 'the navigation reached the server');
      assert.equal(navigation.proven, true, 'it arrived with a valid bound cookie');
      const refreshed = events.filter((e) => e.event === 'deviceRefreshed' && e.at >= expiredAt - MAX_AGE);
      assert.ok(refreshed.length > 0, 'a signed refresh renewed the cookie');
      assert.ok(
        refreshed.some((e) => e.at <= navigation.at),
        'the refresh came before the page was served',
      );
      assert.deepEqual(
        // Counted from this test's start: in a loaded full run one 'missing' event was seen while
        // this test's navigation was proven and refreshed in time; an earlier request (such as the
        // favicon, sent while the registration is being answered) is the likely source. The pages
        // served are in the message for the day it fails here.
        events
          .filter((e) => e.at >= startedAt)
          .filter((e) => e.event === 'deviceRefreshFailed' || e.event === 'usedWithoutDeviceProof')
          .map((e) => e.payload),
        [],
        `Chromium never had to go without its proof (pages served: ${JSON.stringify(log.slice(before))})`,
      );
    });

    it('copied cookies stop working elsewhere once the bound cookie expires, while the device goes on', async () => {
      assert.ok(copied, 'needs the cookies copied after sign-in');
      // An HTTP client and a fresh Chromium context, both holding the cookies copied out of the device.
      const client = new HttpsClient(server.url, server.certificate.cert);
      for (const { name, value } of copied) client.jar.set(name, value);
      const elsewhere = await browser(true);
      await elsewhere.addCookies(
        copied.map((c) => ({ ...c, url: server.url, secure: true, httpOnly: true })),
      );
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
}
