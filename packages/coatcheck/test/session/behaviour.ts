// The HTTP behaviour every session middleware shares, whatever carries the session between
// requests: one suite, run by session.behaviour.test.ts (signed ID and store) and by
// cookie-session.test.ts (sealed cookie), each on Express 4 and 5.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SessionManager } from 'coatcheck';
import { sessionAppWith } from '../helpers/app.js';
import { type AnyApp, Client, EXPRESS } from '../helpers/http.js';
import { assertKeptAlive } from '../helpers/idle.js';

/** One session middleware, as the suite needs to know it. */
export interface SessionFlavour {
  /** `session()`, `cookieSession()`. */
  label: string;
  /** The cookie name when the options give none. */
  cookieName: string;
  make(options: Record<string, unknown>): SessionManager;
  /** Options two apps need to see the same sessions (a store for `session()`, nothing for cookies). */
  shared(): Record<string, unknown>;
  /** `req.session = null` ends the session whatever `unset` says (cookie-session's rule). */
  nullClears?: boolean;
}

type Handler = (req: AnyApp, res: AnyApp) => unknown;

const OLD_SECRET = 'the old secret, thirty-two bytes or more';
const NEW_SECRET = 'the new secret, thirty-two bytes or more';

/** Flips one character in the middle of a cookie value, keeping it a valid cookie value. */
function flipMiddle(value: string): string {
  const at = Math.floor(value.length / 2);
  const replacement = value[at] === 'A' ? 'B' : 'A';
  return value.slice(0, at) + replacement + value.slice(at + 1);
}

export function describeSessionBehaviour(flavour: SessionFlavour): void {
  const NAME = flavour.cookieName;
  for (const [framework, makeApp] of EXPRESS) {
    describe(`${flavour.label} behaviour on ${framework}`, () => {
      const servers: Array<{ close(): Promise<void> }> = [];
      after(() => Promise.all(servers.map((s) => s.close())));
      async function app(options: Record<string, unknown> = {}, extra?: (app: AnyApp) => void) {
        const server = await sessionAppWith(makeApp, (o) => flavour.make(o), options, extra);
        servers.push(server);
        return server;
      }
      const route = (method: 'get' | 'post', path: string, handler: Handler) => (a: AnyApp) =>
        a[method](path, handler);

      it('keeps data across requests, with safe cookie attributes and no caching', async () => {
        const server = await app();
        const client = new Client(server.url);
        const first = await client.fetch('/views');
        assert.equal(await first.text(), '1');
        assert.equal(first.setCookies.length, 1);
        assert.match(
          first.setCookies[0] as string,
          new RegExp(`^${NAME}=[^;]+; Path=/; HttpOnly; SameSite=Lax$`),
        );
        assert.equal(first.headers.get('cache-control'), 'no-store');
        assert.equal(await client.text('/views'), '2');
        assert.equal(await client.text('/views'), '3');
      });

      it('sets no cookie for a session nobody wrote to (saveUninitialized: false)', async () => {
        const server = await app();
        const response = await new Client(server.url).fetch('/nothing');
        assert.deepEqual(response.setCookies, []);
      });

      it('sets a cookie for an untouched session with saveUninitialized: true, and it opens', async () => {
        const server = await app({ saveUninitialized: true });
        const client = new Client(server.url);
        const response = await client.fetch('/id');
        assert.equal(response.setCookies.length, 1);
        assert.equal(
          await client.text('/id'),
          await response.text(),
          'the next request has the same session',
        );
      });

      it('does not resend the cookie on unmodified requests, and does with rolling: true', async () => {
        const plain = await app({ cookie: { maxAge: 60_000 } });
        const client = new Client(plain.url);
        await client.fetch('/views');
        assert.deepEqual((await client.fetch('/read')).setCookies, []);
        assert.equal(
          (await client.fetch('/views')).setCookies.length,
          1,
          'a modified session with maxAge resends',
        );

        const rolling = await app({ rolling: true });
        const rollingClient = new Client(rolling.url);
        await rollingClient.fetch('/views');
        const reread = await rollingClient.fetch('/read');
        assert.equal(reread.setCookies.length, 1);
        assert.deepEqual(await reread.json(), { views: 1 });
        assert.equal(await rollingClient.text('/views'), '2', 'the resent cookie still opens the session');
      });

      it('sets Expires from cookie.maxAge', async () => {
        const server = await app({ cookie: { maxAge: 60_000 } });
        const response = await new Client(server.url).fetch('/views');
        const expires = /Expires=([^;]+)/.exec(response.setCookies[0] as string)?.[1];
        assert.ok(expires);
        const delta = Date.parse(expires) - Date.now();
        assert.ok(delta > 55_000 && delta <= 60_000, `expires in ${delta} ms`);
      });

      it('accepts a cookie made under an older secret and re-issues it under the newest, on the same response', async () => {
        const shared = flavour.shared();
        const old = await app({ ...shared, secret: OLD_SECRET });
        const client = new Client(old.url);
        await client.fetch('/views');
        const oldCookie = client.jar.get(NAME) as string;
        const rotated = await app({ ...shared, secret: [NEW_SECRET, OLD_SECRET] });
        const next = new Client(rotated.url);
        next.jar.set(NAME, oldCookie);
        const response = await next.fetch('/read');
        assert.deepEqual(await response.json(), { views: 1 });
        assert.equal(response.setCookies.length, 1, 're-issued on the same response');
        assert.notEqual(next.jar.get(NAME), oldCookie);
        const newOnly = await app({ ...shared, secret: NEW_SECRET });
        const later = new Client(newOnly.url);
        later.jar.set(NAME, next.jar.get(NAME) as string);
        assert.deepEqual(
          await (await later.fetch('/read')).json(),
          { views: 1 },
          'the new cookie needs only the new secret',
        );
        const stale = new Client(newOnly.url);
        stale.jar.set(NAME, oldCookie);
        assert.deepEqual(
          await (await stale.fetch('/read')).json(),
          {},
          'the old cookie needs the old secret',
        );
      });

      const badCookies: Array<[string, (good: string, foreign: string) => string]> = [
        ['a tampered value', (good) => `${NAME}=${flipMiddle(good)}`],
        ['a truncated value', (good) => `${NAME}=${good.slice(0, -5)}`],
        ['a value made under another secret', (_good, foreign) => `${NAME}=${foreign}`],
        ['a malformed percent-encoding', () => `${NAME}=s%3A%E0%A4%A`],
        ['garbage bytes', () => `${NAME}=s:"\\";;==;,,\u00ff`],
        ['an empty value', () => `${NAME}=`],
        ['an oversized value', () => `${NAME}=${'a'.repeat(12_000)}`],
      ];
      for (const [label, makeCookie] of badCookies) {
        it(`treats ${label} as no session: a fresh one, no error`, async () => {
          const shared = flavour.shared();
          const server = await app(shared);
          const other = await app({ ...shared, secret: OLD_SECRET });
          const stranger = new Client(other.url);
          await stranger.fetch('/views');
          const client = new Client(server.url);
          await client.fetch('/views');
          const goodId = await client.text('/id');
          const good = client.jar.get(NAME) as string;
          const response = await client.fetch('/views', {
            cookie: makeCookie(good, stranger.jar.get(NAME) as string),
          });
          assert.equal(response.status, 200);
          assert.equal(await response.text(), '1');
          assert.notEqual(await client.text('/id'), goodId);
        });
      }

      it('uses the first of duplicated cookies, as browsers send the most specific first', async () => {
        const server = await app();
        const client = new Client(server.url);
        await client.fetch('/views');
        const good = client.jar.get(NAME) as string;
        const response = await client.fetch('/views', {
          cookie: `${NAME}=${good}; ${NAME}=${flipMiddle(good)}`,
        });
        assert.equal(await response.text(), '2');
        const tamperedFirst = await client.fetch('/views', { cookie: `${NAME}=bogus; ${NAME}=${good}` });
        assert.equal(tamperedFirst.status, 200);
        assert.equal(await tamperedFirst.text(), '1', 'an invalid first cookie gives a fresh session');
      });

      it('regenerate() gives a new, empty session under a new ID', async () => {
        const server = await app(
          {},
          route('post', '/regenerate', async (req, res) => {
            await req.session.regenerate();
            req.session.fresh = true;
            res.send('ok');
          }),
        );
        const client = new Client(server.url);
        await client.fetch('/views');
        const before = await client.text('/id');
        await client.fetch('/regenerate', { method: 'POST' });
        assert.notEqual(await client.text('/id'), before);
        assert.deepEqual(await (await client.fetch('/read')).json(), { fresh: true });
      });

      it('regenerate() without new data leaves the browser no session', async () => {
        const server = await app(
          {},
          route('post', '/regenerate-empty', async (req, res) => {
            await req.session.regenerate();
            res.send('ok');
          }),
        );
        const client = new Client(server.url);
        await client.fetch('/set/secret/value', { method: 'POST' });
        const response = await client.fetch('/regenerate-empty', { method: 'POST' });
        assert.match(response.setCookies[0] as string, new RegExp(`^${NAME}=; .*Expires=Thu, 01 Jan 1970`));
        assert.deepEqual(await (await client.fetch('/read')).json(), {});
      });

      it('rotate() keeps the data under a new ID', async () => {
        const server = await app({ userKey: 'userId' });
        const client = new Client(server.url);
        await client.fetch('/set/cart/apples', { method: 'POST' });
        const oldId = await client.text('/id');
        const newId = await client.text('/login/ada', { method: 'POST' });
        assert.notEqual(newId, oldId);
        assert.equal(await client.text('/id'), newId);
        assert.deepEqual(await (await client.fetch('/read')).json(), { cart: 'apples', userId: 'ada' });
      });

      it('rotate() and regenerate() move the object the app holds: no reference goes stale', async () => {
        const server = await app(
          {},
          route('post', '/move/:how', async (req, res) => {
            const held = req.session;
            const before = held.id;
            if (req.params.how === 'rotate') await held.rotate();
            else await held.regenerate();
            held.moved = req.params.how;
            res.json({ same: req.session === held, idChanged: held.id !== before, keys: Object.keys(held) });
          }),
        );
        const client = new Client(server.url);
        await client.fetch('/set/cart/apples', { method: 'POST' });
        const rotated = await client.fetch('/move/rotate', { method: 'POST' });
        assert.deepEqual(await rotated.json(), {
          same: true,
          idChanged: true,
          keys: ['cookie', 'cart', 'moved'],
        });
        assert.deepEqual(await (await client.fetch('/read')).json(), { cart: 'apples', moved: 'rotate' });
        const regenerated = await client.fetch('/move/regenerate', { method: 'POST' });
        assert.deepEqual(await regenerated.json(), {
          same: true,
          idChanged: true,
          keys: ['cookie', 'moved'],
        });
        assert.deepEqual(await (await client.fetch('/read')).json(), { moved: 'regenerate' });
      });

      it('destroy() unsets req.session and clears the cookie', async () => {
        const server = await app();
        const client = new Client(server.url);
        await client.fetch('/views');
        const response = await client.fetch('/logout', { method: 'POST' });
        assert.equal(await response.text(), 'undefined');
        assert.match(
          response.setCookies[0] as string,
          new RegExp(`^${NAME}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$`),
        );
        assert.equal(client.jar.size, 0);
        assert.deepEqual(await (await client.fetch('/read')).json(), {});
      });

      it('save() with a callback or a promise keeps the data', async () => {
        const server = await app({}, (a) => {
          a.post('/save-callback', (req: AnyApp, res: AnyApp) => {
            req.session.byCallback = true;
            req.session.save((err: unknown) => res.send(String(err ?? 'saved')));
          });
          a.post('/save-promise', async (req: AnyApp, res: AnyApp) => {
            req.session.byPromise = true;
            await req.session.save();
            res.send('saved');
          });
        });
        const client = new Client(server.url);
        assert.equal(await client.text('/save-callback', { method: 'POST' }), 'saved');
        assert.equal(await client.text('/save-promise', { method: 'POST' }), 'saved');
        assert.deepEqual(await (await client.fetch('/read')).json(), { byCallback: true, byPromise: true });
      });

      it('deleting a key removes it', async () => {
        const server = await app();
        const client = new Client(server.url);
        await client.fetch('/set/a/1', { method: 'POST' });
        await client.fetch('/set/b/2', { method: 'POST' });
        await client.fetch('/delete/a', { method: 'POST' });
        assert.deepEqual(await (await client.fetch('/read')).json(), { b: '2' });
      });

      it('cookie.maxAge set on one session ("remember me") persists with it', async () => {
        const server = await app(
          {},
          route('post', '/remember', (req, res) => {
            req.session.cookie.maxAge = 3_600_000;
            req.session.remembered = true;
            res.send('ok');
          }),
        );
        const client = new Client(server.url);
        const first = await client.fetch('/views');
        assert.doesNotMatch(first.setCookies[0] as string, /Expires/);
        const remembered = await client.fetch('/remember', { method: 'POST' });
        assert.match(remembered.setCookies[0] as string, /Expires=/);
        const later = await client.fetch('/views');
        assert.match(
          later.setCookies[0] as string,
          /Expires=/,
          'later responses keep the per-session maxAge',
        );
      });

      it('takes cookie options from a function of the request', async () => {
        const server = await app({
          cookie: (req: AnyApp) => ({ path: '/', maxAge: req.headers['x-remember'] ? 120_000 : undefined }),
        });
        const remembered = await new Client(server.url).fetch('/views', { headers: { 'x-remember': '1' } });
        assert.match(remembered.setCookies[0] as string, /Expires=/);
        const plain = await new Client(server.url).fetch('/views');
        assert.doesNotMatch(plain.setCookies[0] as string, /Expires=/);
      });

      it('secure: "auto" adds Secure only behind HTTPS (trusted proxy)', async () => {
        const server = await app({ proxy: true, cookie: { sameSite: 'auto' } });
        const http = await new Client(server.url).fetch('/views');
        assert.doesNotMatch(http.setCookies[0] as string, /Secure/);
        assert.match(http.setCookies[0] as string, /SameSite=Lax/);
        const https = await new Client(server.url).fetch('/views', {
          headers: { 'x-forwarded-proto': 'https' },
        });
        assert.match(https.setCookies[0] as string, /; Secure/);
        assert.match(https.setCookies[0] as string, /SameSite=None/);
        const untrusted = await app({ proxy: false });
        const spoofed = await new Client(untrusted.url).fetch('/views', {
          headers: { 'x-forwarded-proto': 'https' },
        });
        assert.doesNotMatch(spoofed.setCookies[0] as string, /Secure/);
      });

      it('secure: true never sends the cookie over plain HTTP', async () => {
        const server = await app({ cookie: { secure: true } });
        const response = await new Client(server.url).fetch('/views');
        assert.deepEqual(response.setCookies, []);
      });

      it('writes every attribute it is given; over plain HTTP, secure "auto" leaves out Partitioned', async () => {
        const server = await app({
          name: 'sid',
          proxy: true,
          cookie: {
            domain: '127.0.0.1',
            path: '/',
            sameSite: 'strict',
            partitioned: true,
            priority: 'high',
            httpOnly: true,
            maxAge: 1000,
          },
        });
        const https = await new Client(server.url).fetch('/views', {
          headers: { 'x-forwarded-proto': 'https' },
        });
        const line = https.setCookies[0] as string;
        const parts = [
          'sid=',
          'Domain=127.0.0.1',
          'Path=/',
          'Expires=',
          'HttpOnly',
          'Priority=High',
          'SameSite=Strict',
        ];
        for (const part of [...parts, 'Secure', 'Partitioned']) {
          assert.ok(line.includes(part), `${part} in ${line}`);
        }
        // Browsers refuse a Partitioned cookie without Secure: over HTTP the cookie goes out unpartitioned.
        const http = (await new Client(server.url).fetch('/views')).setCookies[0] as string;
        for (const part of parts) assert.ok(http.includes(part), `${part} in ${http}`);
        assert.doesNotMatch(http, /Partitioned|Secure/);
      });

      it('name and its legacy alias key set the cookie name', async () => {
        for (const options of [{ name: 'app.sid' }, { key: 'app.sid' }]) {
          const server = await app(options);
          const client = new Client(server.url);
          await client.fetch('/views');
          assert.deepEqual([...client.jar.keys()], ['app.sid']);
          assert.equal(await client.text('/views'), '2');
        }
      });

      it('genid makes the IDs', async () => {
        let n = 0;
        const server = await app({ genid: () => `custom-${++n}-${'x'.repeat(24)}` });
        const client = new Client(server.url);
        await client.fetch('/views');
        assert.equal(await client.text('/id'), `custom-1-${'x'.repeat(24)}`);
      });

      it('unset: "destroy" ends the session when req.session is set to null; "keep" keeps it', async () => {
        const nulling = route('post', '/null', (req, res) => {
          req.session = null;
          res.send('ok');
        });
        const destroying = await app({ unset: 'destroy' }, nulling);
        const client = new Client(destroying.url);
        await client.fetch('/views');
        const response = await client.fetch('/null', { method: 'POST' });
        assert.match(response.setCookies[0] as string, /Expires=Thu, 01 Jan 1970/);
        assert.deepEqual(await (await client.fetch('/read')).json(), {});

        const keeping = await app({}, nulling);
        const keeper = new Client(keeping.url);
        await keeper.fetch('/views');
        await keeper.fetch('/null', { method: 'POST' });
        assert.deepEqual(
          await (await keeper.fetch('/read')).json(),
          flavour.nullClears ? {} : { views: 1 },
          flavour.nullClears ? 'null deletes the cookie, as in cookie-session' : 'the stored session is kept',
        );
      });

      it('skips requests outside the cookie path', async () => {
        const server = await app(
          { cookie: { path: '/admin' } },
          route('get', '/outside', (req, res) => res.send(String(req.session))),
        );
        assert.equal(await new Client(server.url).text('/outside'), 'undefined');
      });

      it('data that cannot be serialized is a clear error naming the key, and nothing kept is lost', async () => {
        const server = await app({}, (a) => {
          a.post('/bigint', (req: AnyApp, res: AnyApp) => {
            req.session.big = 10n;
            res.send('ok');
          });
        });
        const client = new Client(server.url);
        await client.fetch('/views');
        const response = await client.fetch('/bigint', { method: 'POST' });
        assert.equal(response.status, 500);
        assert.deepEqual(await response.json(), { code: 'ERR_SESSION_SERIALIZE', status: 500, key: 'big' });
        assert.deepEqual(response.setCookies, []);
        assert.equal(await client.text('/views'), '2');
      });

      it('a session key named like a method neither breaks the session nor pollutes prototypes', async () => {
        const server = await app(
          {},
          route('post', '/keys', (req, res) => {
            for (const [key, value] of Object.entries(
              JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 2}'),
            )) {
              Object.defineProperty(req.session, key, {
                value,
                enumerable: true,
                writable: true,
                configurable: true,
              });
            }
            res.send('ok');
          }),
        );
        const client = new Client(server.url);
        await client.fetch('/views');
        await client.fetch('/keys', { method: 'POST' });
        assert.equal(await client.text('/views'), '2');
        assert.equal(({} as { polluted?: unknown }).polluted, undefined);
      });

      it('info(req) reports the session’s idle and absolute deadlines; handleOf hides the ID', async () => {
        let middleware: SessionManager | undefined;
        const server = await app(
          { idleTimeout: 60_000, absoluteTimeout: 3_600_000 },
          route('get', '/info', (req, res) => res.json(middleware?.info(req))),
        );
        middleware = server.middleware;
        const client = new Client(server.url);
        await client.fetch('/views');
        const info = (await (await client.fetch('/info')).json()) as Record<string, string | number>;
        assert.equal(
          Date.parse(info.absoluteExpires as string) - Date.parse(info.created as string),
          3_600_000,
        );
        const idleLeft = Date.parse(info.idleExpires as string) - Date.now();
        assert.ok(idleLeft > 50_000 && idleLeft <= 60_000, `idle left ${idleLeft}`);
        const id = await client.text('/id');
        assert.equal(info.handle, middleware.handleOf(id));
        assert.notEqual(info.handle, id);
      });

      it('the absolute timeout ends a session kept busy', async () => {
        const server = await app({ absoluteTimeout: 400, idleTimeout: 10_000 });
        const client = new Client(server.url);
        // Requests every 40 ms until the count restarts. No upper bound on how many fit in 400 ms: a
        // loaded machine fits fewer, so the test asserts on times, not on a count.
        const seen: { count: string; at: number }[] = [];
        const started = Date.now();
        while (Date.now() - started < 5000) {
          const count = await client.text('/views');
          seen.push({ count, at: Date.now() - started });
          if (seen.length > 1 && count === '1') break;
          await sleep(40);
        }
        const restart = seen.findIndex((entry, i) => i > 0 && entry.count === '1');
        const log = seen.map((entry) => `${entry.count}@${entry.at}`).join(',');
        assert.ok(restart > 0, `the count restarted within 5 s: ${log}`);
        assert.ok((seen[restart] as { at: number }).at >= 400, `not before the absolute timeout: ${log}`);
        assert.ok(restart >= 2, `the session was busy until it ended: ${log}`);
        assert.deepEqual(
          seen.slice(0, restart).map((entry) => entry.count),
          Array.from({ length: restart }, (_, i) => String(i + 1)),
          log,
        );
      });

      it('the idle timeout ends a session left alone, and requests within it keep it alive', async () => {
        const server = await app({ idleTimeout: 800, touchAfter: 0 });
        const client = await assertKeptAlive({ idleTimeout: 800, every: 200, count: 4 }, async () => {
          const client = new Client(server.url);
          assert.equal(await client.text('/views'), '1');
          return {
            state: client,
            check: async (i) => assert.equal(await client.text('/views'), String(i + 1)),
          };
        });
        await sleep(1000);
        assert.equal(await client.text('/views'), '1');
      });

      it('read-only requests keep the session alive past the idle timeout once touchAfter has passed', async () => {
        const server = await app({ idleTimeout: 800, touchAfter: 150 });
        const client = await assertKeptAlive({ idleTimeout: 800, every: 250, count: 4 }, async () => {
          const client = new Client(server.url);
          await client.fetch('/views');
          const check = async () =>
            assert.deepEqual(await (await client.fetch('/read')).json(), { views: 1 });
          return { state: client, check };
        });
        assert.equal(await client.text('/views'), '2', '1 s of reads kept an 800 ms idle session');
      });

      it('reports created, rotated and destroyed events with handles', async () => {
        const server = await app({ userKey: 'userId' });
        const events: string[] = [];
        for (const name of ['created', 'rotated', 'destroyed'] as const) {
          server.middleware.on(name, (payload) =>
            events.push(`${name}:${'handle' in payload ? payload.handle : ''}`),
          );
        }
        const client = new Client(server.url);
        await client.fetch('/views');
        const first = await client.text('/id');
        const second = await client.text('/login/ada', { method: 'POST' });
        await client.fetch('/logout', { method: 'POST' });
        const handle = (id: string) => server.middleware.handleOf(id);
        assert.deepEqual(events, [
          `created:${handle(first)}`,
          `rotated:${handle(second)}`,
          `destroyed:${handle(second)}`,
        ]);
      });
    });
  }
}
