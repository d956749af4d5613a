// Typechecked, never run, in an app that installed every package from its tarball: the types a user
// gets from dist/ carry the Express augmentations and the typed session data, and are not `any` —
// each @ts-expect-error line is an error only while the types are real (an unused one is an error).

import { type JWTPayload, jwt, signToken } from '@coatcheck/jwt';
import type { MongoDBStore } from '@coatcheck/mongodb';
import type { MySQLStore } from '@coatcheck/mysql';
import type { PostgresStore } from '@coatcheck/postgres';
import type { RedisStore } from '@coatcheck/redis';
import { SQLiteStore } from '@coatcheck/sqlite';
import session, {
  CoatcheckError,
  cookieSession,
  cookies,
  csrf,
  MemoryStore,
  type SessionData,
} from 'coatcheck';
import { parseCookie, serializeCookie } from 'coatcheck/cookies';
import { createCsrfSecret } from 'coatcheck/csrf';
import { jwkThumbprint } from 'coatcheck/device-bound';
import { applyPatch, type SessionStore, Store } from 'coatcheck/stores';
import { testStore } from 'coatcheck/testing';
import express from 'express';

declare module 'coatcheck' {
  interface SessionData {
    cart: number[];
    role: 'admin' | 'member';
  }
}

const secret = 'the packaging test: a secret of at least thirty-two bytes';
const app = express();
app.use(cookies(secret));
const sessions = session({ secret, store: new SQLiteStore({ path: ':memory:' }), userKey: 'role' });
app.use(sessions);
app.use(csrf({ token: true }));

app.get('/', async (req, res) => {
  const id: string = req.sessionID;
  const cart: number[] | undefined = req.session.cart;
  req.session.cart = [...(cart ?? []), 42];
  req.session.role = 'member';
  // @ts-expect-error: the declared cart holds numbers
  req.session.cart = ['42'];
  // @ts-expect-error: role is one of two strings
  req.session.role = 'root';
  // @ts-expect-error: a key nobody declared
  req.session.undeclared = true;
  await req.session.rotate();
  // @ts-expect-error: rotate() takes no ID
  await req.session.rotate(id);

  const token: string = req.csrfToken();
  const signed = req.signedCookies.user;
  const sealed = req.sealedCookies.cart;
  res
    .setCookie('theme', 'dark', { maxAge: 3600 })
    .setCookie('__Host-cart', { items: cart }, { sealed: true, secure: true, path: '/' });
  // @ts-expect-error: a __Host- cookie must be secure
  res.setCookie('__Host-x', 'v', { secure: false, path: '/' });
  res.deleteCookie('legacy');
  const snapshot: Partial<SessionData> = { cart: [42], role: 'member' };
  res.json({ token, signed, sealed, snapshot });
});

const listed: Promise<Array<{ handle: string }>> = sessions.listByUser('member');
void listed;
// @ts-expect-error: secret is required
session({});
// @ts-expect-error: a misspelt option
session({ secret, saveUnitialized: true });
cookieSession({ secret, maxSize: 8192 });
new MemoryStore({ max: 10 });
// @ts-expect-error: path is a string
new SQLiteStore({ path: 1 });
const redisPrefix: ConstructorParameters<typeof RedisStore>[0]['prefix'] = 'app:';
const postgresTable: ConstructorParameters<typeof PostgresStore>[0]['tableName'] = 'sessions';
const mysqlTable: ConstructorParameters<typeof MySQLStore>[0]['tableName'] = 'sessions';
const mongoCollection: ConstructorParameters<typeof MongoDBStore>[0]['collection'] = 'sessions';
void [redisPrefix, postgresTable, mysqlTable, mongoCollection, testStore];
// Each subpath's types resolve (with typesVersions under node10) and are real.
const parsed: string | undefined = parseCookie('a=1').a;
// @ts-expect-error: serializeCookie takes a name and a value
serializeCookie('a');
const patched: Record<string, unknown> = applyPatch(
  { cookie: { originalMaxAge: null } },
  { set: { a: 1 }, unset: [] },
);
const store: SessionStore = new SQLiteStore({ path: ':memory:' });
void [parsed, patched, store, Store, createCsrfSecret, jwkThumbprint];
const failure: unknown = new Error();
if (failure instanceof CoatcheckError) {
  const code: string = failure.code;
  void code;
  // @ts-expect-error: codes are literals, not any string
  if (failure.code === 'ERR_NO_SUCH_CODE') void code;
}

interface Claims extends JWTPayload {
  admin?: boolean;
}
const auth = jwt<Claims>({ secret, algorithms: ['HS256'] });
// @ts-expect-error: none is not an algorithm
jwt({ secret, algorithms: ['none'] });
app.get('/admin', auth, (req, res) => {
  const admin: boolean | undefined = auth.payload(req)?.admin;
  res.json({ admin, token: signToken({ sub: 'u1' }, { key: secret, algorithm: 'HS256', expiresIn: '15m' }) });
});
