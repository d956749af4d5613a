// The errors an app sees after swapping express-jwt for @coatcheck/jwt, over real HTTP on Express 4
// and 5: `err.code`, `err.message` and `err.inner.name`/`err.inner.message` as express-jwt gives them
// (through jsonwebtoken), so handlers that match `'jwt expired'` keep working. Each expectation is
// written out, and the same request is also sent to express-jwt itself, which must agree with it.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import { expressjwt as originalExpressJwt } from 'express-jwt';
import { expressjwt } from '../../src/index.js';
import { type Listening, listen, nowSeconds, secret } from '../helpers.js';
import { versions } from './apps.js';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An HS256 token over any header and payload, signed with `key`, to reach every check. */
function hs(payload: unknown, key = secret, header: object = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(`sha${(header as { alg?: string }).alg?.slice(2) ?? '256'}`, key)
    .update(input)
    .digest('base64url')}`;
}

const now = nowSeconds();
const later = now + 600;

interface Case {
  title: string;
  /** Options besides `secret` and `algorithms: ['HS256']`. */
  options?: Record<string, unknown>;
  /** The Authorization header; omitted for none. */
  authorization?: string;
  status: number;
  code: string;
  message: string;
  /** `err.inner.name` and `err.inner.message`, for refused tokens. */
  inner?: [name: string, message: string];
  /** `err.inner.expiredAt` (TokenExpiredError) or `err.inner.date` (NotBeforeError), epoch s. */
  at?: number;
}

const bearer = (token: string) => `Bearer ${token}`;

const cases: Case[] = [
  {
    title: 'an expired token',
    authorization: bearer(hs({ sub: 'a', exp: now - 60 })),
    status: 401,
    code: 'invalid_token',
    message: 'jwt expired',
    inner: ['TokenExpiredError', 'jwt expired'],
    at: now - 60,
  },
  {
    title: 'a token not valid yet',
    authorization: bearer(hs({ sub: 'a', nbf: now + 300, exp: later })),
    status: 401,
    code: 'invalid_token',
    message: 'jwt not active',
    inner: ['NotBeforeError', 'jwt not active'],
    at: now + 300,
  },
  {
    title: 'a token signed with another key',
    authorization: bearer(hs({ sub: 'a' }, 'another-secret-of-sufficient-length')),
    status: 401,
    code: 'invalid_token',
    message: 'invalid signature',
    inner: ['JsonWebTokenError', 'invalid signature'],
  },
  {
    title: 'a token whose payload was changed',
    authorization: bearer(
      (() => {
        const [h, , s] = hs({ sub: 'a' }).split('.');
        return `${h}.${b64({ sub: 'admin' })}.${s}`;
      })(),
    ),
    status: 401,
    code: 'invalid_token',
    message: 'invalid signature',
    inner: ['JsonWebTokenError', 'invalid signature'],
  },
  {
    title: 'one word instead of a token',
    authorization: bearer('wrongjwt'),
    status: 401,
    code: 'invalid_token',
    message: 'jwt malformed',
    inner: ['JsonWebTokenError', 'jwt malformed'],
  },
  {
    title: 'two parts',
    authorization: bearer('abc.def'),
    status: 401,
    code: 'invalid_token',
    message: 'jwt malformed',
    inner: ['JsonWebTokenError', 'jwt malformed'],
  },
  {
    title: 'three parts that are not JSON',
    authorization: bearer('a.b.c'),
    status: 401,
    code: 'invalid_token',
    message: 'invalid token',
    inner: ['JsonWebTokenError', 'invalid token'],
  },
  {
    title: 'an unsigned (alg none) token',
    authorization: bearer(`${b64({ alg: 'none' })}.${b64({ sub: 'admin' })}.`),
    status: 401,
    code: 'invalid_token',
    message: 'jwt signature is required',
    inner: ['JsonWebTokenError', 'jwt signature is required'],
  },
  {
    title: 'an algorithm that is not allowed',
    authorization: bearer(hs({ sub: 'a' }, secret, { alg: 'HS384' })),
    status: 401,
    code: 'invalid_token',
    message: 'invalid algorithm',
    inner: ['JsonWebTokenError', 'invalid algorithm'],
  },
  {
    title: 'a header without alg',
    authorization: bearer(hs({ sub: 'a' }, secret, { typ: 'JWT' })),
    status: 401,
    code: 'invalid_token',
    message: 'invalid algorithm',
    inner: ['JsonWebTokenError', 'invalid algorithm'],
  },
  {
    title: 'a wrong audience',
    options: { audience: 'api' },
    authorization: bearer(hs({ sub: 'a', aud: 'web', exp: later })),
    status: 401,
    code: 'invalid_token',
    message: 'jwt audience invalid. expected: api',
    inner: ['JsonWebTokenError', 'jwt audience invalid. expected: api'],
  },
  {
    title: 'no audience when one is expected, out of two',
    options: { audience: ['api', 'admin'] },
    authorization: bearer(hs({ sub: 'a', exp: later })),
    status: 401,
    code: 'invalid_token',
    message: 'jwt audience invalid. expected: api or admin',
    inner: ['JsonWebTokenError', 'jwt audience invalid. expected: api or admin'],
  },
  {
    title: 'a wrong issuer',
    options: { issuer: 'http://wrong' },
    authorization: bearer(hs({ sub: 'a', iss: 'http://foo' })),
    status: 401,
    code: 'invalid_token',
    message: 'jwt issuer invalid. expected: http://wrong',
    inner: ['JsonWebTokenError', 'jwt issuer invalid. expected: http://wrong'],
  },
  {
    title: 'an issuer that is none of two',
    options: { issuer: ['a', 'b'] },
    authorization: bearer(hs({ sub: 'x', iss: 'c' })),
    status: 401,
    code: 'invalid_token',
    message: 'jwt issuer invalid. expected: a,b',
    inner: ['JsonWebTokenError', 'jwt issuer invalid. expected: a,b'],
  },
  {
    title: 'a wrong subject',
    options: { subject: 'alice' },
    authorization: bearer(hs({ sub: 'mallory' })),
    status: 401,
    code: 'invalid_token',
    message: 'jwt subject invalid. expected: alice',
    inner: ['JsonWebTokenError', 'jwt subject invalid. expected: alice'],
  },
  {
    title: 'a token older than maxAge',
    options: { maxAge: 60 },
    authorization: bearer(hs({ sub: 'a', iat: now - 3600 })),
    status: 401,
    code: 'invalid_token',
    message: 'maxAge exceeded',
    inner: ['TokenExpiredError', 'maxAge exceeded'],
    at: now - 3600 + 60,
  },
  {
    title: 'no iat with maxAge',
    options: { maxAge: '1h' },
    authorization: bearer(hs({ sub: 'a' })),
    status: 401,
    code: 'invalid_token',
    message: 'iat required when maxAge is specified',
    inner: ['JsonWebTokenError', 'iat required when maxAge is specified'],
  },
  {
    title: 'an exp that is not a number',
    authorization: bearer(hs({ sub: 'a', exp: 'tomorrow' })),
    status: 401,
    code: 'invalid_token',
    message: 'invalid exp value',
    inner: ['JsonWebTokenError', 'invalid exp value'],
  },
  {
    title: 'an nbf that is not a number',
    authorization: bearer(hs({ sub: 'a', nbf: 'yesterday' })),
    status: 401,
    code: 'invalid_token',
    message: 'invalid nbf value',
    inner: ['JsonWebTokenError', 'invalid nbf value'],
  },
  {
    title: 'no Authorization header',
    status: 401,
    code: 'credentials_required',
    message: 'No authorization token was found',
  },
  {
    title: 'another scheme',
    authorization: 'Basic dXNlcjpwYXNz',
    status: 401,
    code: 'credentials_bad_scheme',
    message: 'Format is Authorization: Bearer [token]',
  },
  {
    title: 'Bearer and nothing else',
    authorization: 'Bearer',
    status: 401,
    code: 'credentials_bad_format',
    message: 'Format is Authorization: Bearer [token]',
  },
  {
    title: 'a revoked token',
    options: { isRevoked: async () => true },
    authorization: bearer(hs({ sub: 'a' })),
    status: 401,
    code: 'revoked_token',
    message: 'The token has been revoked.',
  },
  {
    title: 'a getToken answering a number',
    options: { getToken: () => 42 },
    status: 401,
    code: 'invalid_token',
    message: 'jwt must be a string',
    inner: ['JsonWebTokenError', 'jwt must be a string'],
  },
  {
    title: 'a key function answering no key',
    options: { secret: () => undefined },
    authorization: bearer(hs({ sub: 'a' })),
    status: 401,
    code: 'invalid_token',
    message: 'secret or public key must be provided',
    inner: ['JsonWebTokenError', 'secret or public key must be provided'],
  },
];

/** The fields an app's error handler reads, as JSON. */
const report: ErrorRequestHandler = (error, _req, res, _next) => {
  const inner = error.inner as (Error & { expiredAt?: Date; date?: Date }) | undefined;
  const at = inner?.expiredAt ?? inner?.date;
  res.status(error.status ?? 500).json({
    code: error.code,
    message: error.message,
    inner: error.code === 'invalid_token' && inner ? [inner.name, inner.message] : undefined,
    at: at instanceof Date ? at.getTime() / 1000 : undefined,
  });
};

function mount(app: Express, middleware: (options: never) => RequestHandler): void {
  cases.forEach((c, index) => {
    app.get(
      `/${index}`,
      middleware({ secret, algorithms: ['HS256'], ...c.options } as never),
      (_req, res) => {
        res.json({ passed: true });
      },
    );
  });
  app.use(report);
}

for (const [version, createApp] of versions) {
  describe(`express-jwt's errors, on ${version}`, () => {
    let ours: Listening;
    let theirs: Listening;
    before(async () => {
      const ourApp = createApp();
      mount(ourApp, expressjwt as never);
      ours = await listen(ourApp);
      const theirApp = createApp();
      mount(theirApp, originalExpressJwt as never);
      theirs = await listen(theirApp);
    });
    after(() => Promise.all([ours.close(), theirs.close()]));

    cases.forEach((c, index) => {
      it(`${c.title}: ${c.status} ${c.code}, "${c.message}"`, async () => {
        const headers: Record<string, string> = c.authorization ? { authorization: c.authorization } : {};
        const expected = JSON.parse(
          JSON.stringify({ code: c.code, message: c.message, inner: c.inner, at: c.at }),
        );
        const [mine, original] = await Promise.all(
          [ours, theirs].map(async (server) => {
            const response = await fetch(`${server.url}/${index}`, { headers });
            return { status: response.status, body: await response.json() };
          }),
        );
        assert.equal(original!.status, c.status, 'express-jwt itself');
        assert.deepEqual(original!.body, expected, 'express-jwt itself');
        assert.equal(mine!.status, c.status);
        assert.deepEqual(mine!.body, expected);
      });
    });
  });
}

// Where @coatcheck/jwt answers differently on purpose (docs/compat.md, README "Migrating from
// express-jwt"), shown against express-jwt itself.
for (const [version, createApp] of versions) {
  describe(`deliberate differences from express-jwt, on ${version}`, () => {
    let ours: Listening;
    let theirs: Listening;
    // What jsonwebtoken.sign('foo', secret) makes: no typ, and a payload that is not JSON.
    const stringToken = hs('foo', secret, { alg: 'HS256' });
    const expiredWrongAudience = hs({ sub: 'a', aud: 'web', exp: now - 60 });
    before(async () => {
      const build = (middleware: (options: never) => RequestHandler) => {
        const app = createApp();
        const auth = (req: object) => (req as { auth?: unknown }).auth;
        app.get('/', middleware({ secret, algorithms: ['HS256'] } as never), (req, res) => {
          res.json({ auth: auth(req) });
        });
        app.get(
          '/api',
          middleware({ secret, algorithms: ['HS256'], audience: 'api' } as never),
          (req, res) => {
            res.json({ auth: auth(req) });
          },
        );
        app.use(report);
        return listen(app);
      };
      [ours, theirs] = await Promise.all([build(expressjwt as never), build(originalExpressJwt as never)]);
    });
    after(() => Promise.all([ours.close(), theirs.close()]));

    const get = async (server: Listening, path: string, token: string) => {
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: bearer(token) } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    it('refuses a token whose payload is not a JSON object, which express-jwt puts on req.auth as a string', async () => {
      assert.deepEqual(await get(theirs, '/', stringToken), { status: 200, body: { auth: 'foo' } });
      assert.deepEqual(await get(ours, '/', stringToken), {
        status: 401,
        body: {
          code: 'invalid_token',
          message: 'jwt payload is not a JSON object',
          inner: ['JsonWebTokenError', 'jwt payload is not a JSON object'],
        },
      });
    });

    it('reports the audience, not the expiry, of an expired token for another audience (jose checks claims before time)', async () => {
      assert.equal((await get(theirs, '/api', expiredWrongAudience)).body.message, 'jwt expired');
      assert.equal(
        (await get(ours, '/api', expiredWrongAudience)).body.message,
        'jwt audience invalid. expected: api',
      );
    });
  });
}
