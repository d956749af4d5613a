import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type CookiesResponse,
  cookies,
  type Secrets,
  seal,
  sealingKeys,
  unseal,
} from '../../src/cookies/index.js';
import { cookiePairs, frameworks, type Middleware, type Running, serve } from './servers.js';

const require = createRequire(import.meta.url);
const cookieParser = require('cookie-parser') as (secret?: Secrets, options?: object) => Middleware;
const cookieSignature = require('cookie-signature') as { sign(value: string, secret: string): string };

const secret = 'the current cookie secret, 32+ bytes';
const oldSecret = 'the previous cookie secret, 32+ bytes';
const signed = (value: string, key = secret) => `s:${cookieSignature.sign(value, key)}`;
const enc = encodeURIComponent;

// biome-ignore lint/suspicious/noExplicitAny: the framework's request
const echo = (req: any, res: ServerResponse) => {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      cookies: req.cookies,
      signedCookies: req.signedCookies,
      sealedCookies: req.sealedCookies,
    }),
  );
};

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies are checked with deepEqual
const readJson = (response: Response) => response.json() as Promise<Record<string, any>>;

const sealedCart = seal('j:{"items":[42]}', sealingKeys(secret), { name: 'cart', maxAge: 3600 });
const sealedWithOldKey = seal('old', sealingKeys(oldSecret), { name: 'remember', maxAge: 3600 });

interface ReadCase {
  title: string;
  cookie: string;
  cookies?: Record<string, unknown>;
  signedCookies?: Record<string, unknown>;
  sealedCookies?: Record<string, unknown>;
}

const readCases: ReadCase[] = [
  { title: 'no Cookie header', cookie: '', cookies: {}, signedCookies: {}, sealedCookies: {} },
  { title: 'plain cookies', cookie: 'a=1; b=two%20words', cookies: { a: '1', b: 'two words' } },
  {
    title: 'a j: JSON cookie is parsed',
    cookie: `prefs=${enc('j:{"theme":"dark"}')}`,
    cookies: { prefs: { theme: 'dark' } },
  },
  {
    title: 'a j: cookie with bad JSON stays text',
    cookie: `prefs=${enc('j:{oops')}`,
    cookies: { prefs: 'j:{oops' },
  },
  { title: 'a j: cookie with falsy JSON stays text', cookie: `n=${enc('j:0')}`, cookies: { n: 'j:0' } },
  {
    title: 'a signed cookie moves to signedCookies',
    cookie: `sid=${enc(signed('abc'))}; a=1`,
    cookies: { a: '1' },
    signedCookies: { sid: 'abc' },
  },
  {
    title: 'a cookie signed with the old secret verifies',
    cookie: `sid=${enc(signed('abc', oldSecret))}`,
    signedCookies: { sid: 'abc' },
  },
  {
    title: 'a forged signed cookie is false',
    cookie: `sid=${enc(signed('abc', 'attacker'))}`,
    cookies: {},
    signedCookies: { sid: false },
  },
  {
    title: 'a tampered signed cookie is false',
    cookie: `sid=${enc(signed('abc').replace('abc', 'abd'))}`,
    signedCookies: { sid: false },
  },
  {
    title: 'a signed j: cookie is parsed',
    cookie: `o=${enc(signed('j:{"a":1}'))}`,
    signedCookies: { o: { a: 1 } },
  },
  {
    title: 'a sealed cookie moves to sealedCookies',
    cookie: `cart=${sealedCart}; a=1`,
    cookies: { a: '1' },
    sealedCookies: { cart: { items: [42] } },
  },
  {
    title: 'a sealed cookie under another name is false',
    cookie: `basket=${sealedCart}`,
    cookies: {},
    sealedCookies: { basket: false },
  },
  {
    title: 'a cookie sealed with the old secret opens',
    cookie: `remember=${sealedWithOldKey}`,
    sealedCookies: { remember: 'old' },
  },
  { title: 'a garbage sealed cookie is false', cookie: 'x=cc1.AAAAAAAA.zzzz', sealedCookies: { x: false } },
  {
    title: 'the first of duplicate names wins',
    cookie: `sid=${enc(signed('first'))}; sid=${enc(signed('second'))}`,
    signedCookies: { sid: 'first' },
  },
];

for (const framework of frameworks) {
  describe(`cookies() on ${framework}`, () => {
    let server: Running;
    before(async () => {
      server = await serve(framework, [cookies([secret, oldSecret])], echo);
    });
    after(() => server.close());

    for (const c of readCases) {
      it(`reads ${c.title}`, async () => {
        const response = await fetch(server.url, { headers: c.cookie ? { cookie: c.cookie } : {} });
        const body = await readJson(response);
        if (c.cookies) assert.deepEqual(body.cookies, c.cookies);
        if (c.signedCookies) assert.deepEqual(body.signedCookies, c.signedCookies);
        if (c.sealedCookies) assert.deepEqual(body.sealedCookies, c.sealedCookies);
      });
    }

    it('sets plain, signed, sealed and JSON cookies that read back', async () => {
      const setter = await serve(framework, [cookies([secret, oldSecret])], (_req, res) => {
        res.setCookie('plain', 'a b', { path: '/', httpOnly: true });
        res.setCookie('sig', 'abc', { signed: true, sameSite: 'lax' });
        res.setCookie('obj', { n: 1 }, { signed: true });
        res.setCookie('cart', { items: [1, 2] }, { sealed: true, maxAge: 60 });
        res.end();
      });
      try {
        const response = await fetch(setter.url);
        const headers = response.headers.getSetCookie();
        assert.equal(headers[0], 'plain=a%20b; Path=/; HttpOnly');
        assert.equal(headers[1], `sig=${enc(signed('abc'))}; SameSite=Lax`);
        assert.match(headers[3] ?? '', /^cart=cc1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+; Max-Age=60$/);
        const back = await readJson(await fetch(server.url, { headers: { cookie: cookiePairs(response) } }));
        assert.deepEqual(back, {
          cookies: { plain: 'a b' },
          signedCookies: { sig: 'abc', obj: { n: 1 } },
          sealedCookies: { cart: { items: [1, 2] } },
        });
      } finally {
        await setter.close();
      }
    });

    it('deletes a cookie with an expiry in the past, keeping path and domain', async () => {
      const deleter = await serve(framework, [cookies()], (_req, res) => {
        res.deleteCookie('sid', { path: '/app', domain: 'example.com', maxAge: 100 }).end();
      });
      try {
        const response = await fetch(deleter.url);
        assert.deepEqual(response.headers.getSetCookie(), [
          'sid=; Domain=example.com; Path=/app; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
        ]);
      } finally {
        await deleter.close();
      }
    });

    it('without a secret leaves signed and sealed values in req.cookies, as cookie-parser does', async () => {
      const plain = await serve(framework, [cookies()], echo);
      try {
        const cookie = `sid=${enc(signed('abc'))}; cart=${sealedCart}`;
        const body = await readJson(await fetch(plain.url, { headers: { cookie } }));
        assert.deepEqual(body, {
          cookies: { sid: signed('abc'), cart: sealedCart },
          signedCookies: {},
          sealedCookies: {},
        });
      } finally {
        await plain.close();
      }
    });

    it('with a short secret still signs, and refuses to seal with a TypeError', async () => {
      const short = await serve(framework, [cookies('keyboard cat')], (req, res) => {
        if (req.url === '/sign') return res.setCookie('a', 'b', { signed: true }).end();
        res.setCookie('a', 'b', { sealed: true }).end();
      });
      try {
        const ok = await fetch(`${short.url}/sign`);
        assert.equal(ok.status, 200);
        assert.equal(
          ok.headers.getSetCookie()[0],
          `a=${enc(`s:${cookieSignature.sign('b', 'keyboard cat')}`)}`,
        );
        const refused = await fetch(short.url);
        assert.equal(refused.status, 500);
        const body = await readJson(refused);
        assert.equal(body.name, 'TypeError');
        assert.match(body.message, /cannot seal: secret must be at least 32 bytes/);
        assert.doesNotMatch(body.message, /keyboard cat/);
      } finally {
        await short.close();
      }
    });

    it('keeps cookies parsed by an earlier parser', async () => {
      const stacked = await serve(framework, [cookieParser(secret), cookies(secret)], echo);
      try {
        const body = await readJson(
          await fetch(stacked.url, { headers: { cookie: `sid=${enc(signed('abc'))}` } }),
        );
        assert.deepEqual(body.signedCookies, { sid: 'abc' });
        assert.equal(body.sealedCookies, undefined);
      } finally {
        await stacked.close();
      }
    });
  });
}

describe('cookies() is a drop-in for cookie-parser', () => {
  it('refuses bad secrets and options at construction', () => {
    // As with cookie-parser, no secret, '' and [] all mean "no signed cookies".
    for (const none of [undefined, '', []]) assert.equal(typeof cookies(none), 'function');
    assert.throws(
      () => cookies([secret, 42 as unknown as string]),
      /^TypeError: secret\[1\] must be a string or a Buffer$/,
    );
    assert.throws(
      () => cookies(secret, { decode: 'yes' as unknown as () => string }),
      /decode must be a function/,
    );
  });

  for (const framework of ['express4', 'express5'] as const) {
    it(`reads what Express's res.cookie(…, { signed: true }) wrote, with req.secret from cookies() (${framework})`, async () => {
      const app = await serve(framework, [cookies([secret, oldSecret])], (req, res) => {
        if (req.url === '/set') {
          res.cookie('sid', 'abc', { signed: true });
          res.cookie('obj', { a: [1] }, { signed: true });
          return res.end();
        }
        echo(req, res);
      });
      try {
        const set = await fetch(`${app.url}/set`);
        const body = await readJson(await fetch(app.url, { headers: { cookie: cookiePairs(set) } }));
        assert.deepEqual(body.signedCookies, { sid: 'abc', obj: { a: [1] } });
      } finally {
        await app.close();
      }
    });

    it(`reads what Express signed under cookie-parser, and cookie-parser reads what cookies() signed (${framework})`, async () => {
      const theirs = await serve(framework, [cookieParser([secret, oldSecret])], (req, res) => {
        if (req.url === '/set') {
          res.cookie('theirs', 'from express', { signed: true });
          return res.end();
        }
        res.json({ signedCookies: req.signedCookies, cookies: req.cookies });
      });
      const ours = await serve(framework, [cookies([secret, oldSecret])], (req, res) => {
        if (req.url === '/set')
          return res
            .setCookie('ours', 'from coatcheck', { signed: true })
            .setCookie('j', { k: 'v' }, { signed: true })
            .end();
        echo(req, res);
      });
      try {
        const fromExpress = cookiePairs(await fetch(`${theirs.url}/set`));
        const fromUs = cookiePairs(await fetch(`${ours.url}/set`));
        const cookie = `${fromExpress}; ${fromUs}; forged=${enc(signed('x', 'attacker'))}`;
        const readByUs = await readJson(await fetch(ours.url, { headers: { cookie } }));
        const readByThem = await readJson(await fetch(theirs.url, { headers: { cookie } }));
        assert.deepEqual(readByUs.signedCookies, {
          theirs: 'from express',
          ours: 'from coatcheck',
          j: { k: 'v' },
          forged: false,
        });
        assert.deepEqual(readByThem.signedCookies, readByUs.signedCookies);
        assert.deepEqual(readByThem.cookies, readByUs.cookies);
      } finally {
        await theirs.close();
        await ours.close();
      }
    });
  }

  it('works as plain node:http middleware with a next callback', async () => {
    const middleware = cookies(secret);
    const req = { headers: { cookie: `a=1; s=${enc(signed('v'))}` } } as unknown as IncomingMessage &
      Record<string, unknown>;
    const res = { appendHeader() {} } as unknown as ServerResponse;
    await new Promise<void>((resolve, reject) =>
      middleware(req, res, (error) => (error ? reject(error) : resolve())),
    );
    assert.deepEqual({ ...(req.cookies as object) }, { a: '1' });
    assert.deepEqual({ ...(req.signedCookies as object) }, { s: 'v' });
    assert.equal(req.secret, secret);
  });

  it('res.setCookie enforces prefix rules at compile time and run time, and seals for the given name', () => {
    const headers: string[] = [];
    const res = {
      appendHeader(_name: string, value: string) {
        headers.push(value);
        return this;
      },
    } as unknown as ServerResponse & CookiesResponse;
    cookies(secret)({ headers: {} } as IncomingMessage, res, () => {});
    // @ts-expect-error __Host- needs options with secure and path '/'
    assert.throws(() => res.setCookie('__Host-cart', 'x'), /its prefix requires secure/);
    // @ts-expect-error __Secure- needs secure
    assert.throws(() => res.setCookie('__Secure-cart', 'x', { sealed: true }), /its prefix requires secure/);
    res.setCookie('__Host-cart', 'x', { secure: true, path: '/', sealed: true, maxAge: 60 });
    const [pair] = (headers[0] ?? '').split(';') as [string];
    const value = pair.slice('__Host-cart='.length);
    const opened = unseal(value, sealingKeys(secret), { name: '__Host-cart' });
    assert.equal(opened.valid && opened.value, 'x');
    assert.equal(opened.valid && opened.expiresAt - opened.issuedAt, 60_000);
  });
});

describe('Express types', () => {
  it('type req.sealedCookies, req.signedCookies, res.setCookie and res.deleteCookie, chainably', async () => {
    const handler = (req: import('express').Request, res: import('express').Response) => {
      const opened: string | number | boolean | object = req.sealedCookies.cart ?? 'none';
      // @ts-expect-error __Host- needs secure and path '/'
      if (req.query.never) res.setCookie('__Host-x', 'y');
      res
        .setCookie('seen', String(req.signedCookies.seen ?? 'no'), { signed: true })
        .deleteCookie('old')
        .status(201)
        .json({ opened });
    };
    const app = await serve('express5', [cookies(secret)], handler);
    try {
      const response = await fetch(app.url, { headers: { cookie: `cart=${sealedCart}` } });
      assert.equal(response.status, 201);
      assert.deepEqual(await readJson(response), { opened: { items: [42] } });
      assert.equal(response.headers.getSetCookie().length, 2);
    } finally {
      await app.close();
    }
  });
});

describe('cookies() on hostile Cookie headers', () => {
  it('never throws, and only authenticated values reach signedCookies and sealedCookies (property)', () => {
    const middleware = cookies([secret, oldSecret]);
    const genuineSigned = signed('abc');
    const fragment = fc.oneof(
      fc.constantFrom(
        's:',
        'j:',
        'cc1.',
        '%',
        '%E0%A4',
        ';',
        '=',
        '"',
        ' ',
        '.',
        '__proto__',
        'constructor',
        'a',
        'sid',
      ),
      fc.constantFrom(
        genuineSigned,
        sealedCart,
        'j:{"a":1}',
        'j:[',
        `s:${cookieSignature.sign('j:{"x":', secret)}`,
      ),
      fc.string({ unit: 'binary-ascii', maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 24 }), (parts) => {
        const req = { headers: { cookie: parts.join('') } } as unknown as IncomingMessage &
          Record<string, unknown>;
        let called = 0;
        middleware(req, {} as ServerResponse, (error) => {
          assert.equal(error, undefined);
          called++;
        });
        assert.equal(called, 1);
        for (const jar of [req.signedCookies, req.sealedCookies] as Record<string, unknown>[]) {
          for (const value of Object.values(jar)) {
            if (value === false) continue;
            assert.ok(
              value === 'abc' ||
                value === 'j:{"x":' ||
                (typeof value === 'object' && JSON.stringify(value) === '{"items":[42]}'),
              `unexpected authenticated value ${JSON.stringify(value)}`,
            );
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
