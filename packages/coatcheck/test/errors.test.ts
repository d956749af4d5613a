import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as coatcheck from 'coatcheck';
import {
  type AnyCoatcheckError,
  CoatcheckError,
  type CoatcheckErrorCode,
  type CoatcheckErrorShape,
  CookieTooLargeError,
  CsrfError,
  DeviceProofError,
  isCoatcheckError,
  SessionDestroyedError,
  SessionNotFoundError,
  SessionRecordError,
  SessionSerializeError,
  StoreClosedError,
  StoreError,
  type StoreErrorCode,
  StorePackageMissingError,
  StoreTimeoutError,
  StoreUnavailableError,
  StoreUnsupportedError,
} from 'coatcheck';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const isTrue = <T extends true>(_: T): void => {};

/**
 * One instance of every error, keyed by its code. The mapped type makes the table complete at
 * compile time: a code added to `CoatcheckErrorCode` without an entry here, or an entry whose class
 * carries another code, fails `npm run typecheck`.
 */
const byCode: {
  [K in CoatcheckErrorCode]: { make: () => Extract<AnyCoatcheckError, { code: K }>; status: number };
} = {
  // A plain StoreError's code is typed as its family's, so the union's member for it is asserted.
  ERR_STORE: {
    make: () => new StoreError('redis', 'read') as StoreError & { code: 'ERR_STORE' },
    status: 503,
  },
  ERR_STORE_TIMEOUT: { make: () => new StoreTimeoutError('redis', 'write', 250), status: 503 },
  ERR_STORE_UNAVAILABLE: {
    make: () => new StoreUnavailableError('redis', 'read', 'circuit-open'),
    status: 503,
  },
  ERR_STORE_CLOSED: { make: () => new StoreClosedError('sqlite', 'patch'), status: 503 },
  ERR_STORE_UNSUPPORTED: {
    make: () => new StoreUnsupportedError('connect-mongodb-session', 'listByUser', 'all', 3000),
    status: 503,
  },
  ERR_STORE_PACKAGE_MISSING: {
    make: () => new StorePackageMissingError('@coatcheck/redis', 'redis'),
    status: 500,
  },
  ERR_SESSION_SERIALIZE: { make: () => new SessionSerializeError('cart'), status: 500 },
  ERR_SESSION_RECORD: { make: () => new SessionRecordError('sqlite', 'cookie'), status: 500 },
  ERR_SESSION_DESTROYED: { make: () => new SessionDestroyedError('save'), status: 500 },
  ERR_SESSION_NOT_FOUND: { make: () => new SessionNotFoundError('reload'), status: 404 },
  ERR_COOKIE_TOO_LARGE: { make: () => new CookieTooLargeError('sid', 5000, 4096), status: 500 },
  ERR_CSRF: { make: () => new CsrfError('token-missing'), status: 403 },
  ERR_DEVICE_PROOF: { make: () => new DeviceProofError('signature'), status: 401 },
};

describe('errors: every class', () => {
  for (const [code, { make, status }] of Object.entries(byCode)) {
    it(`${code}: code, status, name, expose and the base class`, () => {
      const err = make();
      assert.equal(err.code, code);
      assert.equal(err.status, status);
      assert.equal(err.statusCode, status);
      assert.equal(err.expose, status < 500);
      assert.equal(err.name, err.constructor.name);
      assert.ok(err.stack?.startsWith(`${err.constructor.name}: `), 'the stack names the class');
      assert.ok(err instanceof CoatcheckError);
      assert.ok(err instanceof Error);
      assert.ok(isCoatcheckError(err));
    });
  }

  it('the table holds every error class the package exports, and every class is exported by the root', () => {
    const exported = Object.values(coatcheck).filter(
      (value) => typeof value === 'function' && value.prototype instanceof CoatcheckError,
    );
    const tabled = new Set(Object.values(byCode).map(({ make }) => make().constructor));
    assert.deepEqual(new Set(exported), tabled);
  });

  it('the store family keeps its fields and is a StoreError', () => {
    const timeout = new StoreTimeoutError('redis', 'write', 250);
    assert.ok(timeout instanceof StoreError);
    assert.equal(timeout.store, 'redis');
    assert.equal(timeout.operation, 'write');
    assert.equal(timeout.timeout, 250);
    assert.equal(new StoreUnavailableError('redis', 'read', 'disconnected').reason, 'disconnected');
    const cause = new Error('ECONNRESET');
    const failed = new StoreError('postgres', 'read', { cause });
    assert.equal(failed.code, 'ERR_STORE');
    assert.equal(failed.cause, cause);
  });

  it('isCoatcheckError is false for other errors, and for look-alikes with a code', () => {
    assert.equal(isCoatcheckError(new Error('x')), false);
    assert.equal(isCoatcheckError(Object.assign(new Error('x'), { code: 'ERR_CSRF', status: 403 })), false);
    assert.equal(isCoatcheckError(undefined), false);
  });
});

// Type regression tests: they run as no-ops, and `npm run typecheck` compiles them.
describe('errors: types', () => {
  it('each class has a literal code; a family has the union of its codes', () => {
    isTrue<Equals<StoreTimeoutError['code'], 'ERR_STORE_TIMEOUT'>>(true);
    isTrue<Equals<StoreClosedError['code'], 'ERR_STORE_CLOSED'>>(true);
    isTrue<Equals<CsrfError['code'], 'ERR_CSRF'>>(true);
    isTrue<Equals<StoreError['code'], StoreErrorCode>>(true);
    isTrue<Equals<CoatcheckError['code'], CoatcheckErrorCode>>(true);
    isTrue<Equals<AnyCoatcheckError['code'], CoatcheckErrorCode>>(true);
    isTrue<Equals<CsrfError['status'], 403>>(true);
    // @ts-expect-error a timeout's code is not the family's generic one
    const wrong: StoreTimeoutError['code'] = 'ERR_STORE';
    void wrong;
    // @ts-expect-error the base class is abstract: only its subclasses are thrown
    void new CoatcheckError('x');
    const shape: CoatcheckErrorShape<'ERR_CSRF'> = new CsrfError('cross-site');
    void shape;
    // @ts-expect-error a store's error cannot claim a code outside the known ones
    const unknownCode: StoreError['code'] = 'ERR_SOMETHING';
    void unknownCode;
  });

  it('switch (err.code) narrows to the class and its fields', () => {
    const describeError = (err: AnyCoatcheckError): string => {
      switch (err.code) {
        case 'ERR_STORE_TIMEOUT':
          isTrue<Equals<typeof err, StoreTimeoutError>>(true);
          return `timeout ${err.timeout}`;
        case 'ERR_STORE_UNAVAILABLE':
          return `unavailable ${err.reason}`;
        case 'ERR_STORE_UNSUPPORTED':
          return `unsupported ${err.method}`;
        case 'ERR_STORE':
        case 'ERR_STORE_CLOSED':
          return `store ${err.store} ${err.operation}`;
        case 'ERR_CSRF':
          // @ts-expect-error a CSRF error has no timeout
          void err.timeout;
          return `csrf ${err.reason}`;
        case 'ERR_DEVICE_PROOF':
          return `proof ${err.reason}`;
        case 'ERR_SESSION_SERIALIZE':
          return `serialize ${err.key}`;
        case 'ERR_SESSION_RECORD':
          return `record ${err.store} ${err.field}`;
        case 'ERR_COOKIE_TOO_LARGE':
          return `cookie ${err.size}/${err.limit}`;
        case 'ERR_STORE_PACKAGE_MISSING':
          return `install ${err.packageName}`;
        case 'ERR_SESSION_DESTROYED':
        case 'ERR_SESSION_NOT_FOUND':
          return err.code;
        default: {
          // Exhaustive: a new member of the union without a case above fails to compile here.
          const never: never = err;
          return never;
        }
      }
    };
    assert.equal(describeError(new StoreTimeoutError('redis', 'read', 100)), 'timeout 100');
    assert.equal(describeError(new CsrfError('origin-missing')), 'csrf origin-missing');
    assert.equal(describeError(new StoreClosedError('sqlite', 'close')), 'store sqlite close');
  });

  it('isCoatcheckError and instanceof narrow an unknown', () => {
    const err: unknown = new StoreTimeoutError('redis', 'read', 100);
    if (err instanceof StoreError) isTrue<Equals<typeof err.code, StoreErrorCode>>(true);
    if (err instanceof CoatcheckError) isTrue<Equals<typeof err.code, CoatcheckErrorCode>>(true);
    if (isCoatcheckError(err) && err.code === 'ERR_STORE_TIMEOUT') assert.equal(err.timeout, 100);
    else assert.fail('narrowing lost the timeout');
  });
});
