// The middleware called as express-jwt's own suite and serverless adapters call it: with plain
// objects for `req` and `res`, not through an HTTP server.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';
import jsonwebtoken from 'jsonwebtoken';
import { jwt, UnauthorizedError } from '../../src/index.js';
import { secret } from '../helpers.js';

const token = jsonwebtoken.sign({ sub: 'a' }, secret, { algorithm: 'HS256' });

/** Runs the middleware on plain objects; resolves what `next` got and the request afterwards. */
function call(options: object, req: object, res: object = {}) {
  return new Promise<{ error: unknown; req: Request }>((resolve) => {
    jwt({ secret, algorithms: ['HS256'], ...options })(req as Request, res as Response, (error?: unknown) =>
      resolve({ error, req: req as Request }),
    );
  });
}

describe('jwt() outside an HTTP server', () => {
  it('answers credentials_required for a request without headers', async () => {
    for (const options of [{}, { isRevoked: () => false }, { from: { cookie: 'at' } }]) {
      const { error } = await call(options, {});
      assert.ok(error instanceof UnauthorizedError);
      assert.equal(error.code, 'credentials_required');
    }
  });

  it('reads an Authorization header written with a capital A (serverless adapters)', async () => {
    for (const options of [{}, { isRevoked: () => false }]) {
      const { error, req } = await call(options, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(error, undefined);
      assert.equal((req as Request & { auth: { sub: string } }).auth.sub, 'a');
    }
  });

  it('refuses a bad token without needing res.setHeader', async () => {
    for (const options of [{}, { isRevoked: () => false }]) {
      const { error } = await call(options, { headers: { authorization: 'Bearer x.y.z' } }, {});
      assert.ok(error instanceof UnauthorizedError);
      assert.equal(error.code, 'invalid_token');
    }
  });

  it("lets an error thrown by next() on the asynchronous path surface as an uncaught exception, as express-jwt's setImmediate does, never as an unhandled rejection", () => {
    const fixture = fileURLToPath(new URL('../fixtures/next-throws.ts', import.meta.url));
    for (const outcome of ['accepted', 'refused']) {
      const child = spawnSync(
        process.execPath,
        ['--conditions=coatcheck-source', '--import', 'tsx', fixture, outcome],
        {
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
      assert.equal(child.stdout.trim(), `uncaughtException: boom from next (${outcome} token)`, child.stderr);
    }
  });
});
