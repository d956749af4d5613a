import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionRecordError } from '../../src/errors.js';
import type { StoredData } from '../../src/stores/contract.js';
import { decodeRecord, putStoredKey, type StoredFields, storedTime } from '../../src/stores/record.js';

const COOKIE = { originalMaxAge: 1000, expires: '2030-01-01T00:00:00.000Z', path: '/', httpOnly: true };
const GOOD: StoredFields = { data: { cookie: COOKIE, n: 1 }, expires: 2000, created: 1000 };

function recordError(field: string) {
  return (err: unknown) => {
    assert.ok(err instanceof SessionRecordError, String(err));
    assert.equal(err.code, 'ERR_SESSION_RECORD');
    assert.equal(err.field, field);
    assert.equal(err.store, 'test');
    return true;
  };
}

describe('stores/record', () => {
  describe('decodeRecord', () => {
    it('reads a record whose data is JSON text or an object, and touched defaults to created', () => {
      const fromText = decodeRecord('test', { ...GOOD, data: JSON.stringify(GOOD.data), user: 'alice' });
      assert.deepEqual(fromText, {
        data: GOOD.data,
        expires: 2000,
        created: 1000,
        touched: 1000,
        user: 'alice',
      });
      const fromDates = decodeRecord('test', {
        ...GOOD,
        expires: new Date(2000),
        created: new Date(1000),
        touched: new Date(1500),
        user: null,
      });
      assert.deepEqual(fromDates, { data: GOOD.data, expires: 2000, created: 1000, touched: 1500 });
    });

    const damaged: Array<[string, Partial<StoredFields>, string]> = [
      ['null data', { data: null }, 'data'],
      ['an array', { data: [] }, 'data'],
      ['data that is not JSON', { data: '{"n":' }, 'data'],
      ['a cookie that is a string', { data: { cookie: 'c' } }, 'cookie'],
      ['a cookie expiry that is not a date', { data: { cookie: { ...COOKIE, expires: 'soon' } } }, 'cookie'],
      ['an unknown SameSite', { data: { cookie: { ...COOKIE, sameSite: 'sometimes' } } }, 'cookie'],
      ['an expiry that is text', { expires: '2000' }, 'expires'],
      ['an infinite expiry', { expires: Number.POSITIVE_INFINITY }, 'expires'],
      ['an invalid Date', { expires: new Date(Number.NaN) }, 'expires'],
      ['no creation time', { created: undefined }, 'created'],
      ['a touched time that is text', { touched: 'x' }, 'touched'],
      ['a user that is a number', { user: 7 }, 'user'],
    ];
    for (const [what, change, field] of damaged) {
      it(`refuses ${what} as a damaged ${field}`, () => {
        assert.throws(() => decodeRecord('test', { ...GOOD, ...change }), recordError(field));
      });
    }

    it('keeps a cookie written by connect-mongodb-session, with null attributes', () => {
      const cookie = { ...COOKIE, domain: null, sameSite: null, secure: null };
      assert.deepEqual(decodeRecord('test', { ...GOOD, data: { cookie } }).data, { cookie });
    });

    it('never puts stored text in the error message', () => {
      assert.throws(
        () => decodeRecord('test', { ...GOOD, data: '{"secret-value":' }),
        (err: Error) => !err.message.includes('secret-value'),
      );
    });
  });

  describe('storedTime', () => {
    const cases: Array<[unknown, number]> = [
      [5, 5],
      [new Date(7), 7],
      [Number.NaN, Number.NaN],
      [Number.NEGATIVE_INFINITY, Number.NaN],
      ['5', Number.NaN],
      [null, Number.NaN],
    ];
    for (const [value, expected] of cases) {
      it(`reads ${String(value)} as ${expected}`, () => assert.equal(storedTime(value), expected));
    }
  });

  describe('putStoredKey', () => {
    it('puts JSON text back under its key', () => {
      const data: StoredData = {};
      putStoredKey('test', data, 'cart', '[1,2]');
      putStoredKey('test', data, 'cookie', JSON.stringify(COOKIE));
      assert.deepEqual(data, { cart: [1, 2], cookie: COOKIE });
    });

    it('makes __proto__ an own key, never the prototype', () => {
      const data: StoredData = {};
      putStoredKey('test', data, '__proto__', '{"polluted":true}');
      assert.equal(Object.getPrototypeOf(data), Object.prototype);
      assert.equal((data as { polluted?: boolean }).polluted, undefined);
      assert.deepEqual(Object.getOwnPropertyDescriptor(data, '__proto__')?.value, { polluted: true });
      assert.deepEqual(JSON.parse(JSON.stringify(data)), JSON.parse('{"__proto__":{"polluted":true}}'));
    });

    const refused: Array<[string, string, unknown, string]> = [
      ['text that is not JSON', 'cart', '[1,', 'data'],
      ['a value that is not text', 'cart', 5, 'data'],
      ['a cookie that is not JSON', 'cookie', '{', 'cookie'],
    ];
    for (const [what, key, text, field] of refused) {
      it(`refuses ${what} as a damaged ${field}`, () => {
        assert.throws(() => putStoredKey('test', {}, key, text), recordError(field));
      });
    }
  });
});
