// Behaviours express-session has that apps and stores depend on, each checked over real HTTP on
// Express 4 and 5, and where it helps against express-session itself.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import session, { expressSessionDefaults, MemoryStore } from 'coatcheck';
import { SECRET, sessionApp } from '../helpers/app.js';
import { type AnyApp, Client, EXPRESS, listen, type TestServer } from '../helpers/http.js';

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));
function track<T extends TestServer>(server: T): T {
  servers.push(server);
  return server;
}

describe("defaults: 'express-session'", () => {
  it('the preset is express-session’s defaults, frozen', () => {
    assert.deepEqual(
      { ...expressSessionDefaults, cookie: { ...expressSessionDefaults.cookie } },
      {
        resave: true,
        saveUninitialized: true,
        rolling: false,
        absoluteTimeout: false,
        touchAfter: 0,
        cookie: { path: '/', httpOnly: true, secure: false },
      },
    );
    assert.ok(Object.isFrozen(expressSessionDefaults) && Object.isFrozen(expressSessionDefaults.cookie));
  });

  it('rejects a value it does not know', () => {
    assert.throws(
      () => session({ secret: SECRET, defaults: 'safe' as never }),
      /session option defaults must be "coatcheck" or "express-session"/,
    );
  });

  for (const [framework, makeApp] of EXPRESS) {
    it(`stores a session nobody wrote to and sends a cookie without SameSite or Secure (${framework})`, async () => {
      const store = new MemoryStore();
      const server = track(await sessionApp(makeApp, { store, defaults: 'express-session' }));
      const browser = new Client(server.url);
      const response = await browser.fetch('/nothing');
      assert.equal(response.setCookies.length, 1);
      const cookie = response.setCookies[0] as string;
      assert.match(cookie, /^connect\.sid=s%3A[^;]+; Path=\/; HttpOnly$/);
      assert.equal(await store.count(), 1);
    });

    it(`keeps the app’s cookie settings over the preset’s and fills in the rest (${framework})`, async () => {
      const server = track(
        await sessionApp(makeApp, { defaults: 'express-session', cookie: { maxAge: 60_000 } }),
      );
      const response = await new Client(server.url).fetch('/nothing');
      const cookie = response.setCookies[0] as string;
      assert.match(cookie, /; Expires=[^;]+ GMT; HttpOnly$/);
      assert.doesNotMatch(cookie, /SameSite|Secure/);
    });

    it(`without the option, the safer defaults: nothing stored for a visitor who wrote nothing (${framework})`, async () => {
      const store = new MemoryStore();
      const server = track(await sessionApp(makeApp, { store }));
      const response = await new Client(server.url).fetch('/nothing');
      assert.deepEqual(response.setCookies, []);
      assert.equal(await store.count(), 0);
    });
  }
});

type AnyReq = {
  session: Record<string, unknown> & { save(): Promise<void>; reload(): Promise<void> };
} & Record<string, unknown>;
type AnyRes = { send(body: string): void; status(code: number): AnyRes; end(body?: string): void };

/** express-session's MemoryStore-like connect store, with every `set` counted. */
function countingConnectStore(getError?: () => Error) {
  const sessions = new Map<string, string>();
  const calls = { get: 0, set: 0 };
  const store = {
    calls,
    get(sid: string, cb: (err: unknown, sess?: unknown) => void) {
      calls.get++;
      if (getError) return cb(getError());
      const json = sessions.get(sid);
      cb(null, json === undefined ? null : JSON.parse(json));
    },
    set(sid: string, sess: unknown, cb: (err?: unknown) => void) {
      calls.set++;
      sessions.set(sid, JSON.stringify(sess));
      cb();
    },
    destroy(sid: string, cb: (err?: unknown) => void) {
      sessions.delete(sid);
      cb();
    },
  };
  return store;
}

/** `makeApp` with middleware of the test's mounted before the session middleware. */
function before(makeApp: () => AnyApp, mount: (app: AnyApp) => void): () => AnyApp {
  return () => {
    const app = makeApp();
    mount(app);
    return app;
  };
}

describe('express-session behaviours', () => {
  for (const [framework, makeApp] of EXPRESS) {
    describe(framework, () => {
      it('reads the session cookie from req.signedCookies when cookie-parser ran first', async () => {
        const { cookies } = await import('coatcheck');
        const server = track(
          await sessionApp(
            before(makeApp, (app) => {
              app.use(cookies(SECRET));
              // cookie-parser is done with the header; something downstream dropped it.
              app.use((req: { headers: Record<string, unknown> }, _res: unknown, next: () => void) => {
                delete req.headers.cookie;
                next();
              });
            }),
            {},
          ),
        );
        const browser = new Client(server.url);
        assert.equal(await browser.text('/views'), '1');
        assert.equal(await browser.text('/views'), '2', 'the session came from req.signedCookies');
      });

      it('reads a signed session cookie from req.cookies, and refuses a forged one there', async () => {
        const server = track(
          await sessionApp(
            before(makeApp, (app) => {
              app.use(
                (
                  req: Record<string, unknown> & { headers: Record<string, string> },
                  _res: unknown,
                  next: () => void,
                ) => {
                  const [name, value] = (req.headers.cookie ?? '').split('=');
                  req.cookies = name ? { [name]: decodeURIComponent(value as string) } : {};
                  req.headers.cookie = 'unrelated=1';
                  next();
                },
              );
            }),
            {},
          ),
        );
        const browser = new Client(server.url);
        assert.equal(await browser.text('/views'), '1');
        assert.equal(await browser.text('/views'), '2', 'the session came from req.cookies');
        const forged = new Client(server.url);
        // Forged on the decoded value: cutting the encoded one can split a %2F escape, and then the
        // stand-in cookie parser above (decodeURIComponent) throws before coatcheck sees anything.
        const signed = decodeURIComponent(browser.jar.get('connect.sid') as string);
        const forgedValue = signed.replace(/...$/, signed.endsWith('AAA') ? 'BBB' : 'AAA');
        forged.jar.set('connect.sid', encodeURIComponent(forgedValue));
        assert.equal(await forged.text('/views'), '1', 'a forged signature is a new session');
      });

      it("treats a store's ENOENT error on get as no session, and other errors as a failure", async () => {
        let failWith: Error | undefined;
        const store = countingConnectStore(() => failWith as Error);
        const server = track(await sessionApp(makeApp, { store }));
        const browser = new Client(server.url);
        const first = countingConnectStore();
        // A first session, stored by a healthy store, so the browser has a cookie to send.
        const healthy = track(await sessionApp(makeApp, { store: first }));
        const seed = new Client(healthy.url);
        await seed.text('/views');
        browser.jar.set('connect.sid', seed.jar.get('connect.sid') as string);
        failWith = Object.assign(new Error('no such file'), { code: 'ENOENT' });
        const missing = await browser.fetch('/views');
        assert.equal(missing.status, 200);
        assert.equal(await missing.text(), '1', 'ENOENT: a fresh session');
        browser.jar.set('connect.sid', seed.jar.get('connect.sid') as string);
        failWith = new Error('disk on fire');
        const failed = await browser.fetch('/views');
        assert.equal(failed.status, 503);
        assert.equal(((await failed.json()) as { code: string }).code, 'ERR_STORE');
      });

      it('gives a request with an empty URL a session, as for "/"', async () => {
        const sessions = session({ secret: SECRET, saveUninitialized: true });
        const app = makeApp();
        // Express never routes an empty URL, so the session middleware sees one through a wrapper,
        // as a proxy or a rewriting middleware can hand it over.
        app.use((req: { url: string; originalUrl: string }, res: never, next: (err?: unknown) => void) => {
          const { url, originalUrl } = req;
          req.url = '';
          req.originalUrl = '';
          sessions(req as never, res, (err) => {
            req.url = url;
            req.originalUrl = originalUrl;
            next(err);
          });
        });
        app.use((_req: unknown, res: AnyRes) => res.send('ok'));
        const server = track(await listen(app));
        const response = await new Client(server.url).fetch('/anything');
        assert.equal(await response.text(), 'ok');
        assert.equal(response.setCookies.length, 1);
      });

      it('stores nothing and sends no cookie when the app set req.sessionID to something not a string', async () => {
        const store = new MemoryStore();
        const server = track(
          await sessionApp(makeApp, { store }, (app) => {
            app.get('/bogus', (req: AnyReq, res: AnyRes) => {
              req.session.test = 1;
              req.sessionID = (() => {}) as unknown as string;
              res.send('ok');
            });
          }),
        );
        const response = await new Client(server.url).fetch('/bogus');
        assert.equal(response.status, 200);
        assert.deepEqual(response.setCookies, []);
        assert.equal(await store.count(), 0);
      });

      it('with resave: true, a request that calls save() writes the session once', async () => {
        const store = countingConnectStore();
        const server = track(
          await sessionApp(makeApp, { store, resave: true }, (app) => {
            app.get('/save', async (req: AnyReq, res: AnyRes) => {
              req.session.hit = true;
              await req.session.save();
              res.send('saved');
            });
          }),
        );
        const browser = new Client(server.url);
        assert.equal(await browser.text('/save'), 'saved');
        assert.equal(store.calls.set, 1, 'the new session: one write');
        assert.equal(await browser.text('/save'), 'saved');
        assert.equal(store.calls.set, 2, 'the stored session: one more write, not two');
      });

      it("drives one of coatcheck's stores through its express-session methods while the app has replaced one", async () => {
        const store = new MemoryStore();
        const server = track(await sessionApp(makeApp, { store }));
        const browser = new Client(server.url);
        assert.equal(await browser.text('/views'), '1');
        const original = store.set;
        let sets = 0;
        store.set = function countedSet(this: MemoryStore, ...args: Parameters<MemoryStore['set']>) {
          sets++;
          return original.apply(this, args);
        };
        try {
          assert.equal(await browser.text('/views'), '2');
          assert.equal(sets, 1, 'the replaced set() did the save');
        } finally {
          delete (store as { set?: unknown }).set;
        }
        assert.equal(
          await browser.text('/views'),
          '3',
          'the session saved through set() reads back natively',
        );
        assert.equal(sets, 1);
      });

      it("reload() of a session gone from the store fails with express-session's message", async () => {
        const store = new MemoryStore();
        const server = track(
          await sessionApp(makeApp, { store }, (app) => {
            app.get('/reload', async (req: AnyReq, res: AnyRes) => {
              await store.purge();
              try {
                await req.session.reload();
                res.send('reloaded');
              } catch (err) {
                res.status(500).send((err as Error).message);
              }
            });
          }),
        );
        const browser = new Client(server.url);
        await browser.text('/views');
        const response = await browser.fetch('/reload');
        assert.equal(response.status, 500);
        assert.equal(await response.text(), 'failed to load session');
      });

      it('takes a Date as cookie.maxAge, as its expiry, and warns once that it is deprecated', async () => {
        const warnings: Error[] = [];
        const onWarning = (warning: Error) => {
          if ((warning as { code?: string }).code === 'COATCHECK_MAXAGE_DATE') warnings.push(warning);
        };
        process.on('warning', onWarning);
        try {
          const at = new Date(Date.now() + 3_600_000);
          const server = track(
            await sessionApp(makeApp, {}, (app) => {
              app.get('/date', (req: AnyReq & { session: { cookie: { maxAge: unknown } } }, res: AnyRes) => {
                req.session.cookie.maxAge = at;
                req.session.views = 1;
                res.send('ok');
              });
            }),
          );
          const response = await new Client(server.url).fetch('/date');
          assert.match(response.setCookies[0] as string, new RegExp(`Expires=${at.toUTCString()}`));
          await new Promise((resolve) => setImmediate(resolve));
          assert.ok(warnings.length <= 1, 'at most one warning per process');
        } finally {
          process.off('warning', onWarning);
        }
      });
    });
  }
});

describe('express-session’s checks and messages', () => {
  const { Cookie } = session;
  for (const bad of [42, 'foo', true, () => {}]) {
    it(`new Cookie(${typeof bad}) is a TypeError naming the argument`, () => {
      assert.throws(() => new Cookie(bad as never), { name: 'TypeError', message: /argument options/ });
    });
  }
  it('new Cookie({ maxAge: Date }) takes the Date as its expiry', () => {
    const at = new Date(Date.now() + 60_000);
    const cookie = new Cookie({ maxAge: at });
    assert.equal(cookie.expires?.getTime(), at.getTime());
    assert.ok(Math.abs((cookie.maxAge as number) - 60_000) < 1000);
  });
  const construction: ReadonlyArray<readonly [string, Record<string, unknown>, RegExp]> = [
    ['a genid that is not a function, before the missing secret', { genid: 'bogus!' }, /genid.*must/],
    ['an unset it does not know, before the missing secret', { unset: 'bogus!' }, /unset.*must/],
    ['an empty secret array', { secret: [] }, /secret option array/],
    [
      'an expiry that is not a valid Date',
      { secret: SECRET, cookie: { expires: new Date(Number.NaN) } },
      /expires/,
    ],
  ];
  for (const [label, options, message] of construction) {
    it(`session() refuses ${label} with a TypeError`, () => {
      assert.throws(() => session(options as never), { name: 'TypeError', message });
    });
  }
});
