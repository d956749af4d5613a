// Type regression tests: this file must compile under `npm run typecheck`; the runtime part checks
// that the typed session is the real one.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  type CookieSessionMiddleware,
  type CookieSessionOptions,
  cookieSession,
  type Session,
  type SessionOptions,
  type SessionWithData,
} from 'coatcheck';
import { sessionApp } from '../helpers/app.js';
import { Client, EXPRESS } from '../helpers/http.js';

declare module 'coatcheck' {
  interface SessionData {
    typedUserId: string;
    typedCart: string[];
  }
}

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const isTrue = <T extends true>(value: T) => value;

it('declared session keys are typed on the session, and undeclared values are rejected', async () => {
  isTrue<Equals<SessionWithData['typedUserId'], string | undefined>>(true);
  isTrue<Equals<SessionWithData['typedCart'], string[] | undefined>>(true);
  isTrue<Equals<ReturnType<Session['save']>, Promise<void>>>(true);

  const [, makeApp] = EXPRESS[1] as (typeof EXPRESS)[number];
  const server = await sessionApp(makeApp, {}, (app) =>
    app.post('/typed', (req: { session: SessionWithData }, res: { send(b: string): void }) => {
      req.session.typedUserId = 'u1';
      req.session.typedCart = ['apple'];
      // @ts-expect-error a number is not a declared typedUserId
      req.session.typedUserId = 1;
      req.session.typedUserId = 'u2';
      res.send(req.session.typedUserId);
    }),
  );
  try {
    assert.equal(await new Client(server.url).text('/typed', { method: 'POST' }), 'u2');
  } finally {
    await server.close();
  }
});

it("cookieSession() takes session()'s options that apply without a store, and offers no store methods", () => {
  const shared: Omit<SessionOptions, 'store' | 'storeTimeout'> = { secret: 'x'.repeat(32), rolling: true };
  const options: CookieSessionOptions = { ...shared, maxSize: 8192, notBefore: async () => undefined };
  isTrue<Equals<CookieSessionOptions['maxSize'], number | undefined>>(true);
  // @ts-expect-error: a cookie session has no store
  const withStore: CookieSessionOptions = { secret: 'x'.repeat(32), store: undefined };
  void withStore;
  const middleware: CookieSessionMiddleware = cookieSession({ ...options, userKey: 'typedUserId' });
  // @ts-expect-error: there is no store to revoke sessions in; use notBefore
  void middleware.revokeAll;
  assert.equal(typeof middleware.info, 'function');
});
