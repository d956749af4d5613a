import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Request } from 'express';
import jsonwebtoken from 'jsonwebtoken';
import { KeySourceError, UnauthorizedError } from '../../src/errors.js';
import { jwt } from '../../src/express/middleware.js';
import { remoteJwks } from '../../src/keys/jwks.js';
import { signToken } from '../../src/sign.js';
import { type Listening, nowSeconds, rsa, secret } from '../helpers.js';
import { bearer, cookieParser, json, serve, versions } from './apps.js';

const good = jsonwebtoken.sign({ sub: 'u1', admin: true }, secret, { algorithm: 'HS256', expiresIn: 300 });
const expired = jsonwebtoken.sign({ sub: 'u1', exp: nowSeconds() - 60 }, secret, { algorithm: 'HS256' });

interface FailureCase {
  title: string;
  headers: Record<string, string>;
  code: string;
  challenge: RegExp;
}

const failures: FailureCase[] = [
  { title: 'no credentials', headers: {}, code: 'credentials_required', challenge: /^Bearer realm="api"$/ },
  {
    title: 'a non-Bearer scheme',
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
    code: 'credentials_bad_scheme',
    challenge: /error="invalid_request"/,
  },
  {
    title: 'Bearer without a token',
    headers: { authorization: 'Bearer' },
    code: 'credentials_bad_format',
    challenge: /error="invalid_request"/,
  },
  {
    title: 'three parts',
    headers: { authorization: `Bearer ${good} extra` },
    code: 'credentials_bad_format',
    challenge: /error="invalid_request"/,
  },
  {
    title: 'a garbage token',
    headers: bearer('not.a.jwt'),
    code: 'invalid_token',
    challenge: /error="invalid_token"/,
  },
  {
    title: 'a wrong signature',
    headers: bearer(`${good.slice(0, -4)}AAAA`),
    code: 'invalid_token',
    challenge: /error="invalid_token", error_description="invalid signature"/,
  },
  {
    title: 'an expired token',
    headers: bearer(expired),
    code: 'invalid_token',
    challenge: /error="invalid_token"/,
  },
  {
    title: 'an alg:none token',
    headers: bearer(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${good.split('.')[1]}.`),
    code: 'invalid_token',
    challenge: /error="invalid_token"/,
  },
];

for (const [version, createApp] of versions) {
  describe(`jwt() on ${version} over HTTP`, () => {
    let server: Listening;
    const revoked = new Set<string>();
    before(async () => {
      const app = createApp();
      app.get(
        '/protected',
        jwt({
          secret,
          algorithms: ['HS256'],
          realm: 'api',
          isRevoked: (_req, token) => revoked.has(token.payload.sub ?? ''),
        }),
        (req, res) => {
          res.json({ auth: (req as Request & { auth?: unknown }).auth });
        },
      );
      // No async hooks: the synchronous path of the middleware.
      app.get('/plain', jwt({ secret, algorithms: ['HS256'], realm: 'api' }), (req, res) => {
        res.json({ auth: (req as Request & { auth?: unknown }).auth });
      });
      app.get('/optional', jwt({ secret, algorithms: ['HS256'], credentialsRequired: false }), (req, res) => {
        res.json({ auth: (req as Request & { auth?: unknown }).auth ?? null });
      });
      app.get(
        '/nested',
        jwt({ secret, algorithms: ['HS256'], requestProperty: 'token.claims' }),
        (req, res) => {
          res.json((req as unknown as { token: unknown }).token);
        },
      );
      app.get(
        '/expired-ok',
        jwt({ secret, algorithms: ['HS256'], onExpired: async () => {} }),
        (req, res) => {
          res.json({ auth: (req as Request & { auth?: unknown }).auth });
        },
      );
      app.get(
        '/from-cookie',
        jwt({ secret, algorithms: ['HS256'], from: { cookie: 'access_token' } }),
        (req, res) => {
          res.json({ auth: (req as Request & { auth?: unknown }).auth });
        },
      );
      app.get(
        '/from-cookie-parser',
        cookieParser(),
        jwt({ secret, algorithms: ['HS256'], from: { cookie: 'access_token' } }),
        (req, res) => {
          res.json({ auth: (req as Request & { auth?: unknown }).auth });
        },
      );
      app.get(
        '/async-everything',
        jwt({
          secret: async (_req, token) => (token.header.kid === 'k1' ? secret : 'other'),
          algorithms: ['HS256'],
          getToken: async (req) => (typeof req.query.token === 'string' ? req.query.token : undefined),
        }),
        (req, res) => {
          res.json({ auth: (req as Request & { auth?: unknown }).auth });
        },
      );
      app.get(
        '/jwks-down',
        jwt({ secret: remoteJwks('http://127.0.0.1:9/jwks.json', { timeout: 500 }), algorithms: ['RS256'] }),
        (_req, res) => {
          res.send('unreachable');
        },
      );
      server = await serve(app);
    });
    after(() => server.close());

    const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
      fetch(`${server.url}${path}`, { method, headers });

    it('puts the payload of a valid token on req.auth', async () => {
      const response = await get('/protected', bearer(good));
      assert.equal(response.status, 200);
      const { auth } = await json(response);
      assert.equal(auth.sub, 'u1');
      assert.equal(auth.admin, true);
    });

    it('accepts the scheme in any case, as express-jwt does', async () => {
      const response = await get('/protected', { authorization: `bearer ${good}` });
      assert.equal(response.status, 200);
    });

    for (const path of ['/protected', '/plain']) {
      for (const c of failures) {
        it(`answers ${c.title} on ${path} with ${c.code}, status 401 and a WWW-Authenticate challenge`, async () => {
          const response = await get(path, c.headers);
          assert.equal(response.status, 401);
          const body = await json(response);
          assert.equal(body.name, 'UnauthorizedError');
          assert.equal(body.code, c.code);
          assert.equal(body.status, 401);
          assert.match(response.headers.get('www-authenticate') ?? '', c.challenge);
          assert.ok(!body.message.includes(secret));
          assert.ok(!body.message.includes(good.split('.')[2]));
          if (c.code === 'invalid_token') assert.match(body.joseCode, /^ERR_J/);
          if (c.title === 'an expired token') assert.equal(body.inner, 'TokenExpiredError');
        });
      }
    }

    it('gives the same payload on the synchronous and the asynchronous path', async () => {
      const sync = await json(await get('/plain', bearer(good)));
      const async = await json(await get('/protected', bearer(good)));
      assert.deepEqual(sync, async);
      assert.equal(sync.auth.sub, 'u1');
    });

    it('keeps jsonwebtoken-style expiry details for onExpired handlers', async () => {
      const body = await json(await get('/protected', bearer(expired)));
      assert.equal(body.inner, 'TokenExpiredError');
      assert.equal(
        body.expiredAt,
        new Date(jsonwebtoken.decode(expired, { json: true })!.exp! * 1000).toISOString(),
      );
      assert.equal(body.cause.name, 'TokenExpiredError');
      assert.equal(body.joseCode, 'ERR_JWT_EXPIRED');
    });

    it('lets onExpired accept an expired token', async () => {
      const response = await get('/expired-ok', bearer(expired));
      assert.equal(response.status, 200);
      assert.equal((await json(response)).auth.sub, 'u1');
    });

    it('answers revoked_token when isRevoked says so', async () => {
      const token = jsonwebtoken.sign({ sub: 'revoked-user' }, secret, { algorithm: 'HS256' });
      revoked.add('revoked-user');
      const response = await get('/protected', bearer(token));
      assert.equal(response.status, 401);
      assert.equal((await json(response)).code, 'revoked_token');
      assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    it('with credentialsRequired false, passes requests without a token or with another scheme', async () => {
      assert.deepEqual(await json(await get('/optional')), { auth: null });
      assert.deepEqual(await json(await get('/optional', { authorization: 'Basic abc' })), { auth: null });
      assert.equal((await get('/optional', bearer('bad.to.ken'))).status, 401);
      assert.equal((await json(await get('/optional', bearer(good)))).auth.sub, 'u1');
    });

    it('nests the payload under a dotted requestProperty', async () => {
      const body = await json(await get('/nested', bearer(good)));
      assert.equal(body.claims.sub, 'u1');
    });

    it('reads the token from the named cookie only', async () => {
      const fromCookie = await get('/from-cookie', { cookie: `theme=dark; access_token=${good}` });
      assert.equal((await json(fromCookie)).auth.sub, 'u1');
      const fromHeader = await get('/from-cookie', bearer(good));
      assert.equal(fromHeader.status, 401);
      assert.equal((await json(fromHeader)).code, 'credentials_required');
      const viaParser = await get('/from-cookie-parser', { cookie: `access_token=${good}` });
      assert.equal((await json(viaParser)).auth.sub, 'u1');
    });

    it('awaits an async getToken and an async secret given the decoded token', async () => {
      const withKid = jsonwebtoken.sign({ sub: 'kid' }, secret, { algorithm: 'HS256', keyid: 'k1' });
      const withoutKid = jsonwebtoken.sign({ sub: 'nokid' }, secret, { algorithm: 'HS256' });
      assert.equal((await json(await get(`/async-everything?token=${withKid}`))).auth.sub, 'kid');
      assert.equal((await get(`/async-everything?token=${withoutKid}`)).status, 401);
      assert.equal((await json(await get('/async-everything'))).code, 'credentials_required');
    });

    it('answers 503 with a KeySourceError when the JWKS endpoint is down, and keeps serving', async () => {
      const token = jsonwebtoken.sign({}, rsa.privateKey, { algorithm: 'RS256', keyid: 'k' });
      const response = await get('/jwks-down', bearer(token));
      assert.equal(response.status, 503);
      const body = await json(response);
      assert.equal(body.name, 'KeySourceError');
      assert.equal(body.code, 'ERR_JWT_KEY_SOURCE');
      assert.equal(response.headers.get('www-authenticate'), null);
      assert.equal((await get('/protected', bearer(good))).status, 200);
    });
  });
}

describe('jwt() options', () => {
  const cases: Array<[string, object]> = [
    ['no algorithms (CVE-2020-15084)', { secret }],
    ['algorithms with none', { secret, algorithms: ['HS256', 'none'] }],
    ['no secret', { algorithms: ['HS256'] }],
    ['both from and getToken', { secret, algorithms: ['HS256'], from: 'header', getToken: () => undefined }],
    ['a bad cookie name', { secret, algorithms: ['HS256'], from: { cookie: 'a b' } }],
    [
      'a prototype-polluting requestProperty',
      { secret, algorithms: ['HS256'], requestProperty: '__proto__.admin' },
    ],
    ['ignoreExpiration', { secret, algorithms: ['HS256'], ignoreExpiration: true }],
    ['a RegExp audience', { secret, algorithms: ['HS256'], audience: /api/ }],
    ['isRevoked that is not a function', { secret, algorithms: ['HS256'], isRevoked: true }],
    [
      'credentialsRequired that is not a boolean',
      { secret, algorithms: ['HS256'], credentialsRequired: 'no' },
    ],
  ];
  for (const [title, options] of cases) {
    it(`refuses ${title} with a TypeError at construction`, () => {
      assert.throws(() => jwt(options as never), TypeError);
    });
  }

  it('maps jsonwebtoken maxAge to maxTokenAge', async () => {
    const middleware = jwt({ secret, algorithms: ['HS256'], maxAge: '1m' } as never);
    const old = jsonwebtoken.sign({ iat: nowSeconds() - 3600 }, secret, { algorithm: 'HS256' });
    await assert.rejects(middleware.verifier.verify(old), /iat/);
  });
});

describe('UnauthorizedError', () => {
  it('has express-jwt’s shape', () => {
    const cause = new Error('inner reason');
    const error = new UnauthorizedError('invalid_token', cause);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'UnauthorizedError');
    assert.equal(error.code, 'invalid_token');
    assert.equal(error.status, 401);
    assert.equal(error.statusCode, 401);
    assert.equal(error.inner, cause);
    assert.equal(error.cause, cause);
    assert.equal(error.message, 'inner reason');
    assert.equal(new UnauthorizedError('credentials_required', { message: 'none' }).inner.message, 'none');
    assert.equal(new KeySourceError('x').status, 503);
  });

  it('is thrown at tokens from signToken only when they are wrong', async () => {
    const middleware = jwt({ secret, algorithms: ['HS256'], audience: 'api' });
    const right = await signToken({ sub: 'a' }, { key: secret, algorithm: 'HS256', audience: 'api' });
    const wrong = await signToken({ sub: 'a' }, { key: secret, algorithm: 'HS256', audience: 'web' });
    assert.equal((await middleware.verifier.verify(right)).payload.sub, 'a');
    await assert.rejects(middleware.verifier.verify(wrong), /aud/);
  });
});

for (const [version, makeApp] of versions) {
  describe(`jwt({ cache: true }) on ${version}`, () => {
    let server: Listening;
    let served = 0;
    before(async () => {
      const app = makeApp();
      app.get('/me', jwt({ secret, algorithms: ['HS256'], cache: true }), (req, res) => {
        const auth = (req as unknown as { auth: { sub: string; seen?: boolean } }).auth;
        const seen = auth.seen === true;
        auth.seen = true; // a cached payload must not carry this into the next request
        served++;
        res.json({ sub: auth.sub, seen });
      });
      server = await serve(app);
    });
    after(() => server.close());

    it('answers a repeated token from the cache with a fresh payload each time', async () => {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${server.url}/me`, { headers: bearer(good) });
        assert.deepEqual([response.status, await json(response)], [200, { sub: 'u1', seen: false }]);
      }
      assert.equal(served, 3);
    });

    it('still refuses a changed twin of a cached token, an expired token and no token', async () => {
      await fetch(`${server.url}/me`, { headers: bearer(good) });
      for (const [headers, code] of [
        [bearer(`${good.slice(0, -2)}${good.endsWith('AA') ? 'BA' : 'AA'}`), 'invalid_token'],
        [bearer(expired), 'invalid_token'],
        [{}, 'credentials_required'],
        [{ authorization: `Basic ${good}` }, 'credentials_bad_scheme'],
      ] as const) {
        const response = await fetch(`${server.url}/me`, { headers });
        assert.deepEqual([response.status, (await json(response)).code], [401, code]);
      }
    });
  });
}
