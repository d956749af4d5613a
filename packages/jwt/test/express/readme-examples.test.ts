// Every example of express-jwt's README (v8), run with only the import changed from
// `import { expressjwt } from 'express-jwt'` to the line below. Where the README shows a fragment,
// the test wraps it in the smallest app that exercises it.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type Request as JWTRequest, expressjwt as jwt, UnauthorizedError } from '@coatcheck/jwt';
import type { Express, NextFunction, Response } from 'express';
import express5 from 'express';
import jsonwebtoken from 'jsonwebtoken';
import { type Listening, listen, pem, rsa } from '../helpers.js';
import { bearer, errorHandler, json, versions } from './apps.js';

const shared = 'shhhhhhared-secret';
const sign = (payload: object, key: string | Buffer = shared, options: jsonwebtoken.SignOptions = {}) =>
  jsonwebtoken.sign(payload, key, { algorithm: 'HS256', ...options });

const servers: Listening[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

async function start(app: Express, withErrorHandler = true): Promise<string> {
  if (withErrorHandler) app.use(errorHandler);
  const server = await listen(app);
  servers.push(server);
  return server.url;
}

for (const [version, express] of versions) {
  describe(`express-jwt README examples on ${version}`, () => {
    it('Usage: basic HS256, req.auth.admin', async () => {
      const app = express();
      app.get(
        '/protected',
        jwt({ secret: 'shhhhhhared-secret', algorithms: ['HS256'] }),
        (req: JWTRequest, res: Response) => {
          if (!req.auth!.admin) return res.sendStatus(401);
          res.sendStatus(200);
        },
      );
      const url = await start(app);
      assert.equal((await fetch(`${url}/protected`, { headers: bearer(sign({ admin: true })) })).status, 200);
      assert.equal(
        (await fetch(`${url}/protected`, { headers: bearer(sign({ admin: false })) })).status,
        401,
      );
      assert.equal((await fetch(`${url}/protected`)).status, 401);
    });

    it('Required parameters: algorithms is required', () => {
      assert.throws(() => jwt({ secret: 'shhhhhhared-secret' } as never), TypeError);
      assert.equal(typeof jwt({ secret: 'shhhhhhared-secret', algorithms: ['HS256'] }), 'function');
    });

    it('Additional options: audience and issuer', async () => {
      const app = express();
      app.use(
        jwt({
          secret: 'shhhhhhared-secret',
          audience: 'http://myapi/protected',
          issuer: 'http://issuer',
          algorithms: ['HS256'],
        }),
      );
      app.get('/', (_req, res) => {
        res.sendStatus(200);
      });
      const url = await start(app);
      const right = sign({ aud: 'http://myapi/protected', iss: 'http://issuer' });
      const wrong = sign({ aud: 'http://other', iss: 'http://issuer' });
      assert.equal((await fetch(url, { headers: bearer(right) })).status, 200);
      assert.equal((await fetch(url, { headers: bearer(wrong) })).status, 401);
    });

    it('Additional options: a base64 Buffer secret (refused with RS256, as the README wrongly pairs it)', async () => {
      // The README pairs a symmetric Buffer with RS256, which never verifies anything; coatcheck
      // says so at construction. The same secret with HS256 works.
      assert.throws(
        () => jwt({ secret: Buffer.from('shhhhhhared-secret', 'base64'), algorithms: ['RS256'] }),
        TypeError,
      );
      const app = express();
      app.use(jwt({ secret: Buffer.from('shhhhhhared-secret', 'base64'), algorithms: ['HS256'] }));
      app.get('/', (_req, res) => {
        res.sendStatus(200);
      });
      const url = await start(app);
      const token = sign({}, Buffer.from('shhhhhhared-secret', 'base64'));
      assert.equal((await fetch(url, { headers: bearer(token) })).status, 200);
    });

    it('Protect only /api with app.use', async () => {
      const app = express();
      app.use('/api', jwt({ secret: 'shhhhhhared-secret', algorithms: ['HS256'] }));
      app.get('/api/data', (_req, res) => {
        res.sendStatus(200);
      });
      app.get('/public', (_req, res) => {
        res.sendStatus(200);
      });
      const url = await start(app);
      assert.equal((await fetch(`${url}/api/data`)).status, 401);
      assert.equal((await fetch(`${url}/api/data`, { headers: bearer(sign({})) })).status, 200);
      assert.equal((await fetch(`${url}/public`)).status, 200);
    });

    it('unless: leave /token unprotected', async () => {
      const app = express();
      app.use(
        jwt({
          secret: 'shhhhhhared-secret',
          algorithms: ['HS256'],
        }).unless({ path: ['/token'] }),
      );
      app.get('/token', (_req, res) => {
        res.sendStatus(200);
      });
      app.get('/other', (_req, res) => {
        res.sendStatus(200);
      });
      const url = await start(app);
      assert.equal((await fetch(`${url}/token`)).status, 200);
      assert.equal((await fetch(`${url}/token?x=1`)).status, 200);
      assert.equal((await fetch(`${url}/other`)).status, 401);
    });

    it('Public key read from a file, RS256', async () => {
      const publicKey = Buffer.from(pem(rsa.publicKey)); // fs.readFileSync("/path/to/public.pub")
      const app = express();
      app.use(jwt({ secret: publicKey, algorithms: ['RS256'] }));
      app.get('/', (_req, res) => {
        res.sendStatus(200);
      });
      const url = await start(app);
      const token = jsonwebtoken.sign({ sub: 'a' }, rsa.privateKey, { algorithm: 'RS256' });
      assert.equal((await fetch(url, { headers: bearer(token) })).status, 200);
      // The CVE-2022-23541 forgery: HS256 "signed" with the public key.
      const forged = jsonwebtoken.sign({ sub: 'a' }, pem(rsa.publicKey), { algorithm: 'HS256' });
      assert.equal((await fetch(url, { headers: bearer(forged) })).status, 401);
    });

    it('Customizing token location: header or query string', async () => {
      const app = express();
      app.use(
        jwt({
          secret: 'hello world !',
          algorithms: ['HS256'],
          credentialsRequired: false,
          getToken: function fromHeaderOrQuerystring(req) {
            if (req.headers.authorization && req.headers.authorization.split(' ')[0] === 'Bearer') {
              return req.headers.authorization.split(' ')[1];
              // biome-ignore lint/complexity/useOptionalChain: the README's code, verbatim
            } else if (req.query && req.query.token) {
              return req.query.token as string;
            }
            return null;
          },
        }),
      );
      app.get('/', (req: JWTRequest, res) => {
        res.json({ sub: req.auth?.sub ?? null });
      });
      const url = await start(app);
      const token = sign({ sub: 'q' }, 'hello world !');
      assert.deepEqual(await json(await fetch(`${url}/?token=${token}`)), { sub: 'q' });
      assert.deepEqual(await json(await fetch(url, { headers: bearer(token) })), { sub: 'q' });
      assert.deepEqual(await json(await fetch(url)), { sub: null });
    });

    it('Retrieve key dynamically: secret per issuer', async () => {
      const data = {
        getTenantByIdentifier: async (iss: string) =>
          iss === 'tenant-a' ? { secret: 'a-secret' } : undefined,
      };
      const utilities = { decrypt: (value: string) => value };
      const getSecret = async (_req: unknown, token: { payload: { iss?: string } }) => {
        const issuer = token.payload.iss!;
        const tenant = await data.getTenantByIdentifier(issuer);
        if (!tenant) {
          throw new Error('missing_secret');
        }
        return utilities.decrypt(tenant.secret);
      };
      const app = express();
      app.get(
        '/protected',
        jwt({ secret: getSecret, algorithms: ['HS256'] }),
        (req: JWTRequest, res: Response) => {
          if (!req.auth!.admin) return res.sendStatus(401);
          res.sendStatus(200);
        },
      );
      const url = await start(app);
      const good = sign({ iss: 'tenant-a', admin: true }, 'a-secret');
      const unknown = sign({ iss: 'tenant-b', admin: true }, 'a-secret');
      assert.equal((await fetch(`${url}/protected`, { headers: bearer(good) })).status, 200);
      const failed = await fetch(`${url}/protected`, { headers: bearer(unknown) });
      assert.equal(failed.status, 500);
      assert.equal((await json(failed)).message, 'missing_secret');
    });

    it('Secret rotation: key by kid and issuer', async () => {
      const keys: Record<string, string> = { 'iss:k1': 'old-secret', 'iss:k2': 'new-secret' };
      const getSecret = async (
        _req: unknown,
        token: { header: { kid?: string }; payload: { iss?: string } },
      ) => {
        const { iss } = token.payload;
        const { kid } = token.header;
        return keys[`${iss}:${kid}`]!;
      };
      const app = express();
      app.use(jwt({ secret: getSecret, algorithms: ['HS256'] }));
      app.get('/', (_req, res) => {
        res.sendStatus(200);
      });
      const url = await start(app);
      for (const [kid, key] of [
        ['k1', 'old-secret'],
        ['k2', 'new-secret'],
      ] as const) {
        const token = sign({ iss: 'iss' }, key, { keyid: kid });
        assert.equal((await fetch(url, { headers: bearer(token) })).status, 200);
      }
      assert.equal(
        (await fetch(url, { headers: bearer(sign({ iss: 'iss' }, 'old-secret', { keyid: 'k2' })) })).status,
        401,
      );
    });

    it('Revoked tokens: isRevoked by (iss, jti)', async () => {
      const data = {
        getRevokedToken: async (iss: string, jti: string) =>
          iss === 'i' && jti === 'bad' ? 'revoked' : undefined,
      };
      const isRevokedCallback = async (_req: unknown, token: { payload: { iss?: string; jti?: string } }) => {
        const issuer = token.payload.iss!;
        const tokenId = token.payload.jti!;
        const revoked = await data.getRevokedToken(issuer, tokenId);
        return revoked !== undefined;
      };
      const app = express();
      app.get(
        '/protected',
        jwt({ secret: 'shhhhhhared-secret', algorithms: ['HS256'], isRevoked: isRevokedCallback }),
        (req: JWTRequest, res: Response) => {
          if (!req.auth!.admin) return res.sendStatus(401);
          res.sendStatus(200);
        },
      );
      const url = await start(app);
      const ok = sign({ iss: 'i', jti: 'good', admin: true });
      const bad = sign({ iss: 'i', jti: 'bad', admin: true });
      assert.equal((await fetch(`${url}/protected`, { headers: bearer(ok) })).status, 200);
      const refused = await fetch(`${url}/protected`, { headers: bearer(bad) });
      assert.equal(refused.status, 401);
      assert.equal((await json(refused)).code, 'revoked_token');
    });

    it('Handling expired tokens: accept within 5 s of expiry', async () => {
      const app = express();
      app.use(
        jwt({
          secret: 'shhhhhhared-secret',
          algorithms: ['HS256'],
          onExpired: async (_req, err) => {
            if (Date.now() - (err.inner as unknown as { expiredAt: Date }).expiredAt.getTime() < 5000) {
              return;
            }
            throw err;
          },
        }),
      );
      app.get('/', (_req, res) => {
        res.sendStatus(200);
      });
      const url = await start(app);
      const now = Math.floor(Date.now() / 1000);
      const justExpired = sign({ exp: now - 1 });
      const longExpired = sign({ exp: now - 60 });
      assert.equal((await fetch(url, { headers: bearer(justExpired) })).status, 200);
      assert.equal((await fetch(url, { headers: bearer(longExpired) })).status, 401);
    });

    it('Error handling: err.name === "UnauthorizedError"', async () => {
      const app = express();
      app.use(jwt({ secret: 'shhhhhhared-secret', algorithms: ['HS256'] }));
      app.get('/', (_req, res) => {
        res.sendStatus(200);
      });
      app.use((err: Error, _req: JWTRequest, res: Response, next: NextFunction) => {
        if (err.name === 'UnauthorizedError') {
          res.status(401).send('invalid token...');
        } else {
          next(err);
        }
      });
      const url = await start(app, false);
      const response = await fetch(url, { headers: bearer('bad') });
      assert.equal(response.status, 401);
      assert.equal(await response.text(), 'invalid token...');
    });

    it('credentialsRequired: false lets anonymous users in', async () => {
      const app = express();
      app.use(
        jwt({
          secret: 'hello world !',
          algorithms: ['HS256'],
          credentialsRequired: false,
        }),
      );
      app.get('/', (req: JWTRequest, res) => {
        res.json({ user: req.auth?.sub ?? 'anonymous' });
      });
      const url = await start(app);
      assert.deepEqual(await json(await fetch(url)), { user: 'anonymous' });
      assert.deepEqual(
        await json(await fetch(url, { headers: bearer(sign({ sub: 'u' }, 'hello world !')) })),
        { user: 'u' },
      );
    });

    it('Typescript: Request as JWTRequest with req.auth?.admin', async () => {
      const app = express();
      app.get(
        '/protected',
        jwt({ secret: 'shhhhhhared-secret', algorithms: ['HS256'] }),
        (req: JWTRequest, res: Response) => {
          if (!req.auth?.admin) return res.sendStatus(401);
          res.sendStatus(200);
        },
      );
      const url = await start(app);
      assert.equal((await fetch(`${url}/protected`, { headers: bearer(sign({ admin: true })) })).status, 200);
    });
  });
}

describe('express-jwt README: error instances', () => {
  it('errors are instances of the exported UnauthorizedError', async () => {
    const app = express5();
    let seen: unknown;
    app.use(jwt({ secret: shared, algorithms: ['HS256'] }));
    app.use((err: unknown, _req: JWTRequest, res: Response, _next: NextFunction) => {
      seen = err;
      res.sendStatus(401);
    });
    const url = await start(app, false);
    await fetch(url);
    assert.ok(seen instanceof UnauthorizedError);
    assert.equal((seen as UnauthorizedError).code, 'credentials_required');
  });
});
