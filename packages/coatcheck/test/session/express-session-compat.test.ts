// Behaviours express-session has that apps and stores depend on, each checked over real HTTP on
// Express 4 and 5, and where it helps against express-session itself.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import session, { expressSessionDefaults, MemoryStore } from 'coatcheck';
import { SECRET, sessionApp } from '../helpers/app.js';
import { Client, EXPRESS, type TestServer } from '../helpers/http.js';

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
