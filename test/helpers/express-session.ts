// The check every store runs: handed to express-session itself (not coatcheck's middleware), it
// keeps data from one request for the next and forgets it on destroy.
import assert from 'node:assert/strict';
import type { SessionStore } from 'coatcheck';
import express from 'express';
import expressSession from 'express-session';
import { listen } from '../../packages/coatcheck/test/helpers/http.js';

/** Runs express-session on `store` over real HTTP: set, read back, destroy, read again. */
export async function assertWorksUnderExpressSession(
  store: SessionStore & Required<Pick<SessionStore, 'count'>>,
): Promise<void> {
  const app = express();
  app.use(
    expressSession({
      secret: 'test secret',
      // express-session's types name its own Store class; the store fits it at run time.
      store: store as unknown as expressSession.Store,
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.post('/name/:name', (req, res) => {
    (req.session as unknown as Record<string, unknown>).name = req.params.name;
    res.send('ok');
  });
  app.get('/name', (req, res) => {
    res.json({ name: (req.session as unknown as Record<string, unknown>).name ?? null });
  });
  app.post('/logout', (req, res, next) => req.session.destroy((err) => (err ? next(err) : res.send('bye'))));
  const server = await listen(app);
  try {
    const base = server.url;
    const first = await fetch(`${base}/name/ada`, { method: 'POST' });
    // express-session sends headers before its save completes and ends the body after it.
    assert.equal(await first.text(), 'ok');
    const cookie = first.headers.get('set-cookie')?.split(';')[0];
    assert.ok(cookie, 'a session cookie was set');
    const second = await fetch(`${base}/name`, { headers: { cookie } });
    assert.deepEqual(await second.json(), { name: 'ada' });
    assert.equal(await store.count(), 1);
    const logout = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie } });
    assert.equal(await logout.text(), 'bye');
    const third = await fetch(`${base}/name`, { headers: { cookie } });
    assert.deepEqual(await third.json(), { name: null });
    assert.equal(await store.count(), 0);
  } finally {
    await server.close();
  }
}
