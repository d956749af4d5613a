// Type-level tests: they pass when `tsc -p tsconfig.json` compiles this file (every
// `@ts-expect-error` must hit an error), and the runtime part checks the same facts where it can.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import express, { type Request, type Response } from 'express';
import type { JWTPayload } from 'jose';
import { type AuthRequest, type JwtRequest, jwt } from '../../src/index.js';
import { secret } from '../helpers.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_: T) => {};

interface Claims extends JWTPayload {
  sub: string;
  admin: boolean;
}

describe('types', () => {
  it('declares the payload once and types req.auth from it, without touching Express’s Request', () => {
    const auth = jwt<Claims>({
      secret,
      algorithms: ['HS256'],
      isRevoked: (_req, token) => {
        expectType<Equals<typeof token.payload, Claims>>(true);
        return false;
      },
    });
    expectType<Equals<AuthRequest<typeof auth>['auth'], Claims | undefined>>(true);
    expectType<Equals<ReturnType<typeof auth.payload>, Claims | undefined>>(true);

    const app = express();
    app.get('/', auth, (req: AuthRequest<typeof auth>, res: Response) => {
      const admin: boolean | undefined = req.auth?.admin;
      res.json({ admin });
    });
    app.get('/accessor', auth, (req, res) => {
      const claims = auth.payload(req);
      res.json({ sub: claims?.sub });
    });

    const plain = {} as Request;
    // @ts-expect-error importing @coatcheck/jwt does not add `auth` to every Express request
    void plain.auth;
    assert.equal(auth.requestProperty, 'auth');
  });

  it('follows requestProperty into the request type', () => {
    const auth = jwt<Claims, 'user'>({ secret, algorithms: ['HS256'], requestProperty: 'user' });
    expectType<Equals<AuthRequest<typeof auth>['user'], Claims | undefined>>(true);
    expectType<Equals<JwtRequest<Claims, 'user'>, AuthRequest<typeof auth>>>(true);
    assert.equal(auth.requestProperty, 'user');
  });

  it('refuses at compile time what it refuses at run time', () => {
    // @ts-expect-error `none` is not an algorithm
    assert.throws(() => jwt({ secret, algorithms: ['none'] }), TypeError);
    // @ts-expect-error `algorithms` is required
    assert.throws(() => jwt({ secret }), TypeError);
    // @ts-expect-error `secret` is required
    assert.throws(() => jwt({ algorithms: ['HS256'] }), TypeError);
  });
});
