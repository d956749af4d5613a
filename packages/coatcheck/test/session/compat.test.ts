import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, describe, it } from 'node:test';
import { inherits } from 'node:util';
import session, { MemoryStore } from 'coatcheck';
import { type ConnectSession, Store } from 'coatcheck/stores';
import express from 'express';
import expressSession from 'express-session';
import { SECRET, sessionApp } from '../helpers/app.js';
import { Client, EXPRESS, listen, type TestServer } from '../helpers/http.js';

const require = createRequire(import.meta.url);

/** An express-session app with the same routes as the coatcheck test app, on the given store. */
async function expressSessionApp(store: unknown): Promise<TestServer> {
  const app = express();
  app.use(
    expressSession({
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      store: store as expressSession.Store,
    }),
  );
  app.get('/views', (req, res) => {
    const s = req.session as unknown as Record<string, number>;
    s.views = (s.views ?? 0) + 1;
    res.send(String(s.views));
  });
  app.get('/read', (req, res) => {
    const { cookie: _cookie, ...data } = req.session as unknown as Record<string, unknown>;
    res.json(data);
  });
  return listen(app);
}

describe('interoperation with express-session', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const track = <T extends TestServer>(server: T) => {
    servers.push(server);
    return server;
  };

  for (const [framework, makeApp] of EXPRESS) {
    it(`a cookie minted by express-session is read by coatcheck, and the reverse (${framework})`, async () => {
      const shared = new expressSession.MemoryStore();
      const theirs = track(await expressSessionApp(shared));
      const ours = track(await sessionApp(makeApp, { store: shared }));
      const browser = new Client(theirs.url);
      assert.equal(await browser.text('/views'), '1');
      const theirCookie = browser.jar.get('connect.sid');
      const atOurs = new Client(ours.url);
      atOurs.jar.set('connect.sid', theirCookie as string);
      assert.equal(await atOurs.text('/views'), '2', 'coatcheck reads the express-session session');
      assert.equal(atOurs.jar.get('connect.sid'), theirCookie, 'same ID, same signature');
      const backAtTheirs = new Client(theirs.url);
      backAtTheirs.jar.set('connect.sid', atOurs.jar.get('connect.sid') as string);
      assert.equal(await backAtTheirs.text('/views'), '3', 'express-session reads what coatcheck saved');

      const fresh = new Client(ours.url);
      await fresh.fetch('/views');
      const toTheirs = new Client(theirs.url);
      toTheirs.jar.set('connect.sid', fresh.jar.get('connect.sid') as string);
      assert.equal(
        await toTheirs.text('/views'),
        '2',
        'a cookie minted by coatcheck is accepted by express-session',
      );
    });
  }

  it('coatcheck’s MemoryStore works when handed to express-session', async () => {
    const store = new MemoryStore();
    const theirs = track(await expressSessionApp(store));
    const browser = new Client(theirs.url);
    assert.equal(await browser.text('/views'), '1');
    assert.equal(await browser.text('/views'), '2');
    assert.equal(await store.count(), 1);
    const entries = await store.entries();
    assert.equal(entries[0]?.[1].data.views, 2);
  });

  it('the default export carries Store, MemoryStore, Session and Cookie, and the named export is the same function', async () => {
    const named = (await import('coatcheck')).session;
    assert.equal(named, session);
    for (const key of ['Store', 'MemoryStore', 'Session', 'Cookie'] as const)
      assert.equal(typeof session[key], 'function');
  });
});

describe('published stores plug in the way they were written', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  async function roundTrip(store: unknown): Promise<void> {
    const server = await sessionApp(express, { store: store as never });
    servers.push(server);
    const client = new Client(server.url);
    assert.equal(await client.text('/views'), '1');
    assert.equal(await client.text('/views'), '2');
  }

  it('a factory called with the session module: require("memorystore")(session)', async () => {
    const MemoryStoreFactory = require('memorystore') as (s: unknown) => new (o: unknown) => unknown;
    const ConnectMemoryStore = MemoryStoreFactory(session);
    const store = new ConnectMemoryStore({ checkPeriod: 60_000 }) as { stopInterval(): void };
    assert.ok(store instanceof Store, 'it inherits from our Store');
    await roundTrip(store);
    store.stopInterval();
  });

  it('function MyStore() { Store.call(this) } with util.inherits', async () => {
    const sessions = new Map<string, string>();
    function LegacyStore(this: InstanceType<typeof Store>) {
      Store.call(this);
    }
    inherits(LegacyStore, Store as unknown as new () => object);
    Object.assign(LegacyStore.prototype, {
      get(sid: string, cb: (e: unknown, s?: unknown) => void) {
        const json = sessions.get(sid);
        cb(null, json ? JSON.parse(json) : null);
      },
      set(sid: string, sess: unknown, cb: (e?: unknown) => void) {
        sessions.set(sid, JSON.stringify(sess));
        cb();
      },
      destroy(sid: string, cb: (e?: unknown) => void) {
        sessions.delete(sid);
        cb();
      },
    });
    const store = new (LegacyStore as unknown as new () => InstanceType<typeof Store>)();
    assert.ok(store instanceof Store);
    assert.equal(typeof store.on, 'function', 'an EventEmitter');
    await roundTrip(store);
    assert.equal(sessions.size, 1);
  });

  it('class MyStore extends session.Store', async () => {
    const sessions = new Map<string, string>();
    class ClassStore extends session.Store {
      override get(sid: string, cb?: (e: unknown, s?: ConnectSession | null) => void) {
        const json = sessions.get(sid);
        cb?.(null, json ? JSON.parse(json) : null);
        return undefined;
      }
      override set(sid: string, sess: unknown, cb?: (e?: unknown) => void) {
        sessions.set(sid, JSON.stringify(sess));
        cb?.();
        return undefined;
      }
      override destroy(sid: string, cb?: (e?: unknown) => void) {
        sessions.delete(sid);
        cb?.();
        return undefined;
      }
    }
    await roundTrip(new ClassStore());
    assert.equal(sessions.size, 1);
  });

  it('with onStoreError: "continue", a disconnected store gives an unsaved session instead of 503', async () => {
    const connect = new expressSession.MemoryStore();
    const server = await sessionApp(express, { store: connect, onStoreError: 'continue' });
    servers.push(server);
    const client = new Client(server.url);
    await client.fetch('/views');
    connect.emit('disconnect');
    const down = await client.fetch('/views');
    assert.equal(down.status, 200);
    assert.equal(await down.text(), '1');
    assert.deepEqual(down.setCookies, []);
    connect.emit('connect');
    assert.equal(await client.text('/views'), '2');
  });

  it('a store that announces "disconnect" fails requests fast with 503 until "connect"', async () => {
    const connect = new expressSession.MemoryStore();
    const server = await sessionApp(express, { store: connect });
    servers.push(server);
    const client = new Client(server.url);
    await client.fetch('/views');
    connect.emit('disconnect');
    const down = await client.fetch('/views');
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { code: string }).code, 'ERR_STORE');
    connect.emit('connect');
    assert.equal(await client.text('/views'), '2');
  });
});
