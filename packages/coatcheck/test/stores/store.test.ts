// Store#load and Store#createSession, express-session's way to get a live session from a store by
// its ID (a WebSocket handler holding the session ID does this), on coatcheck's Store: under
// coatcheck's session(), under express-session, and on a store written as express-session stores
// are (callback get/set/destroy on a Store subclass). Each over real HTTP on Express 4 and 5.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import session, { Cookie, MemoryStore, Session } from 'coatcheck';
import { Store } from 'coatcheck/stores';
import expressSession from 'express-session';
import { type AnyApp, Client, EXPRESS, listen, type TestServer } from '../helpers/http.js';

const SECRET = 'store load tests: a secret of at least thirty-two bytes';
const HOUR = 3_600_000;

const servers: TestServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

type Req = AnyApp;
type Res = AnyApp;

/** Routes: `GET /hits` counts a visit, `GET /id` the session ID, `POST /login/:name` sets `user`. */
async function hitsApp(makeApp: () => AnyApp, middleware: unknown): Promise<TestServer> {
  const app = makeApp();
  app.use(middleware);
  app.get('/hits', (req: Req, res: Res) => {
    req.session.count = (req.session.count ?? 0) + 1;
    res.send(`hits: ${req.session.count}`);
  });
  app.get('/id', (req: Req, res: Res) => res.send(req.sessionID));
  app.post('/login/:name', (req: Req, res: Res) => {
    req.session.user = req.params.name;
    res.send('ok');
  });
  const server = await listen(app);
  servers.push(server);
  return server;
}

function load(store: Store, sid: string): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve, reject) =>
    store.load(sid, (err, sess) =>
      err ? reject(err) : resolve(sess as Record<string, unknown> | undefined),
    ),
  );
}

async function hits(browser: Client): Promise<string> {
  return (await browser.fetch('/hits')).text();
}

/** A store written as published express-session stores are: callbacks over a Map, nothing else. */
class CallbackMapStore extends Store {
  readonly sessions = new Map<string, string>();
  override get(sid: string, callback: (err: unknown, sess?: unknown) => void) {
    const json = this.sessions.get(sid);
    setImmediate(() => callback(null, json === undefined ? null : JSON.parse(json)));
    return undefined;
  }
  override set(sid: string, sess: unknown, callback?: (err?: unknown) => void) {
    this.sessions.set(sid, JSON.stringify(sess));
    setImmediate(() => callback?.());
    return undefined;
  }
  override destroy(sid: string, callback?: (err?: unknown) => void) {
    this.sessions.delete(sid);
    setImmediate(() => callback?.());
    return undefined;
  }
}

for (const [framework, makeApp] of EXPRESS) {
  describe(`Store#load and #createSession under coatcheck's session() (${framework})`, () => {
    it('load gives a live session with a Cookie, whose save(), reload() and destroy() act on the store', async () => {
      const store = new MemoryStore();
      const middleware = session({ secret: SECRET, store, cookie: { maxAge: HOUR }, userKey: 'user' });
      const server = await hitsApp(makeApp, middleware);
      const browser = new Client(server.url);
      await browser.fetch('/login/ada', { method: 'POST' });
      assert.equal(await hits(browser), 'hits: 1');
      const sid = await (await browser.fetch('/id')).text();

      const sess = (await load(store, sid)) as Session & Record<string, unknown>;
      assert.ok(sess instanceof Session);
      assert.equal(sess.id, sid);
      assert.equal(sess.count, 1);
      assert.equal(sess.user, 'ada');
      assert.ok(sess.cookie instanceof Cookie);
      assert.ok(sess.cookie.expires instanceof Date);
      assert.equal(sess.cookie.originalMaxAge, HOUR);
      assert.ok(Math.abs((sess.cookie.maxAge as number) - HOUR) < 60_000);

      // save(): the next request sees the change; the store kept who the session belongs to.
      sess.count = 5;
      await sess.save();
      assert.equal(await hits(browser), 'hits: 6');
      assert.equal((await middleware.listByUser('ada')).length, 1, 'the user index kept the session');

      // reload(): what the store has now, after that request.
      await sess.reload();
      assert.equal(sess.count, 6);
      assert.ok(sess.cookie instanceof Cookie);

      // destroy(): the browser's next request starts a new session.
      await sess.destroy();
      assert.equal(await store.read(sid), undefined);
      assert.equal(await hits(browser), 'hits: 1');
      await assert.rejects(sess.save(), { code: 'ERR_SESSION_DESTROYED' });
    });

    it('a saved session the store no longer has is not brought back; regenerate is refused', async () => {
      const store = new MemoryStore();
      const server = await hitsApp(makeApp, session({ secret: SECRET, store }));
      const browser = new Client(server.url);
      await hits(browser);
      const sid = await (await browser.fetch('/id')).text();
      const sess = (await load(store, sid)) as Session & Record<string, unknown>;
      await store.remove(sid);
      sess.count = 99;
      await assert.rejects(sess.save(), { code: 'ERR_SESSION_NOT_FOUND' });
      assert.equal(await store.read(sid), undefined);
      await assert.rejects(sess.reload(), {
        code: 'ERR_SESSION_NOT_FOUND',
        message: 'failed to load session',
      });
      await assert.rejects(sess.regenerate(), {
        name: 'TypeError',
        message: /regenerate\(\) and rotate\(\) need the session middleware/,
      });
    });

    it('load of an unknown ID answers nothing, as express-session does', async () => {
      const store = new MemoryStore();
      assert.equal(await load(store, 'never-issued-session-id-00000000'), undefined);
    });

    it('on a callback-only Store subclass: load, save and destroy go through its get, set and destroy', async () => {
      const store = new CallbackMapStore();
      const server = await hitsApp(makeApp, session({ secret: SECRET, store, cookie: { maxAge: HOUR } }));
      const browser = new Client(server.url);
      assert.equal(await hits(browser), 'hits: 1');
      const sid = await (await browser.fetch('/id')).text();
      const sess = (await load(store, sid)) as Session & Record<string, unknown>;
      assert.ok(sess instanceof Session);
      assert.equal(sess.count, 1);
      assert.ok(sess.cookie.expires instanceof Date);
      sess.count = 41;
      await sess.save();
      assert.equal(await hits(browser), 'hits: 42');
      await sess.destroy();
      assert.equal(store.sessions.has(sid), false);
      assert.equal(await hits(browser), 'hits: 1');
    });

    it('createSession puts the session on the request it is given, with the stored cookie', () => {
      const store = new MemoryStore();
      const expires = new Date(Date.now() + HOUR);
      const req: Record<string, unknown> = { sessionID: 'a-session-id-for-create-session-0' };
      const made = store.createSession(req, {
        cookie: { originalMaxAge: HOUR, expires: expires.toISOString(), httpOnly: true, path: '/' },
        n: 1,
      }) as Session & Record<string, unknown>;
      assert.equal(req.session, made);
      assert.equal(made.id, 'a-session-id-for-create-session-0');
      assert.equal(made.n, 1);
      assert.deepEqual(made.cookie.expires, expires);
      assert.equal(made.cookie.originalMaxAge, HOUR);
    });
  });

  describe(`Store#touch (${framework})`, () => {
    it('with set() and touch() replaced on the instance, an unmodified session is refreshed by touch(), not set()', async () => {
      // express-session's resave: false: an unchanged session is touched, never rewritten. Apps and
      // test suites count writes by wrapping store.set; coatcheck then drives the store through
      // its express-session methods, and refreshes through touch(), which moves the expiry.
      const store = new MemoryStore();
      const calls = { set: 0, touch: 0 };
      const { set, touch } = store;
      store.set = function countedSet(this: MemoryStore, ...args: Parameters<MemoryStore['set']>) {
        calls.set++;
        return set.apply(this, args);
      };
      store.touch = function countedTouch(this: MemoryStore, ...args: Parameters<MemoryStore['touch']>) {
        calls.touch++;
        return touch.apply(this, args);
      };
      const middleware = session({
        secret: SECRET,
        store,
        defaults: 'express-session',
        resave: false,
      });
      const server = await hitsApp(makeApp, middleware);
      const browser = new Client(server.url);
      await browser.fetch('/login/ada', { method: 'POST' });
      const sid = await (await browser.fetch('/id')).text();
      assert.ok(calls.set > 0, 'the new session is written through set()');
      const before = (await store.read(sid))?.expires as number;
      await new Promise((resolve) => setTimeout(resolve, 20));
      calls.set = 0;
      calls.touch = 0;
      assert.equal(await (await browser.fetch('/id')).text(), sid);
      assert.deepEqual(calls, { set: 0, touch: 1 });
      const after = await store.read(sid);
      assert.ok((after?.expires as number) > before, 'the expiry moved');
      assert.equal(after?.data.user, 'ada');
      assert.equal(after?.data.cookie?.expires, null, 'a browser-session cookie stays one');
    });
  });

  describe(`Store#load under express-session (${framework})`, () => {
    it('a session express-session loads from a coatcheck store has express-session’s Cookie', async () => {
      // express-session builds every loaded session with store.createSession(); its Cookie's
      // prototype has no `constructor`, which once left a plain object there, and a rolling cookie
      // went out without its attributes.
      const store = new MemoryStore();
      const app = makeApp();
      app.use(
        expressSession({
          secret: SECRET,
          store: store as unknown as expressSession.Store,
          resave: false,
          saveUninitialized: false,
          rolling: true,
          cookie: { maxAge: HOUR, sameSite: 'lax' },
        }),
      );
      app.get('/hits', (req: Req, res: Res) => {
        req.session.count = (req.session.count ?? 0) + 1;
        res.json({ count: req.session.count, cookie: req.session.cookie instanceof expressSession.Cookie });
      });
      const server = await listen(app);
      servers.push(server);
      const browser = new Client(server.url);
      assert.deepEqual(await (await browser.fetch('/hits')).json(), { count: 1, cookie: true });
      const second = await browser.fetch('/hits');
      assert.deepEqual(await second.json(), { count: 2, cookie: true });
      const line = second.setCookies.find((value) => value.startsWith('connect.sid='));
      assert.ok(line, 'rolling: the cookie is sent again');
      assert.match(line, /; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    });

    it('gives express-session’s own Session, whose save() the next request sees', async () => {
      const store = new MemoryStore();
      const middleware = expressSession({
        secret: SECRET,
        // The cast bridges coatcheck's store typing and express-session's; at run time it is used as is.
        store: store as unknown as expressSession.Store,
        resave: false,
        saveUninitialized: false,
      });
      const server = await hitsApp(makeApp, middleware);
      const browser = new Client(server.url);
      assert.equal(await hits(browser), 'hits: 1');
      const sid = await (await browser.fetch('/id')).text();
      const sess = (await load(store, sid)) as expressSession.Session & Record<string, unknown>;
      assert.ok(sess instanceof expressSession.Session);
      assert.ok(sess.cookie instanceof expressSession.Cookie);
      assert.equal(sess.count, 1);
      sess.count = 9;
      await new Promise<void>((resolve, reject) => sess.save((err) => (err ? reject(err) : resolve())));
      assert.equal(await hits(browser), 'hits: 10');
    });
  });
}
