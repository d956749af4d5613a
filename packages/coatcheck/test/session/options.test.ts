import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import session, { cookies } from 'coatcheck';

const SECRET = 'a test secret that is at least thirty-two bytes long';

const badOptions: Array<[string, unknown, RegExp]> = [
  ['no options', undefined, /options object/],
  ['no secret', {}, /secret is required/],
  ['an empty secret', { secret: '' }, /secret must not be empty/],
  [
    'an empty secret array',
    { secret: [] },
    /secret option array must contain one or more strings or Buffers/,
  ],
  ['an empty string in a secret array', { secret: [SECRET, ''] }, /secret\[1\] must not be empty/],
  ['a numeric secret', { secret: 42 }, /secret must be a string or a Buffer/],
  ['a bad cookie name', { secret: SECRET, name: 'bad name;' }, /name must be a valid cookie name/],
  ['a non-boolean resave', { secret: SECRET, resave: 'yes' }, /resave must be a boolean/],
  ['a non-boolean rolling', { secret: SECRET, rolling: 1 }, /rolling must be a boolean/],
  [
    'a non-boolean saveUninitialized',
    { secret: SECRET, saveUninitialized: 'no' },
    /saveUninitialized must be a boolean/,
  ],
  ['a bad unset', { secret: SECRET, unset: 'drop' }, /unset must be "keep" or "destroy"/],
  [
    'a bad store',
    { secret: SECRET, store: {} },
    /store must be a coatcheck store or an express-session store/,
  ],
  ['a bad genid', { secret: SECRET, genid: 'uuid' }, /genid must be a function/],
  ['a bad proxy', { secret: SECRET, proxy: 'yes' }, /proxy must be a boolean/],
  ['a negative idleTimeout', { secret: SECRET, idleTimeout: -1 }, /idleTimeout must be a positive number/],
  [
    'a zero absoluteTimeout',
    { secret: SECRET, absoluteTimeout: 0 },
    /absoluteTimeout must be a positive number/,
  ],
  [
    'a NaN touchAfter',
    { secret: SECRET, touchAfter: Number.NaN },
    /touchAfter must be a non-negative number/,
  ],
  ['a zero storeTimeout', { secret: SECRET, storeTimeout: 0 }, /storeTimeout must be a positive number/],
  ['an empty userKey', { secret: SECRET, userKey: '' }, /userKey must be a non-empty string/],
  [
    'a bad onStoreError',
    { secret: SECRET, onStoreError: 'ignore' },
    /onStoreError must be "fail" or "continue"/,
  ],
  ['a cookie that is a string', { secret: SECRET, cookie: 'secure' }, /cookie must be an object/],
  ['a bad cookie.maxAge', { secret: SECRET, cookie: { maxAge: '1h' } }, /cookie\.maxAge/],
  ['a bad cookie.sameSite', { secret: SECRET, cookie: { sameSite: 'sometimes' } }, /cookie\.sameSite/],
  ['a bad cookie.secure', { secret: SECRET, cookie: { secure: 'yes' } }, /cookie\.secure/],
  ['a bad cookie.priority', { secret: SECRET, cookie: { priority: 'urgent' } }, /cookie\.priority/],
  ['a cookie.path with ";"', { secret: SECRET, cookie: { path: '/a;Domain=evil' } }, /cookie\.path/],
  ['a cookie.domain with a space', { secret: SECRET, cookie: { domain: 'a b' } }, /cookie\.domain/],
  // The rules of serializeCookie, checked once at construction (each of these used to be accepted,
  // then fail every request with a 500 or set a cookie browsers drop).
  [
    'a cookie.domain with an empty label',
    { secret: SECRET, cookie: { domain: 'Example..com' } },
    /cookie\.domain: domain is invalid/,
  ],
  [
    'a cookie.domain ending in "."',
    { secret: SECRET, cookie: { domain: 'example.com.' } },
    /cookie\.domain: domain is invalid/,
  ],
  [
    'a cookie.path not starting with "/"',
    { secret: SECRET, cookie: { path: 'admin' } },
    /cookie\.path: path is invalid/,
  ],
  [
    'sameSite "none" without secure',
    { secret: SECRET, cookie: { sameSite: 'none', secure: false } },
    /cookie\.sameSite: sameSite "none" requires secure/,
  ],
  [
    'sameSite "None" without secure',
    { secret: SECRET, cookie: { sameSite: 'None', secure: false } },
    /cookie\.sameSite: sameSite "none" requires secure/,
  ],
  [
    'partitioned without secure',
    { secret: SECRET, cookie: { partitioned: true, secure: false } },
    /cookie\.partitioned: partitioned requires secure/,
  ],
  [
    'a cookie.maxAge over 400 days',
    { secret: SECRET, cookie: { maxAge: 401 * 24 * 3600 * 1000 } },
    /cookie\.maxAge 34646400000 is over 400 days/,
  ],
  [
    'a cookie.expires over 400 days ahead',
    { secret: SECRET, cookie: { expires: new Date(Date.now() + 401 * 24 * 3600 * 1000) } },
    /cookie\.expires: expires .* is more than 400 days ahead/,
  ],
  [
    'an invalid cookie.expires',
    { secret: SECRET, cookie: { expires: new Date(Number.NaN) } },
    /cookie\.expires: expires must be a valid Date/,
  ],
  [
    'a non-boolean cookie.httpOnly',
    { secret: SECRET, cookie: { httpOnly: 'yes' } },
    /cookie\.httpOnly must be a boolean/,
  ],
  [
    'a non-boolean cookie.partitioned',
    { secret: SECRET, cookie: { partitioned: 1 } },
    /cookie\.partitioned must be a boolean/,
  ],
  // Browsers match prefixes case-insensitively.
  [
    'a __Host- name with a domain',
    { secret: SECRET, name: '__Host-sid', cookie: { domain: 'example.com' } },
    /cookie\.domain: a __Host- cookie must not have a domain/,
  ],
  [
    'settleShapes that is not a boolean',
    { secret: SECRET, settleShapes: 'off' },
    /session option settleShapes must be a boolean/,
  ],
  [
    'a __host- name with a domain',
    { secret: SECRET, name: '__host-sid', cookie: { domain: 'example.com' } },
    /cookie\.domain: a __Host- cookie must not have a domain/,
  ],
  [
    'a __HOST- name with another path',
    { secret: SECRET, name: '__HOST-sid', cookie: { path: '/app' } },
    /cookie\.path: a __Host- cookie needs path "\/"/,
  ],
  [
    'a __secure- name with secure false',
    { secret: SECRET, name: '__secure-sid', cookie: { secure: false } },
    /cookie\.secure: its prefix requires secure/,
  ],
  [
    'a __Http- name without httpOnly',
    { secret: SECRET, name: '__Http-sid', cookie: { httpOnly: false } },
    /cookie\.httpOnly: its prefix requires httpOnly/,
  ],
  [
    'a __Host-Http- name without httpOnly',
    { secret: SECRET, name: '__Host-Http-sid', cookie: { httpOnly: false } },
    /cookie\.httpOnly: its prefix requires httpOnly/,
  ],
];

const goodCookies: Array<[string, Record<string, unknown>]> = [
  ['sameSite "none" with secure "auto" (Lax over plain HTTP)', { cookie: { sameSite: 'none' } }],
  ['partitioned with secure "auto" (left out over plain HTTP)', { cookie: { partitioned: true } }],
  ['a leading "." in the domain, which browsers ignore', { cookie: { domain: '.example.com' } }],
  ['a __host- name with the defaults (secure "auto" becomes true)', { name: '__host-sid' }],
  ['a maxAge of exactly 400 days', { cookie: { maxAge: 400 * 24 * 3600 * 1000 } }],
];

describe('session() options', () => {
  for (const [label, options, message] of badOptions) {
    it(`throws a TypeError at construction for ${label}`, () => {
      assert.throws(
        () => session(options as never),
        (err: Error) => {
          assert.ok(err instanceof TypeError, `${err.name}: ${err.message}`);
          assert.match(err.message, message);
          assert.equal(err.message.includes(SECRET), false, 'the secret is never in the message');
          return true;
        },
      );
    });
  }

  for (const [label, options] of goodCookies) {
    it(`accepts ${label}`, () => {
      assert.equal(typeof session({ secret: SECRET, ...options } as never), 'function');
    });
  }

  async function warningsOf(run: () => void): Promise<string[]> {
    const seen: string[] = [];
    const listener = (warning: Error) => seen.push(warning.message);
    process.on('warning', listener);
    run();
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', listener);
    return seen;
  }

  it('warns once about an unknown option, suggesting the right name, and still starts', async () => {
    const warnings = await warningsOf(() => session({ secret: SECRET, saveUnitialized: true } as never));
    assert.deepEqual(warnings, [
      'coatcheck session(): unknown option "saveUnitialized" (did you mean "saveUninitialized"?) is ignored',
    ]);
  });

  it('warns about a secret shorter than 32 bytes without showing it', async () => {
    const warnings = await warningsOf(() => session({ secret: 'short-secret' }));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /shorter than 32 bytes/);
    assert.equal((warnings[0] as string).includes('short-secret'), false);
  });

  // Every secret of an array verifies cookies, so each short one is as weak as a short first one.
  const shortSecretCases: Array<[string, unknown, string[]]> = [
    ['a short only secret', 'short-one', ['secret']],
    ['a short first secret', ['short-one', SECRET], ['secret[0]']],
    ['a short older secret', [SECRET, 'short-one'], ['secret[1]']],
    ['two short older secrets', [SECRET, 'short-one', 'short-two'], ['secret[1]', 'secret[2]']],
    ['a short Buffer in an array', [SECRET, Buffer.alloc(16, 1)], ['secret[1]']],
    ['31 bytes of UTF-8 (é is 2 bytes)', [`${'é'.repeat(15)}x`], ['secret[0]']],
    ['32 bytes of UTF-8', ['é'.repeat(16)], []],
  ];
  for (const [label, secret, named] of shortSecretCases) {
    for (const [middleware, make] of [
      ['session', (s: unknown) => session({ secret: s as string })],
      ['cookies', (s: unknown) => cookies(s as string)],
    ] as const) {
      it(`${middleware}() warns about each secret shorter than 32 bytes: ${label}`, async () => {
        const warnings = await warningsOf(() => make(secret));
        assert.deepEqual(
          warnings,
          named.map(
            (where) => `coatcheck ${middleware}(): ${where} is shorter than 32 bytes; use a long random one`,
          ),
        );
      });
    }
  }

  it('accepts Buffer secrets and secret arrays without warnings', async () => {
    const warnings = await warningsOf(() => {
      session({ secret: Buffer.alloc(32, 7) });
      session({ secret: [SECRET, 'an older secret, also thirty-two bytes'] });
    });
    assert.deepEqual(warnings, []);
  });
});
