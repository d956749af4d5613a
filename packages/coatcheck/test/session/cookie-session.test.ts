import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CookieSessionMiddleware,
  type CookieSessionOptions,
  cookieSession,
  type SessionEvents,
} from 'coatcheck';
import { MAX_COOKIE_SIZE, seal, sealingKeys } from 'coatcheck/cookies';
import { SECRET, sessionAppWith } from '../helpers/app.js';
import { type AnyApp, Client, EXPRESS } from '../helpers/http.js';

const make = (options: Record<string, unknown>) => cookieSession(options as unknown as CookieSessionOptions);

/** Routes only these tests need: a session of `n` random hex characters, and a streamed response. */
function extraRoutes(a: AnyApp): void {
  a.post('/big/:n', (req: AnyApp, res: AnyApp) => {
    const n = Number(req.params.n);
    req.session.big = randomBytes(Math.ceil(n / 2))
      .toString('hex')
      .slice(0, n);
    res.send('ok');
  });
  a.get('/big', (req: AnyApp, res: AnyApp) => res.send(req.session.big ?? ''));
  a.post('/stream', (req: AnyApp, res: AnyApp) => {
    req.session.streamed = true;
    res.write('part one, ');
    setTimeout(() => res.end('part two'), 20);
  });
  a.get('/stream-read', (req: AnyApp, res: AnyApp) => {
    res.write(`streamed: ${req.session.streamed}`);
    setTimeout(() => res.end(), 20);
  });
}

/** `[name, value]` of each Set-Cookie line. */
function pairs(lines: string[]): Array<[string, string]> {
  return lines.map((line) => {
    const pair = line.split(';')[0] as string;
    const eq = pair.indexOf('=');
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  });
}

for (const [framework, makeApp] of EXPRESS) {
  describe(`cookieSession() on ${framework}`, () => {
    const servers: Array<{ close(): Promise<void> }> = [];
    after(() => Promise.all(servers.map((s) => s.close())));
    async function app(options: Record<string, unknown> = {}, extra?: (app: AnyApp) => void) {
      const server = await sessionAppWith(makeApp, make, options, (a) => {
        extraRoutes(a);
        extra?.(a);
      });
      servers.push(server);
      return server;
    }

    it('splits a 10 KB session over numbered chunks, each within 4096 bytes, and joins them back', async () => {
      const server = await app({ maxSize: 16_384 });
      const client = new Client(server.url);
      const response = await client.fetch('/big/10000', { method: 'POST' });
      const set = pairs(response.setCookies);
      assert.ok(set.length >= 3, `${set.length} chunks`);
      assert.deepEqual(
        set.map(([name]) => name),
        ['session', ...set.slice(1).map((_, i) => `session.${i + 1}`)],
      );
      for (const [name, value] of set) assert.ok(name.length + value.length <= MAX_COOKIE_SIZE);
      const big = await client.text('/big');
      assert.equal(big.length, 10_000);
      await client.fetch('/views');
      assert.equal(await client.text('/big'), big, 'kept across a write to another key');
    });

    it('deletes the chunks a shrinking session no longer needs', async () => {
      const server = await app({ maxSize: 16_384 });
      const client = new Client(server.url);
      await client.fetch('/big/10000', { method: 'POST' });
      const chunks = client.jar.size;
      assert.ok(chunks >= 3);
      const response = await client.fetch('/big/10', { method: 'POST' });
      const cleared = response.setCookies.filter((line) => /Expires=Thu, 01 Jan 1970/.test(line));
      assert.deepEqual(
        pairs(cleared).map(([name, value]) => [name, value]),
        Array.from({ length: chunks - 1 }, (_, i) => [`session.${i + 1}`, '']),
      );
      assert.match(cleared[0] as string, /; Path=\/; Expires=/, 'cleared with the same path');
      assert.deepEqual([...client.jar.keys()], ['session']);
      assert.equal((await client.text('/big')).length, 10);
    });

    it('deletes chunks a lost response left behind, the next time it sends the session', async () => {
      const server = await app();
      const client = new Client(server.url);
      await client.fetch('/views');
      client.jar.set('session.1', 'left-over');
      client.jar.set('session.2', 'left-over');
      const response = await client.fetch('/views');
      assert.equal(await response.text(), '2', 'chunks the first cookie does not announce are ignored');
      assert.deepEqual(
        pairs(response.setCookies).map(([name]) => name),
        ['session', 'session.1', 'session.2'],
      );
      assert.deepEqual([...client.jar.keys()], ['session']);
    });

    it('a missing, reordered or stale chunk is no session: a fresh one, no error', async () => {
      const server = await app({ maxSize: 16_384 });
      const tampered: Array<SessionEvents['tampered']['reason']> = [];
      server.middleware.on('tampered', ({ reason }) => tampered.push(reason));
      const client = new Client(server.url);
      await client.fetch('/big/10000', { method: 'POST' });
      const jar = new Map(client.jar);
      const header = (entries: Array<[string, string]>) => entries.map(([n, v]) => `${n}=${v}`).join('; ');
      const withoutMiddle = [...jar].filter(([name]) => name !== 'session.1');
      const swapped = [...jar].map(([name, value]): [string, string] =>
        name === 'session.1'
          ? [name, jar.get('session.2') as string]
          : name === 'session.2'
            ? [name, jar.get('session.1') as string]
            : [name, value],
      );
      for (const cookie of [header(withoutMiddle), header(swapped)]) {
        const response = await client.fetch('/views', { cookie });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), '1');
      }
      assert.deepEqual(tampered, ['malformed', 'signature']);
    });

    it('refuses hostile chunk sets before decrypting anything', async () => {
      const server = await app();
      const tampered: Array<SessionEvents['tampered']['reason']> = [];
      server.middleware.on('tampered', ({ reason }) => tampered.push(reason));
      const client = new Client(server.url);
      const many = Array.from({ length: 98 }, (_, i) => `session.${i + 1}=${'a'.repeat(100)}`).join('; ');
      for (const cookie of [
        `session=99~cc1.${'a'.repeat(100)}; ${many}`,
        `session=5~cc1.x; session.1=y`,
        `session=1~cc1.x`,
        `session=cc1.${'a'.repeat(9000)}`,
      ]) {
        const response = await client.fetch('/views', { cookie });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), '1');
      }
      assert.deepEqual(tampered, ['oversized', 'malformed', 'malformed', 'oversized']);
    });

    it('past maxSize, saving fails with CookieTooLargeError through next(err) and the cookie is kept', async () => {
      const server = await app();
      const client = new Client(server.url);
      await client.fetch('/big/100', { method: 'POST' });
      const before = await client.text('/big');
      const response = await client.fetch('/big/10000', { method: 'POST' });
      assert.equal(response.status, 500);
      assert.deepEqual(await response.json(), { code: 'ERR_COOKIE_TOO_LARGE', status: 500 });
      assert.deepEqual(response.setCookies, []);
      assert.equal(await client.text('/big'), before, 'the previous session is intact');
      const saving = await app({}, (a) =>
        a.post('/save-big', async (req: AnyApp, res: AnyApp) => {
          req.session.big = 'x'.repeat(9000);
          try {
            await req.session.save();
            res.send('saved');
          } catch (err) {
            const { code, size, limit } = err as { code: string; size: number; limit: number };
            delete req.session.big;
            res.json({ code, overLimit: size > limit, limit });
          }
        }),
      );
      const answer = await new Client(saving.url).fetch('/save-big', { method: 'POST' });
      assert.deepEqual(await answer.json(), { code: 'ERR_COOKIE_TOO_LARGE', overLimit: true, limit: 8192 });
    });

    it('a seal made for another cookie name does not open', async () => {
      const a = await app({ name: 'app-a' });
      const b = await app({ name: 'app-b' });
      const client = new Client(a.url);
      await client.fetch('/set/role/admin', { method: 'POST' });
      const moved = new Client(b.url);
      moved.jar.set('app-b', client.jar.get('app-a') as string);
      assert.deepEqual(await (await moved.fetch('/read')).json(), {});
    });

    it('the cookie does not show the session data', async () => {
      const server = await app();
      const client = new Client(server.url);
      const marker = 'plaintext-marker-4242';
      await client.fetch(`/set/note/${marker}`, { method: 'POST' });
      const value = decodeURIComponent(client.jar.get('session') as string);
      assert.match(value, /^cc1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+$/);
      for (const encoding of ['utf8', 'base64', 'base64url', 'hex'] as const) {
        assert.equal(value.includes(Buffer.from(marker).toString(encoding)), false, encoding);
      }
      assert.equal(Buffer.from(value.slice(13), 'base64url').includes(marker), false);
    });

    it('re-seals a session under the newest secret, transparently', async () => {
      const old = 'the old secret, thirty-two bytes or more';
      const current = 'the new secret, thirty-two bytes or more';
      const before = await app({ secret: old });
      const client = new Client(before.url);
      await client.fetch('/views');
      const rotated = await app({ secret: [current, old] });
      const next = new Client(rotated.url);
      next.jar.set('session', client.jar.get('session') as string);
      const response = await next.fetch('/read');
      assert.deepEqual(await response.json(), { views: 1 });
      const [newest] = sealingKeys(current, { purpose: 'session' });
      assert.ok(next.jar.get('session')?.startsWith(`cc1.${newest?.id}.`));
      assert.deepEqual(
        (await next.fetch('/read')).setCookies,
        [],
        'once re-sealed, read-only requests send nothing',
      );
    });

    it('enforces the idle timeout inside the seal, even when the browser keeps the cookie', async () => {
      const server = await app({ idleTimeout: 200, cookie: { maxAge: 3_600_000 } });
      const client = new Client(server.url);
      await client.fetch('/views');
      const kept = client.cookieHeader();
      assert.equal(await client.text('/views', { cookie: kept }), '2');
      await sleep(300);
      assert.equal(
        await client.text('/views', { cookie: kept }),
        '1',
        'a replayed cookie past its idle deadline',
      );
    });

    it('enforces the absolute timeout inside the seal, even on a cookie re-sealed a moment ago', async () => {
      const server = await app({ absoluteTimeout: 300, idleTimeout: 60_000, touchAfter: 0 });
      const client = new Client(server.url);
      await client.fetch('/views');
      await sleep(150);
      await client.fetch('/read');
      const fresh = client.cookieHeader();
      await sleep(200);
      assert.equal(await client.text('/views', { cookie: fresh }), '1');
    });

    it('notBefore logs a user out everywhere; signing in again afterwards works', async () => {
      const loggedOutAt = new Map<string, number>();
      const server = await app({
        userKey: 'userId',
        notBefore: async (user: string) => loggedOutAt.get(user),
      });
      const revoked: Array<SessionEvents['revoked']> = [];
      server.middleware.on('revoked', (payload) => revoked.push(payload));
      const laptop = new Client(server.url);
      const phone = new Client(server.url);
      const other = new Client(server.url);
      await laptop.fetch('/login/grace', { method: 'POST' });
      await phone.fetch('/set/cart/pears', { method: 'POST' });
      await phone.fetch('/login/grace', { method: 'POST' });
      await other.fetch('/login/alan', { method: 'POST' });
      const phoneId = await phone.text('/id');
      await sleep(5);
      loggedOutAt.set('grace', Date.now());
      const response = await phone.fetch('/read');
      assert.deepEqual(await response.json(), {});
      assert.match(
        response.setCookies[0] as string,
        /^session=; .*Expires=Thu, 01 Jan 1970/,
        'the cookie is cleared',
      );
      assert.deepEqual(await (await laptop.fetch('/read')).json(), {});
      assert.deepEqual(
        await (await other.fetch('/read')).json(),
        { userId: 'alan' },
        'other users keep theirs',
      );
      assert.deepEqual(revoked[0], { handles: [server.middleware.handleOf(phoneId)], user: 'grace' });

      await sleep(5);
      await laptop.fetch('/set/cart/apples', { method: 'POST' });
      await laptop.fetch('/login/grace', { method: 'POST' });
      assert.deepEqual(
        await (await laptop.fetch('/read')).json(),
        { cart: 'apples', userId: 'grace' },
        'a session begun before the logout, signed in after it, is valid',
      );
    });

    it('overlapping requests each carry their own seal: the last response the browser gets wins', async () => {
      const server = await app();
      const client = new Client(server.url);
      await client.fetch('/set/start/1', { method: 'POST' });
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => client.fetch(`/slow-set/key${i}/${i}`, { method: 'POST' })),
      );
      for (const response of responses) assert.equal(response.setCookies.length, 1);
      const data = (await (await client.fetch('/read')).json()) as Record<string, string>;
      assert.equal(data.start, '1');
      assert.equal(Object.keys(data).filter((key) => key.startsWith('key')).length, 1);
    });

    it('a streamed response carries the session written before its headers', async () => {
      const server = await app();
      const client = new Client(server.url);
      const response = await client.fetch('/stream', { method: 'POST' });
      assert.equal(await response.text(), 'part one, part two');
      assert.equal(response.setCookies.length, 1);
      assert.deepEqual(await (await client.fetch('/read')).json(), { streamed: true });
      const reading = await client.fetch('/stream-read');
      assert.equal(await reading.text(), 'streamed: true');
      assert.deepEqual(reading.setCookies, [], 'a streamed read-only response seals nothing');
    });

    it('a sealed session with keys named like methods or __proto__ opens safely', async () => {
      const server = await app({ name: 'crafted' });
      const keys = sealingKeys(SECRET, { purpose: 'session' });
      const now = Date.now();
      const json = `{"i":"crafted-session-id-0000000000","d":{"__proto__":{"polluted":1},"save":"x","constructor":2,"views":4},"c":${now},"t":${now},"e":${now + 60_000}}`;
      const client = new Client(server.url);
      client.jar.set('crafted', seal(json, keys, { name: 'crafted', maxAge: 60 }));
      assert.equal(await client.text('/views'), '5');
      assert.equal(await client.text('/views'), '6');
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    });
  });
}

describe('cookieSession() options and manager', () => {
  const badOptions: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a store', { store: {} }, /takes no store; use session\(\)/],
    ['a short secret', { secret: 'keyboard cat' }, /at least 32 bytes/],
    ['a short old secret', { secret: [SECRET, 'short'] }, /secret\[1\] must be at least 32 bytes/],
    ['a maxSize under one cookie', { maxSize: 1000 }, /maxSize must be at least 4096 bytes/],
    ['a maxSize that is not a number', { maxSize: '8k' }, /maxSize must be a positive number of bytes/],
    ['notBefore without userKey', { notBefore: () => undefined }, /notBefore needs userKey/],
    ['a notBefore that is not a function', { userKey: 'u', notBefore: 5 }, /notBefore must be a function/],
    ['a bad cookie name', { name: 'bad name' }, /cookieSession option name must be a valid cookie name/],
  ];
  for (const [label, options, message] of badOptions) {
    it(`throws a TypeError at construction for ${label}`, () => {
      assert.throws(
        () => make({ secret: SECRET, ...options }),
        (err: Error) =>
          err instanceof TypeError && message.test(err.message) && !err.message.includes(SECRET),
      );
    });
  }

  it('warns about options it does not take, naming the one that was meant', () => {
    const warnings: string[] = [];
    const original = process.emitWarning;
    process.emitWarning = ((message: string) => {
      warnings.push(message);
    }) as typeof process.emitWarning;
    try {
      make({ secret: SECRET, storeTimeout: 100, maxSise: 9000 });
    } finally {
      process.emitWarning = original;
    }
    assert.deepEqual(warnings, [
      'coatcheck cookieSession(): unknown option "storeTimeout" is ignored',
      'coatcheck cookieSession(): unknown option "maxSise" (did you mean "maxSize"?) is ignored',
    ]);
  });

  it('offers handleOf, info and events, and no store methods', () => {
    const middleware: CookieSessionMiddleware = make({ secret: SECRET });
    assert.equal(typeof middleware.handleOf, 'function');
    assert.equal(typeof middleware.info, 'function');
    assert.equal(typeof middleware.on, 'function');
    for (const name of ['store', 'listByUser', 'revoke', 'revokeAll'])
      assert.equal(name in middleware, false, name);
    // @ts-expect-error: there is no store to list sessions from
    middleware.listByUser;
  });
});
