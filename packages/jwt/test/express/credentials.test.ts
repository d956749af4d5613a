// When a request may pass without a token, over real HTTP on Express 4 and 5: a getToken that finds
// nothing, and CORS preflights. Both were ways past authentication (issue 11, items 1 and 2).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express5, { type Request } from 'express';
import jsonwebtoken from 'jsonwebtoken';
import { jwt, type TokenGetter } from '../../src/index.js';
import { type Listening, secret } from '../helpers.js';
import { bearer, json, serve, versions } from './apps.js';

const good = jsonwebtoken.sign({ sub: 'u1' }, secret, { algorithm: 'HS256', expiresIn: 300 });

// Every way a getToken can say "no token": each must be credentials_required unless credentials
// are optional.
const nothing: Array<[string, TokenGetter]> = [
  ['null', () => null],
  ['undefined', () => undefined],
  ['an empty string', () => ''],
  ['a promise of null', async () => null],
  ['a promise of undefined', async () => undefined],
  ['a promise of an empty string', async () => ''],
];

const authOf = (req: Request) => (req as Request & { auth?: unknown }).auth ?? null;

for (const [version, createApp] of versions) {
  describe(`a request without a token on ${version}`, () => {
    let server: Listening;
    before(async () => {
      const app = createApp();
      nothing.forEach(([, getToken], index) => {
        app.get(`/required/${index}`, jwt({ secret, algorithms: ['HS256'], getToken }), (req, res) => {
          res.json({ auth: authOf(req) });
        });
        app.get(
          `/optional/${index}`,
          jwt({ secret, algorithms: ['HS256'], getToken, credentialsRequired: false }),
          (req, res) => {
            res.json({ auth: authOf(req) });
          },
        );
      });
      // Mounted for every method and path, the way a preflight could reach a handler.
      const router = express5.Router();
      router.all('/resource', (req, res) => {
        res.json({ method: req.method, auth: authOf(req) });
      });
      app.use('/api', jwt({ secret, algorithms: ['HS256'] }), router);
      app.all('/all', jwt({ secret, algorithms: ['HS256'], isRevoked: () => false }), (req, res) => {
        res.json({ method: req.method, auth: authOf(req) });
      });
      server = await serve(app);
    });
    after(() => server.close());

    const request = (path: string, method = 'GET', headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, { method, headers });

    nothing.forEach(([title], index) => {
      it(`answers 401 credentials_required when getToken returns ${title}`, async () => {
        const response = await request(`/required/${index}`);
        assert.equal(response.status, 401);
        const body = await json(response);
        assert.equal(body.code, 'credentials_required');
        assert.equal(body.message, 'No authorization token was found');
        assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      });

      it(`lets the request through without req.auth when getToken returns ${title} and credentials are optional`, async () => {
        const response = await request(`/optional/${index}`);
        assert.equal(response.status, 200);
        assert.deepEqual(await json(response), { auth: null });
      });
    });

    const preflights: Array<[string, Record<string, string>, number]> = [
      // express-jwt's rule, kept: the browser announces it will send Authorization.
      [
        'Access-Control-Request-Headers naming authorization',
        { 'access-control-request-headers': 'authorization' },
        200,
      ],
      [
        'authorization among other requested headers, any case and spacing',
        { 'access-control-request-headers': 'content-type,  X-Trace , AUTHORIZATION' },
        200,
      ],
      // Wider than express-jwt: these used to pass and must not.
      ['only Access-Control-Request-Method', { 'access-control-request-method': 'DELETE' }, 401],
      [
        'Access-Control-Request-Method with other requested headers',
        { 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
        401,
      ],
      [
        'a header name that only contains authorization',
        { 'access-control-request-headers': 'x-authorization' },
        401,
      ],
      ['no CORS headers', {}, 401],
    ];
    for (const path of ['/api/resource', '/all']) {
      for (const [title, headers, status] of preflights) {
        it(`OPTIONS ${path} with ${title}: ${status}`, async () => {
          const response = await request(path, 'OPTIONS', { origin: 'https://app.example', ...headers });
          assert.equal(response.status, status);
          const body = await json(response);
          if (status === 401) assert.equal(body.code, 'credentials_required');
          else assert.deepEqual(body, { method: 'OPTIONS', auth: null });
        });
      }
      it(`does not treat another method with preflight headers as a preflight on ${path}`, async () => {
        const response = await request(path, 'DELETE', { 'access-control-request-headers': 'authorization' });
        assert.equal(response.status, 401);
        const authenticated = await request(path, 'DELETE', bearer(good));
        assert.equal((await json(authenticated)).auth.sub, 'u1');
      });
    }
  });
}
