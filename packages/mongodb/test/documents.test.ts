import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SessionRecord, SessionSerializeError } from 'coatcheck';
import { applyPatch, type SessionPatch } from 'coatcheck/stores';
import { sampleRecord } from 'coatcheck/testing';
import fc from 'fast-check';
import { BSON } from 'mongodb';
import {
  decodeKey,
  encodeKey,
  fromDocument,
  migration,
  patchFilter,
  patchUpdate,
  readFilter,
  refreshUpdate,
  type SessionDocument,
  toDocument,
  userFilter,
} from '../src/documents.js';

/** Through the driver's own serializer, as the document would travel to the server and back. */
function overTheWire(doc: SessionDocument): SessionDocument {
  return BSON.deserialize(BSON.serialize(doc)) as SessionDocument;
}

/** True when `field` can be one segment of a MongoDB update path (`data.<field>`). */
function isPathSegment(field: string): boolean {
  return field !== '' && !field.includes('.') && !field.startsWith('$') && !field.includes('\0');
}

const NOW = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

describe('encodeKey / decodeKey', () => {
  const table: Array<[string, string]> = [
    ['cart', 'cart'],
    ['a.b', 'a%2Eb'],
    ['$set', '%24set'],
    ['dotted.key.$x', 'dotted%2Ekey%2E%24x'],
    ['100%', '100%25'],
    ['%2E', '%252E'],
    ['', '%'],
    ['%', '%25'],
    ['nul\0byte', 'nul%00byte'],
    ['__proto__', '__proto__'],
    ['ünïcödé 会话', 'ünïcödé 会话'],
  ];
  for (const [key, field] of table) {
    it(`${JSON.stringify(key)} ⇄ ${JSON.stringify(field)}`, () => {
      assert.equal(encodeKey(key), field);
      assert.equal(decodeKey(field), key);
      assert.ok(isPathSegment(field));
    });
  }

  it('every string encodes to a usable path segment and decodes back to itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (key) => {
        const field = encodeKey(key);
        return isPathSegment(field) && decodeKey(field) === key;
      }),
      { numRuns: 2000 },
    );
  });

  it('distinct keys never share a field', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        return a === b || encodeKey(a) !== encodeKey(b);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('toDocument / fromDocument', () => {
  it('lays a record out as _id, data of JSON strings, dates and user', () => {
    const record: SessionRecord = {
      data: { cart: ['apple'], 'a.b': 1, $set: { $inner: true } },
      expires: NOW + HOUR,
      created: NOW - HOUR,
      touched: NOW,
      user: 'u1',
    };
    assert.deepEqual(toDocument('sid', record), {
      _id: 'sid',
      data: { cart: '["apple"]', 'a%2Eb': '1', '%24set': '{"$inner":true}' },
      expires: new Date(NOW + HOUR),
      created: new Date(NOW - HOUR),
      touched: new Date(NOW),
      user: 'u1',
    });
  });

  it('leaves user out when there is none', () => {
    assert.equal('user' in toDocument('sid', sampleRecord()), false);
    assert.equal('user' in toDocument('sid', sampleRecord({ user: undefined })), false);
  });

  it('round-trips the conformance suite’s awkward data through BSON', () => {
    const record = sampleRecord(
      { user: 'u' },
      {
        string: 'quote " backslash \\ newline \n ✓ 会话 😀',
        nothing: null,
        list: [1, [2, [3]], { deep: { deeper: 'x' } }],
        object: { 'dotted.key': 1, $dollar: 2, 'space key': 3, '': 4 },
        'a.b': 'dotted top-level key',
        $set: 'operator-looking key',
        '': 'empty key',
        big: 2 ** 52,
        float: 3.25,
      },
    );
    const back = fromDocument(overTheWire(toDocument('sid', record)));
    assert.deepEqual(back, record);
  });

  it('keeps a __proto__ key as data, never as a prototype', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}}');
    const back = fromDocument(overTheWire(toDocument('sid', sampleRecord({}, data))));
    assert.equal(Object.getPrototypeOf(back.data), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(back.data, '__proto__')?.value, { polluted: true });
    assert.equal((back.data as Record<string, unknown>).polluted, undefined);
  });

  it('drops values JSON drops, and names the key of a value JSON cannot hold', () => {
    const doc = toDocument('sid', sampleRecord({}, { gone: undefined, fn: () => 1, kept: 0 }));
    assert.deepEqual(Object.keys(doc.data ?? {}).sort(), ['cookie', 'kept']);
    assert.throws(
      () => toDocument('sid', sampleRecord({}, { n: 10n })),
      (err) => err instanceof SessionSerializeError && err.key === 'n',
    );
  });

  it('reads a document connect-mongodb-session wrote', () => {
    // Its layout: { _id, session: <express-session's session, cookie.expires a Date>, expires }.
    const expires = new Date(NOW + 14 * 24 * HOUR);
    const legacy = overTheWire({
      _id: 'legacy-sid',
      session: {
        cookie: { originalMaxAge: 14 * 24 * HOUR, expires, httpOnly: true, path: '/' },
        passport: { user: 'ada' },
        views: 3,
      },
      expires,
    });
    assert.deepEqual(fromDocument(legacy), {
      data: {
        cookie: { originalMaxAge: 14 * 24 * HOUR, expires: expires.toISOString(), httpOnly: true, path: '/' },
        passport: { user: 'ada' },
        views: 3,
      },
      expires: expires.getTime(),
      created: NOW,
      touched: NOW,
    });
  });

  it('reads a connect-mongodb-session document whose cookie has null attributes', () => {
    // The driver writes an undefined field as null: express-session's cookie arrives as
    // { domain: null, sameSite: null, secure: null, … }. Read as damaged, every user of the seed app
    // was signed out on the switch (the seed-app test caught it).
    const expires = new Date(NOW + 14 * 24 * HOUR);
    const cookie = {
      originalMaxAge: 14 * 24 * HOUR,
      expires,
      secure: null,
      httpOnly: true,
      domain: null,
      path: '/',
      sameSite: null,
    };
    const legacy = overTheWire({
      _id: 'legacy-sid',
      session: { cookie, passport: { user: 'ada' } },
      expires,
    });
    assert.equal(fromDocument(legacy).expires, expires.getTime());
    assert.deepEqual(fromDocument(legacy).data.passport, { user: 'ada' });
  });

  it('reads a document connect-mongo wrote, its session a JSON string', () => {
    const expires = new Date(NOW + HOUR);
    const session = { cookie: { originalMaxAge: HOUR, expires: expires.toISOString(), path: '/' }, views: 1 };
    const doc = overTheWire({ _id: 'sid', session: JSON.stringify(session), expires });
    assert.deepEqual(fromDocument(doc), {
      data: session,
      expires: expires.getTime(),
      created: NOW,
      touched: NOW,
    });
    assert.deepEqual(migration(doc).replacement.data, { cookie: JSON.stringify(session.cookie), views: '1' });
  });

  it('dates a legacy session without maxAge by connect-mongodb-session’s two-week default', () => {
    const expires = new Date(NOW + 14 * 24 * HOUR);
    const record = fromDocument({ _id: 's', session: { cookie: { originalMaxAge: null } }, expires });
    assert.equal(record.created, NOW);
  });

  it('migration rewrites a legacy document in this layout, only while it is still legacy', () => {
    const expires = new Date(NOW + HOUR);
    const cookie = { originalMaxAge: HOUR, expires: expires.toISOString() };
    const legacy: SessionDocument = { _id: 's', session: { cookie, n: 1 }, expires };
    const { filter, replacement } = migration(legacy);
    assert.deepEqual(filter, { _id: 's', data: { $exists: false } });
    assert.deepEqual(replacement, {
      _id: 's',
      data: { cookie: JSON.stringify(cookie), n: '1' },
      expires,
      created: new Date(NOW),
      touched: new Date(NOW),
    });
  });
});

describe('filters', () => {
  it('read only matches a live session', () => {
    assert.deepEqual(readFilter('sid', NOW), { _id: 'sid', expires: { $gt: new Date(NOW) } });
  });
  it('patch also requires this store’s layout', () => {
    assert.deepEqual(patchFilter('sid', NOW), {
      _id: 'sid',
      expires: { $gt: new Date(NOW) },
      data: { $exists: true },
    });
  });
  it('a user’s sessions, with or without an exception', () => {
    assert.deepEqual(userFilter('u', NOW), { user: 'u', expires: { $gt: new Date(NOW) } });
    assert.deepEqual(userFilter('u', NOW, 'keep'), {
      user: 'u',
      expires: { $gt: new Date(NOW) },
      _id: { $ne: 'keep' },
    });
  });
  it('IDs stay values: an operator-looking ID is compared as a string', () => {
    assert.deepEqual(readFilter('{"$ne": null}', NOW)._id, '{"$ne": null}');
  });
});

describe('patchUpdate', () => {
  const base = { expires: NOW + HOUR, touched: NOW };
  const table: Array<[string, Partial<SessionPatch>, object]> = [
    [
      'sets and unsets top-level keys as single path segments',
      { set: { cart: ['x'], 'a.b': 1, $set: 2, '': 3 }, unset: ['old', 'dotted.key'] },
      {
        $set: {
          expires: new Date(NOW + HOUR),
          touched: new Date(NOW),
          'data.cart': '["x"]',
          'data.a%2Eb': '1',
          'data.%24set': '2',
          'data.%': '3',
        },
        $unset: { 'data.old': '', 'data.dotted%2Ekey': '' },
      },
    ],
    [
      'a refresh-only patch has no $unset',
      { set: {}, unset: [] },
      { $set: { expires: new Date(NOW + HOUR), touched: new Date(NOW) } },
    ],
    [
      'a key both unset and set is set',
      { set: { k: 1 }, unset: ['k'] },
      { $set: { expires: new Date(NOW + HOUR), touched: new Date(NOW), 'data.k': '1' } },
    ],
    [
      'a key set to undefined is unset',
      { set: { k: undefined }, unset: [] },
      { $set: { expires: new Date(NOW + HOUR), touched: new Date(NOW) }, $unset: { 'data.k': '' } },
    ],
    [
      'a new owner is set',
      { set: {}, unset: [], user: 'u2' },
      { $set: { expires: new Date(NOW + HOUR), touched: new Date(NOW), user: 'u2' } },
    ],
    [
      'null removes the owner',
      { set: {}, unset: [], user: null },
      { $set: { expires: new Date(NOW + HOUR), touched: new Date(NOW) }, $unset: { user: '' } },
    ],
  ];
  for (const [label, patch, expected] of table) {
    it(label, () => {
      assert.deepEqual(patchUpdate({ set: {}, unset: [], ...base, ...patch }), expected);
    });
  }

  it('every path it writes is data.<one segment> or a metadata field', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.string()), (set, unset) => {
        const update = patchUpdate({ set, unset, ...base }) as Record<string, Record<string, unknown>>;
        const paths = [...Object.keys(update.$set ?? {}), ...Object.keys(update.$unset ?? {})];
        return paths.every(
          (path) =>
            ['expires', 'touched', 'user'].includes(path) ||
            (path.startsWith('data.') && isPathSegment(path.slice(5))),
        );
      }),
    );
  });

  it('applied as MongoDB applies single-segment $set/$unset, gives what applyPatch gives', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.array(fc.string()),
        (initial, set, unset) => {
          const record = sampleRecord({}, initial);
          const doc = toDocument('s', record);
          const update = patchUpdate({ set, unset, ...base }) as {
            $set: Record<string, unknown>;
            $unset?: Record<string, ''>;
          };
          const fields = { ...doc.data };
          for (const path of Object.keys(update.$unset ?? {})) delete fields[path.slice(5)];
          for (const [path, value] of Object.entries(update.$set)) {
            if (path.startsWith('data.')) fields[path.slice(5)] = value as string;
          }
          const patched = fromDocument({ ...doc, data: fields });
          const expected = JSON.parse(
            JSON.stringify(applyPatch(structuredClone(record.data), { set, unset })),
          );
          assert.deepEqual(patched.data, expected);
        },
      ),
    );
  });
});

describe('refreshUpdate', () => {
  it('moves expiry and touch time only', () => {
    assert.deepEqual(refreshUpdate(NOW + HOUR, NOW), {
      $set: { expires: new Date(NOW + HOUR), touched: new Date(NOW) },
    });
  });
});
