import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { type RunningDemo, SESSION_COOKIE } from '../src/app.js';
import { errorHandler } from '../src/web/errors.js';
import { Client, csrfTokenIn } from './helpers/http.js';
import { startInProcess, tempDataDir } from './helpers/server.js';

const PASSWORD = 'correct horse battery';

/** A client with a stored session (one item in the cart) and the page's CSRF token. */
async function shopper(base: string): Promise<{ client: Client; token: string }> {
  const client = new Client(base);
  const home = await client.get('/');
  const added = await client.post('/cart/add', { _csrf: csrfTokenIn(home.body), product: 'hat' });
  assert.equal(added.status, 303);
  const cart = await client.get('/cart');
  return { client, token: csrfTokenIn(cart.body) };
}

async function signUp(base: string, username: string): Promise<Client> {
  const client = new Client(base);
  const form = await client.get('/signup');
  const reply = await client.post('/signup', { _csrf: csrfTokenIn(form.body), username, password: PASSWORD });
  assert.equal(reply.status, 303, reply.body);
  return client;
}

describe('the demo over HTTP', () => {
  const data = tempDataDir();
  let demo: RunningDemo;
  before(async () => {
    demo = await startInProcess(data.path);
  });
  after(async () => {
    await demo.close();
    data.remove();
  });

  it('sends a strict CSP without inline scripts, nosniff, no framing, and no-store on pages', async () => {
    const page = await new Client(demo.url).get('/');
    assert.equal(page.status, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|script-src/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.doesNotMatch(page.body, /<script/i);
    const css = await new Client(demo.url).get('/static/style.css');
    assert.equal(css.status, 200);
    assert.match(String(css.headers['content-type']), /text\/css/);
    assert.match(String(css.headers['cache-control']), /max-age=3600/);
  });

  it('stores no session, and sets no cookie, for a visitor who only reads', async () => {
    const before = await demo.demo.store?.count?.();
    const client = new Client(demo.url);
    for (const path of ['/', '/cart', '/session', '/login', '/signup', '/api', '/no-such-page']) {
      const page = await client.get(path);
      assert.ok(page.status === 200 || page.status === 404, `${path}: ${page.status}`);
      assert.equal(page.headers['set-cookie'], undefined, path);
      assert.doesNotMatch(page.body, /name="_csrf"/, `${path}: a token would need a stored session`);
    }
    assert.equal(client.jar.size, 0);
    assert.equal(await demo.demo.store?.count?.(), before, 'the store holds no new session');
  });

  it("a visitor's first post is checked by its headers alone, then forms carry the token", async () => {
    const client = new Client(demo.url);
    const refused = await client.post('/cart/add', { product: 'hat' }, { origin: 'http://evil.example' });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['x-refused-because'], 'origin-mismatch');
    const scripted = await client.post('/cart/add', { product: 'hat' }, {});
    assert.equal(scripted.headers['x-refused-because'], 'origin-missing');
    assert.equal(client.jar.size, 0, 'a refused post stores nothing');
    // An older browser (Origin, no Fetch Metadata) and no session yet: no token to send.
    const added = await client.post('/cart/add', { product: 'hat' }, { origin: demo.url });
    assert.equal(added.status, 303);
    const cart = await client.get('/cart');
    assert.match(cart.body, /data-product="hat"/);
    assert.notEqual(csrfTokenIn(cart.body), '', 'with a session, forms carry the token');
    const without = await client.post('/cart/add', { product: 'scarf' }, { origin: demo.url });
    assert.equal(without.headers['x-refused-because'], 'token-missing', 'and now the token is required');
  });

  describe('CSRF: every form POST needs Fetch Metadata from our own pages, or else Origin and the form token', () => {
    const cases: Array<{
      name: string;
      headers: (base: string) => Record<string, string>;
      token: 'valid' | 'wrong' | 'none';
      status: number;
      reason?: string;
    }> = [
      {
        name: 'a current browser, same origin, no token',
        headers: () => ({ 'sec-fetch-site': 'same-origin' }),
        token: 'none',
        status: 303,
      },
      {
        name: 'a current browser, cross-site, even with the token',
        headers: () => ({ 'sec-fetch-site': 'cross-site' }),
        token: 'valid',
        status: 403,
        reason: 'cross-site',
      },
      {
        name: 'a sibling site',
        headers: () => ({ 'sec-fetch-site': 'same-site' }),
        token: 'valid',
        status: 403,
        reason: 'same-site',
      },
      {
        name: 'an older browser, own Origin, no token',
        headers: (base) => ({ origin: base }),
        token: 'none',
        status: 403,
        reason: 'token-missing',
      },
      {
        name: 'an older browser, own Origin, a wrong token',
        headers: (base) => ({ origin: base }),
        token: 'wrong',
        status: 403,
        reason: 'token-invalid',
      },
      {
        name: 'an older browser, own Origin, the token',
        headers: (base) => ({ origin: base }),
        token: 'valid',
        status: 303,
      },
      {
        name: 'an older browser, another Origin',
        headers: () => ({ origin: 'http://evil.example' }),
        token: 'valid',
        status: 403,
        reason: 'origin-mismatch',
      },
      {
        name: 'a script with no Origin at all',
        headers: () => ({}),
        token: 'valid',
        status: 403,
        reason: 'origin-missing',
      },
    ];
    for (const c of cases) {
      it(`${c.name} → ${c.status}${c.reason ? ` (${c.reason})` : ''}`, async () => {
        const { client, token } = await shopper(demo.url);
        const form: Record<string, string> = { product: 'scarf' };
        if (c.token === 'valid') form._csrf = token;
        if (c.token === 'wrong') form._csrf = `${token.slice(0, -2)}AA`;
        const reply = await client.post('/cart/add', form, c.headers(demo.url));
        assert.equal(reply.status, c.status);
        if (c.reason) {
          assert.equal(reply.headers['x-refused-because'], c.reason);
          assert.match(reply.body, /<h1>Request refused<\/h1>/);
        }
        const cart = await client.get('/cart');
        assert.equal(/data-product="scarf"/.test(cart.body), c.status === 303);
      });
    }
  });

  it('login rotates the session ID, keeps the cart, and the old ID is dead', async () => {
    await signUp(demo.url, 'rotor');
    const { client } = await shopper(demo.url);
    const before = client.jar.get(SESSION_COOKIE);
    const form = await client.get('/login');
    const reply = await client.post('/login', {
      _csrf: csrfTokenIn(form.body),
      username: 'ROTOR',
      password: PASSWORD,
    });
    assert.equal(reply.status, 303);
    const afterLogin = client.jar.get(SESSION_COOKIE);
    assert.ok(before && afterLogin && before !== afterLogin);
    const cart = await client.get('/cart');
    assert.match(cart.body, /data-product="hat"/);
    assert.match(cart.body, /Signed in as <strong data-testid="username">rotor<\/strong>/);

    const replay = await new Client(demo.url).get('/cart', { cookie: `${SESSION_COOKIE}=${before}` });
    assert.match(replay.body, /Not signed in/);
    assert.doesNotMatch(replay.body, /data-product="hat"/);
  });

  it('logout ends the session on the server and says so', async () => {
    const client = await signUp(demo.url, 'leaver');
    const old = client.jar.get(SESSION_COOKIE);
    const home = await client.get('/');
    const reply = await client.post('/logout', { _csrf: csrfTokenIn(home.body) });
    assert.equal(reply.status, 303);
    assert.notEqual(client.jar.get(SESSION_COOKIE), old);
    assert.match((await client.get('/')).body, /You are logged out/);
    assert.equal((await client.get('/devices')).status, 401);
    const replay = await new Client(demo.url).get('/devices', { cookie: `${SESSION_COOKIE}=${old}` });
    assert.equal(replay.status, 401, 'the old session ID is dead');
  });

  it('the session page tells a visitor with nothing stored that there is no session yet', async () => {
    const page = await new Client(demo.url).get('/session');
    assert.match(page.body, /data-testid="no-session"/);
    const { client } = await shopper(demo.url);
    assert.match((await client.get('/session')).body, /data-testid="idle-left">29 min/);
  });

  it('a wrong password and an unknown username get the same answer', async () => {
    await signUp(demo.url, 'known');
    const answers = [];
    for (const username of ['known', 'unknown']) {
      const client = new Client(demo.url);
      const form = await client.get('/login');
      const reply = await client.post('/login', {
        _csrf: csrfTokenIn(form.body),
        username,
        password: 'not the password',
      });
      answers.push([reply.status, /do not match an account/.test(reply.body)]);
    }
    assert.deepEqual(answers, [
      [400, true],
      [400, true],
    ]);
  });

  const badSignups: Array<[string, Record<string, string | string[]>, RegExp]> = [
    ['a taken username', { username: 'known', password: PASSWORD }, /That username is taken/],
    ['a short password', { username: 'fresh', password: 'short' }, /At least 8 characters/],
    ['a bad username', { username: '<b>x</b>', password: PASSWORD }, /3 to 32 characters/],
    ['repeated fields', { username: ['a', 'b'], password: [PASSWORD, PASSWORD] }, /3 to 32 characters/],
  ];
  for (const [name, fields, message] of badSignups) {
    it(`sign-up with ${name} is a 400 form with a message, not an error`, async () => {
      const client = new Client(demo.url);
      const form = await client.get('/signup');
      const body = new URLSearchParams({ _csrf: csrfTokenIn(form.body) });
      for (const [key, value] of Object.entries(fields)) {
        for (const v of [value].flat()) body.append(key, v);
      }
      const reply = await client.send('POST', '/signup', {
        headers: { 'sec-fetch-site': 'same-origin' },
        form: body,
      });
      assert.equal(reply.status, 400);
      assert.match(reply.body, message);
      assert.doesNotMatch(reply.body, /<b>x<\/b>/);
    });
  }

  it('a tampered or garbage session cookie is a new session, never an error', async () => {
    const { client } = await shopper(demo.url);
    const value = client.jar.get(SESSION_COOKIE) as string;
    for (const cookie of [`${value.slice(0, -3)}abc`, 's%3A', 'garbage', '%', 'x'.repeat(4000)]) {
      const reply = await new Client(demo.url).get('/cart', { cookie: `${SESSION_COOKIE}=${cookie}` });
      assert.equal(reply.status, 200);
      assert.match(reply.body, /Your cart is empty/);
    }
  });

  it('pages that need a user answer 401 with a way to log in and come back', async () => {
    const reply = await new Client(demo.url).get('/devices');
    assert.equal(reply.status, 401);
    assert.match(reply.body, /href="\/login\?next=%2Fdevices"/);
  });

  it('after login the browser goes back where it was, but never to another host', async () => {
    await signUp(demo.url, 'traveller');
    const targets: Array<[string, string]> = [
      ['/devices', '/devices'],
      ['//evil.example/x', '/'],
      ['https://evil.example/', '/'],
    ];
    for (const [next, location] of targets) {
      const client = new Client(demo.url);
      const form = await client.get(`/login?next=${encodeURIComponent(next)}`);
      const reply = await client.post('/login', {
        _csrf: csrfTokenIn(form.body),
        username: 'traveller',
        password: PASSWORD,
        next,
      });
      assert.equal(reply.headers.location, location);
    }
  });

  it('"log out this device" ends that one session and no other', async () => {
    const laptop = await signUp(demo.url, 'threefold');
    const devices: Client[] = [];
    for (let i = 0; i < 2; i++) {
      const client = new Client(demo.url);
      const form = await client.get('/login');
      await client.post('/login', {
        _csrf: csrfTokenIn(form.body),
        username: 'threefold',
        password: PASSWORD,
      });
      devices.push(client);
    }
    const [phone, tablet] = devices as [Client, Client];
    const phoneId = decodeURIComponent(phone.jar.get(SESSION_COOKIE) as string)
      .slice(2)
      .split('.')[0] as string;
    const page = await laptop.get('/devices');
    assert.equal(page.body.match(/data-testid="device"/g)?.length, 3);
    const reply = await laptop.post('/devices/revoke', {
      _csrf: csrfTokenIn(page.body),
      handle: demo.demo.sessions.handleOf(phoneId),
    });
    assert.equal(reply.status, 303);
    assert.match((await laptop.get('/devices')).body, /That device is logged out/);
    assert.equal((await phone.get('/devices')).status, 401);
    assert.equal((await tablet.get('/devices')).status, 200);
    assert.equal((await laptop.get('/devices')).body.match(/data-testid="device"/g)?.length, 2);
  });

  it('a user can end only their own sessions', async () => {
    const mallory = await signUp(demo.url, 'mallory');
    const victim = await signUp(demo.url, 'victim');
    const victimDevices = await victim.get('/devices');
    const handle = /<code>([A-Za-z0-9_-]{22})<\/code>/.exec(victimDevices.body)?.[1] as string;
    const page = await mallory.get('/devices');
    const reply = await mallory.post('/devices/revoke', { _csrf: csrfTokenIn(page.body), handle });
    assert.equal(reply.status, 303);
    assert.match((await mallory.get('/devices')).body, /No such session/);
    assert.match((await victim.get('/devices')).body, /Signed in as <strong data-testid="username">victim/);
  });

  it('session IDs never appear in pages, only their handles', async () => {
    const client = await signUp(demo.url, 'watcher');
    const raw = decodeURIComponent(client.jar.get(SESSION_COOKIE) as string);
    const id = raw.slice(2, raw.indexOf('.'));
    for (const path of ['/', '/devices', '/session', '/cart']) {
      const page = await client.get(path);
      assert.equal(page.body.includes(id), false, path);
    }
    const devices = await client.get('/devices');
    assert.match(devices.body, new RegExp(demo.demo.sessions.handleOf(id)));
  });

  it('a body too large or malformed is a clean 4xx page', async () => {
    const { client, token } = await shopper(demo.url);
    const reply = await client.post('/cart/add', { _csrf: token, product: 'x'.repeat(20_000) });
    assert.equal(reply.status, 413);
    assert.match(reply.body, /<h1>Payload too large<\/h1>/);
    const unknown = await client.post('/cart/add', { _csrf: token, product: 'ghost' });
    assert.equal(unknown.status, 303);
    assert.match((await client.get('/')).body, /That product does not exist/);
  });
});

describe('the error page', () => {
  it('answers an unexpected error with a 500 page that logs it and reveals nothing', async () => {
    const logged: unknown[] = [];
    const app = express();
    app.get('/boom', () => {
      throw new Error('database password is hunter2');
    });
    app.use(errorHandler((err) => logged.push(err)));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const reply = await new Client(`http://127.0.0.1:${port}`).get('/boom');
      assert.equal(reply.status, 500);
      assert.match(reply.body, /<h1>Something went wrong<\/h1>/);
      assert.doesNotMatch(reply.body, /hunter2|Error:|at /);
      assert.equal(logged.length, 1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
