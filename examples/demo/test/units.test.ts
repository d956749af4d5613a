import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cartLines, formatPrice } from '../src/catalog.js';
import { ConfigError, configFromEnv, DEFAULT_DATA_DIR, DEFAULTS } from '../src/config.js';
import { escapeHtml, html } from '../src/html/escape.js';
import { hashPassword, verifyPassword } from '../src/passwords.js';
import { signupProblems } from '../src/users.js';
import { describeBrowser, formatDuration } from '../src/web/format.js';
import { localPath } from '../src/web/paths.js';

describe('html', () => {
  const hostile = `<script>alert("x")</script>&'`;
  it('escapes every interpolation, in text and in attributes', () => {
    assert.equal(
      html`<p title="${hostile}">${hostile}</p>`.toString(),
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
  });
  it('keeps nested html, flattens lists and drops booleans and nullish values', () => {
    const items = ['a<b', 'c'];
    assert.equal(
      html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>${false}${null}${undefined}${0}`.toString(),
      '<ul><li>a&lt;b</li><li>c</li></ul>0',
    );
  });
  it('escapes a raw string even when it looks like markup', () => {
    assert.equal(html`${'<b>'}`.toString(), escapeHtml('<b>'));
  });
});

describe('passwords', () => {
  it('verifies the right password and refuses a wrong one; each hash has its own salt', async () => {
    const [first, second] = await Promise.all([hashPassword('hunter22!'), hashPassword('hunter22!')]);
    assert.notEqual(first, second);
    assert.match(first, /^scrypt\$32768\$8\$1\$/);
    assert.equal(await verifyPassword('hunter22!', first), true);
    assert.equal(await verifyPassword('hunter22?', first), false);
  });
  for (const stored of ['', 'plain', 'scrypt$1$1$1$short$short', 'bcrypt$2b$10$abcdefghijklmnopqrstuv']) {
    it(`never matches a malformed stored hash ${JSON.stringify(stored)}`, async () => {
      assert.equal(await verifyPassword('anything', stored), false);
    });
  }
});

describe('signupProblems', () => {
  const cases: Array<[string, unknown, string[]]> = [
    ['alice', 'long enough', []],
    ['al', 'long enough', ['username']],
    ['-alice', 'long enough', ['username']],
    ['alice smith', 'long enough', ['username']],
    ['a'.repeat(33), 'long enough', ['username']],
    ['alice', 'short', ['password']],
    ['alice', 'x'.repeat(201), ['password']],
    ['alice', undefined, ['password']],
    ['alice', ['array'], ['password']],
    ['', '', ['username', 'password']],
  ];
  for (const [username, password, fields] of cases) {
    it(`${JSON.stringify(username).slice(0, 20)} / ${JSON.stringify(password)?.slice(0, 20)} → ${fields.join(', ') || 'fine'}`, () => {
      assert.deepEqual(Object.keys(signupProblems(username, password)).sort(), fields.sort());
    });
  }
});

describe('configFromEnv', () => {
  it('has safe defaults: port 3000 on 127.0.0.1, the demo data folder, SQLite sessions', () => {
    const config = configFromEnv({});
    assert.equal(config.port, DEFAULTS.port);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, DEFAULT_DATA_DIR);
    assert.equal(config.sessionStore, undefined);
    assert.equal(config.sessionMode, 'store');
  });
  it('reads every variable', () => {
    const config = configFromEnv(
      {
        PORT: '0',
        HOST: '0.0.0.0',
        DATA_DIR: 'tmp/x',
        SESSION_STORE: 'redis://127.0.0.1:6379',
        SESSION_MODE: 'cookie',
        SESSION_SECRET: 's'.repeat(32),
        IDLE_TIMEOUT: '1500',
        ABSOLUTE_TIMEOUT: '60000',
        ACCESS_TOKEN_TTL: '60',
        HTTPS: '1',
      },
      '/srv',
    );
    assert.deepEqual(
      { ...config, logRequests: undefined },
      {
        port: 0,
        host: '0.0.0.0',
        dataDir: '/srv/tmp/x',
        sessionStore: 'redis://127.0.0.1:6379',
        sessionMode: 'cookie',
        sessionSecret: 's'.repeat(32),
        idleTimeout: 1500,
        absoluteTimeout: 60000,
        accessTokenTtl: 60,
        logRequests: undefined,
        https: true,
      },
    );
  });

  it('HTTPS is 1 or 0, and off by default', () => {
    assert.equal(configFromEnv({}).https, false);
    assert.equal(configFromEnv({ HTTPS: '0' }).https, false);
    assert.throws(() => configFromEnv({ HTTPS: 'yes' }), /HTTPS must be 1 or 0/);
  });
  const bad: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [{ PORT: 'http' }, /^PORT must be a whole number/],
    [{ PORT: '70000' }, /^PORT/],
    [{ PORT: '-1' }, /^PORT/],
    [{ IDLE_TIMEOUT: '1.5' }, /^IDLE_TIMEOUT/],
    [{ IDLE_TIMEOUT: '10' }, /^IDLE_TIMEOUT/],
    [{ ABSOLUTE_TIMEOUT: 'soon' }, /^ABSOLUTE_TIMEOUT/],
    [{ SESSION_MODE: 'jwt' }, /^SESSION_MODE must be "store" or "cookie"/],
    [{ SESSION_STORE: '127.0.0.1:6379' }, /^SESSION_STORE must be a URL/],
    [{ SESSION_SECRET: 'keyboard cat' }, /^SESSION_SECRET must be at least 32 bytes/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} with a ConfigError naming the variable`, () => {
      assert.throws(
        () => configFromEnv(env),
        (err) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }
});

describe('page helpers', () => {
  const paths: Array<[unknown, string]> = [
    ['/devices', '/devices'],
    ['/cart?x=1', '/cart?x=1'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['devices', '/'],
    [undefined, '/'],
    [['/devices'], '/'],
  ];
  for (const [input, expected] of paths) {
    it(`localPath(${JSON.stringify(input)}) is ${expected}: never another host`, () => {
      assert.equal(localPath(input), expected);
    });
  }

  const agents: Array<[unknown, string]> = [
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'Chrome on Linux',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      'Edge on Windows',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:133.0) Gecko/20100101 Firefox/133.0',
      'Firefox on macOS',
    ],
    ['curl/8.5.0', 'curl'],
    ['', 'Unknown browser'],
    [undefined, 'Unknown browser'],
  ];
  for (const [agent, expected] of agents) {
    it(`describeBrowser → ${expected}`, () => assert.equal(describeBrowser(agent), expected));
  }

  const durations: Array<[number, string]> = [
    [-5, 'expired'],
    [0, 'expired'],
    [400, 'under 1 s'],
    [42_000, '42 s'],
    [29 * 60_000 + 57_000, '29 min 57 s'],
    [2 * 3_600_000 + 5 * 60_000 + 9_000, '2 h 5 min'],
    [7 * 86_400_000, '7 d'],
    [6 * 86_400_000 + 23 * 3_600_000 + 59 * 60_000, '6 d 23 h'],
  ];
  for (const [ms, expected] of durations) {
    it(`formatDuration(${ms}) is "${expected}"`, () => assert.equal(formatDuration(ms), expected));
  }

  it('sums a cart in catalogue order, ignoring unknown products and non-positive quantities', () => {
    const { lines, count, total } = cartLines({ scarf: 2, 'wool-coat': 1, ghost: 4, hat: 0 });
    assert.deepEqual(
      lines.map((l) => [l.product.id, l.quantity]),
      [
        ['wool-coat', 1],
        ['scarf', 2],
      ],
    );
    assert.equal(count, 3);
    assert.equal(formatPrice(total), '€259.00');
  });
});
