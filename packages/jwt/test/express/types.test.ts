// Type-level tests: they pass when `tsc -p tsconfig.json` compiles this file (every
// `@ts-expect-error` must hit an error), and the runtime part checks the same facts where it can.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoatcheckErrorShape } from 'coatcheck';
import express, { type Request, type Response } from 'express';
import type { JWTPayload } from 'jose';
import {
  type AnyJwtError,
  type AuthRequest,
  type ErrorLike,
  type ExpirationHandler,
  type ExpressJwtRequest,
  type ExpressJwtRequestUnrequired,
  expressjwt,
  type GetVerificationKey,
  type IsRevoked,
  type Request as JWTRequest,
  type JwtErrorCode,
  type JwtPayload,
  type JwtRequest,
  jwt,
  KeySourceError,
  type Params,
  type SecretCallback,
  type SecretCallbackLong,
  type TokenGetter,
  UnauthorizedError,
  type UnauthorizedErrorCode,
} from '../../src/index.js';
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

describe('express-jwt 8.5.1 names and shapes', () => {
  it('exports every value express-jwt exports', async () => {
    const theirs = Object.keys(await import('express-jwt')).filter(
      (name) => name !== 'default' && name !== '__esModule',
    );
    const ours = await import('../../src/index.js');
    assert.deepEqual(
      theirs.filter((name) => !(name in ours)),
      [],
    );
    assert.ok(theirs.includes('expressjwt') && theirs.includes('UnauthorizedError'));
  });

  it('compiles code written against express-jwt’s types', () => {
    // Each line as express-jwt's README and test suite write it; `tsc` is the assertion.
    const getSecret: GetVerificationKey = async (_req, token) =>
      token.payload.iss === 'a' ? secret : undefined;
    const legacyCallback: SecretCallback & SecretCallbackLong = getSecret;
    const getToken: TokenGetter = (req) =>
      typeof req.query.token === 'string' ? req.query.token : undefined;
    const isRevoked: IsRevoked = async (_req, token) =>
      typeof token?.payload !== 'string' && token?.payload.jti === '1';
    const onExpired: ExpirationHandler = (_req, err) => {
      expectType<Equals<typeof err.code, UnauthorizedErrorCode>>(true);
      throw err;
    };
    const params: Params = { secret: legacyCallback, algorithms: ['HS256'], getToken, isRevoked, onExpired };
    const middleware = expressjwt(params);
    void middleware.unless({ path: ['/login'] });

    const req = {} as JWTRequest;
    // jsonwebtoken's JwtPayload: any other claim is `any`, as under express-jwt.
    void req.auth?.payload.foo;
    expectType<Equals<JWTRequest<{ role: string }>['auth'], { role: string } | undefined>>(true);
    const strict = {} as ExpressJwtRequest<string>;
    expectType<Equals<typeof strict.auth, string>>(true);
    const loose = {} as ExpressJwtRequestUnrequired;
    expectType<Equals<typeof loose.auth, JwtPayload | undefined>>(true);

    const like: ErrorLike = { message: 'Invalid token!' };
    const error = new UnauthorizedError('invalid_token', like);
    expectType<Equals<typeof error.code, UnauthorizedErrorCode>>(true);
    assert.equal(error.message, 'Invalid token!');
    assert.equal(typeof middleware, 'function');
  });

  it('narrows AnyJwtError by code', () => {
    const describeError = (err: AnyJwtError): string => {
      switch (err.code) {
        case 'ERR_JWT_KEY_SOURCE':
          expectType<Equals<typeof err, KeySourceError>>(true);
          return `key source: ${err.status}`;
        case 'revoked_token':
          expectType<Equals<typeof err, UnauthorizedError>>(true);
          return 'revoked';
        case 'credentials_required':
        case 'credentials_bad_format':
        case 'credentials_bad_scheme':
        case 'invalid_token':
          expectType<Equals<typeof err.status, 401>>(true);
          return err.code;
        default:
          expectType<Equals<typeof err, never>>(true);
          return 'unreachable';
      }
    };
    assert.equal(describeError(new KeySourceError('down')), 'key source: 503');
    assert.equal(describeError(new UnauthorizedError('revoked_token', { message: 'x' })), 'revoked');
    assert.equal(describeError(new UnauthorizedError('invalid_token', { message: 'x' })), 'invalid_token');
  });

  it('types err.code after instanceof, as the core does: a literal union, never any', () => {
    const classify = (err: unknown): string => {
      if (err instanceof UnauthorizedError) {
        expectType<Equals<typeof err.code, UnauthorizedErrorCode>>(true);
        // @ts-expect-error not one of express-jwt's codes
        if (err.code === 'ERR_JWT_EXPIRED') return 'impossible';
        return err.code;
      }
      if (err instanceof KeySourceError) {
        expectType<Equals<typeof err.code, 'ERR_JWT_KEY_SOURCE'>>(true);
        return err.code;
      }
      return 'other';
    };
    expectType<Equals<JwtErrorCode, UnauthorizedErrorCode | 'ERR_JWT_KEY_SOURCE'>>(true);
    assert.equal(
      classify(new UnauthorizedError('credentials_required', { message: 'x' })),
      'credentials_required',
    );
    assert.equal(classify(new KeySourceError('down')), 'ERR_JWT_KEY_SOURCE');
    assert.equal(classify(new Error('x')), 'other');
  });

  it("has the core's error shape, so one handler serves coatcheck's errors and these", () => {
    const unauthorized: CoatcheckErrorShape<UnauthorizedErrorCode> = new UnauthorizedError('revoked_token', {
      message: 'x',
    });
    const keySource: CoatcheckErrorShape<'ERR_JWT_KEY_SOURCE'> = new KeySourceError('x');
    void [unauthorized, keySource];
    const shapes: CoatcheckErrorShape[] = [
      new UnauthorizedError('invalid_token', { message: 'jwt expired' }),
      new KeySourceError('down'),
    ];
    assert.deepEqual(
      shapes.map(({ code, status, statusCode, expose }) => ({ code, status, statusCode, expose })),
      [
        { code: 'invalid_token', status: 401, statusCode: 401, expose: true },
        { code: 'ERR_JWT_KEY_SOURCE', status: 503, statusCode: 503, expose: false },
      ],
    );
  });
});
