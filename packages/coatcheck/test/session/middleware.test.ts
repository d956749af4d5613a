// Behaviour that holds for every session middleware is in behaviour.ts (run by session-behaviour.test.ts);
// these tests check what only a store-backed session() does: the express-session cookie format and the store's state.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { MemoryStore } from 'coatcheck';
import { idFromCookie, SECRET, sessionApp } from '../helpers/app.js';
import { Client, EXPRESS } from '../helpers/http.js';

function signed(id: string, secret = SECRET): string {
  const mac = createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '');
  return encodeURIComponent(`s:${id}.${mac}`);
}

for (const [framework, makeApp] of EXPRESS) {
  describe(`session() on ${framework}`, () => {
    const servers: Array<{ close(): Promise<void> }> = [];
    after(() => Promise.all(servers.map((s) => s.close())));
    async function app(...args: Parameters<typeof sessionApp> extends [unknown, ...infer R] ? R : never) {
      const server = await sessionApp(makeApp, ...args);
      servers.push(server);
      return server;
    }

    it('keeps data across requests with the express-session cookie format and safe attributes', async () => {
      const server = await app();
      const client = new Client(server.url);
      const first = await client.fetch('/views');
      assert.equal(await first.text(), '1');
      assert.equal(first.setCookies.length, 1);
      assert.match(
        first.setCookies[0] as string,
        /^connect\.sid=s%3A[A-Za-z0-9_-]{32}\.[A-Za-z0-9%]{43,}; Path=\/; HttpOnly; SameSite=Lax$/,
      );
      assert.equal(first.headers.get('cache-control'), 'no-store');
      assert.equal(await client.text('/views'), '2');
      assert.equal(await client.text('/views'), '3');
    });

    it('stores nothing and sets no cookie for a session nobody wrote to (saveUninitialized: false)', async () => {
      const store = new MemoryStore();
      const server = await app({ store });
      const response = await new Client(server.url).fetch('/nothing');
      assert.deepEqual(response.setCookies, []);
      assert.equal(await store.count(), 0);
    });

    it('stores untouched sessions with saveUninitialized: true', async () => {
      const store = new MemoryStore();
      const server = await app({ store, saveUninitialized: true });
      const response = await new Client(server.url).fetch('/nothing');
      assert.equal(response.setCookies.length, 1);
      assert.equal(await store.count(), 1);
    });

    it('accepts a cookie signed with an older secret and re-signs it with the newest', async () => {
      const store = new MemoryStore();
      const old = await app({ store, secret: 'the old secret, thirty-two bytes or more' });
      const client = new Client(old.url);
      await client.fetch('/views');
      const oldCookie = client.jar.get('connect.sid');
      const rotated = await app({
        store,
        secret: ['the new secret, thirty-two bytes or more', 'the old secret, thirty-two bytes or more'],
      });
      const next = new Client(rotated.url);
      next.jar.set('connect.sid', oldCookie as string);
      const response = await next.fetch('/read');
      assert.deepEqual(await response.json(), { views: 1 });
      assert.equal(response.setCookies.length, 1, 're-signed on the same response');
      assert.equal(idFromCookie(next.jar.get('connect.sid')), idFromCookie(oldCookie));
      assert.notEqual(next.jar.get('connect.sid'), oldCookie);
      assert.equal(
        next.jar.get('connect.sid'),
        signed(idFromCookie(oldCookie) as string, 'the new secret, thirty-two bytes or more'),
      );
    });

    const badCookies: Array<[string, (good: string) => string]> = [
      ['a tampered signature', (good) => `connect.sid=${good.slice(0, -3)}abc`],
      ['a tampered ID', (good) => `connect.sid=${good.replace('s%3A', 's%3AX')}`],
      ['an unsigned value', (good) => `connect.sid=${encodeURIComponent(idFromCookie(good) as string)}`],
      ['a malformed percent-encoding', () => 'connect.sid=s%3A%E0%A4%A'],
      ['garbage bytes', () => 'connect.sid=s:"\\";;==;,,\u00ff'],
      ['an empty value', () => 'connect.sid='],
      ['an oversized value', () => `connect.sid=s%3A${'a'.repeat(8000)}.sig`],
      [
        'a valid signature on an ID never issued',
        () => `connect.sid=${signed('never-issued-by-this-server-000000')}`,
      ],
    ];
    for (const [label, makeCookie] of badCookies) {
      it(`treats ${label} as no session: fresh ID, no error`, async () => {
        const server = await app();
        const client = new Client(server.url);
        await client.fetch('/views');
        await client.fetch('/views');
        const good = client.jar.get('connect.sid') as string;
        const response = await client.fetch('/views', { cookie: makeCookie(good) });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), '1');
        const issued = idFromCookie(client.jar.get('connect.sid'));
        assert.notEqual(issued, idFromCookie(good));
        assert.notEqual(issued, 'never-issued-by-this-server-000000');
      });
    }

    it('regenerate() gives a new, empty session and deletes the old one', async () => {
      const store = new MemoryStore();
      const server = await app({ store }, (a) =>
        a.post(
          '/regenerate',
          async (
            req: { session: { regenerate(): Promise<void>; fresh?: boolean } },
            res: { send(b: string): void },
          ) => {
            await req.session.regenerate();
            req.session.fresh = true;
            res.send('ok');
          },
        ),
      );
      const client = new Client(server.url);
      await client.fetch('/views');
      const before = idFromCookie(client.jar.get('connect.sid')) as string;
      await client.fetch('/regenerate', { method: 'POST' });
      const afterId = idFromCookie(client.jar.get('connect.sid')) as string;
      assert.notEqual(afterId, before);
      assert.equal(await store.read(before), undefined);
      assert.deepEqual(await (await client.fetch('/read')).json(), { fresh: true });
    });

    // Found by the cross-process logout race (test/reliability/logout-races.test.ts): the session's
    // bookkeeping was an enumerable symbol property, which Object.assign and spread copy, so
    // assigning a copy taken before regenerate() put the old, moved session back in place and the
    // data went nowhere.
    const copies: Array<[string, (session: Record<string, unknown>) => Record<string, unknown>]> = [
      ['Object.assign({}, req.session)', (session) => Object.assign({}, session)],
      ['{ ...req.session }', (session) => ({ ...session })],
      ['const { cookie, ...rest } = req.session', ({ cookie: _cookie, ...rest }) => rest],
    ];
    for (const [label, copy] of copies) {
      it(`regenerate() then Object.assign of a copy made by ${label} keeps the new ID and saves the data`, async () => {
        const store = new MemoryStore();
        const server = await app({ store }, (a) =>
          a.post(
            '/relogin',
            async (
              req: { session: Record<string, unknown> & { regenerate(): Promise<void> } },
              res: { send(b: string): void },
            ) => {
              const previous = copy(req.session);
              delete previous.cookie;
              await req.session.regenerate();
              Object.assign(req.session, previous, { relogged: true });
              res.send('ok');
            },
          ),
        );
        const client = new Client(server.url);
        await client.fetch('/set/cart/apples', { method: 'POST' });
        const before = idFromCookie(client.jar.get('connect.sid')) as string;
        assert.equal((await client.fetch('/relogin', { method: 'POST' })).status, 200);
        const after = idFromCookie(client.jar.get('connect.sid')) as string;
        assert.notEqual(after, before);
        assert.deepEqual(await (await client.fetch('/read')).json(), { cart: 'apples', relogged: true });
        assert.equal(await store.read(before), undefined, 'the old ID is dead');
      });
    }

    it('rotate() keeps the data under a new ID and the old ID is dead at once', async () => {
      const store = new MemoryStore();
      const server = await app({ store, userKey: 'userId' });
      const client = new Client(server.url);
      await client.fetch('/set/cart/apples', { method: 'POST' });
      const oldCookie = client.jar.get('connect.sid') as string;
      const newId = await client.text('/login/ada', { method: 'POST' });
      assert.notEqual(newId, idFromCookie(oldCookie));
      assert.equal(idFromCookie(client.jar.get('connect.sid')), newId);
      assert.deepEqual(await (await client.fetch('/read')).json(), { cart: 'apples', userId: 'ada' });
      assert.equal(await store.read(idFromCookie(oldCookie) as string), undefined);
      const attacker = new Client(server.url);
      attacker.jar.set('connect.sid', oldCookie);
      assert.deepEqual(await (await attacker.fetch('/read')).json(), {}, 'the old cookie opens nothing');
      assert.deepEqual(
        (await store.listByUser('ada')).map(([id]) => id),
        [newId],
      );
    });

    it('destroy() deletes the session on the server, unsets req.session and clears the cookie', async () => {
      const store = new MemoryStore();
      const server = await app({ store });
      const client = new Client(server.url);
      await client.fetch('/views');
      const id = idFromCookie(client.jar.get('connect.sid')) as string;
      const response = await client.fetch('/logout', { method: 'POST' });
      assert.equal(await response.text(), 'undefined');
      assert.match(
        response.setCookies[0] as string,
        /^connect\.sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/,
      );
      assert.equal(await store.read(id), undefined);
      assert.equal(await store.count(), 0);
    });

    it('reload() picks up what another request wrote meanwhile', async () => {
      const server = await app({}, (a) =>
        a.get(
          '/reload-after/:ms',
          async (
            req: { params: { ms: string }; session: Record<string, unknown> & { reload(): Promise<void> } },
            res: { json(b: unknown): void },
          ) => {
            const before = req.session.other;
            await new Promise((r) => setTimeout(r, Number(req.params.ms)));
            await req.session.reload();
            res.json({ before: before ?? null, after: req.session.other ?? null });
          },
        ),
      );
      const client = new Client(server.url);
      await client.fetch('/views');
      const reloading = client.fetch('/reload-after/200');
      await new Promise((r) => setTimeout(r, 50));
      await client.fetch('/set/other/value', { method: 'POST' });
      assert.deepEqual(await (await reloading).json(), { before: null, after: 'value' });
    });

    it('save() writes before the response, with a callback or a promise', async () => {
      const store = new MemoryStore();
      const server = await app({ store }, (a) => {
        a.post(
          '/save-callback',
          (
            req: {
              session: Record<string, unknown> & { save(cb: (err?: unknown) => void): void };
              sessionID: string;
            },
            res: { send(b: string): void },
          ) => {
            req.session.saved = 'callback';
            req.session.save(async (err) => {
              const record = await store.read(req.sessionID);
              res.send(String(!err && record?.data.saved === 'callback'));
            });
          },
        );
        a.post(
          '/save-promise',
          async (
            req: { session: Record<string, unknown> & { save(): Promise<void> }; sessionID: string },
            res: { send(b: string): void },
          ) => {
            req.session.saved = 'promise';
            await req.session.save();
            res.send(String((await store.read(req.sessionID))?.data.saved === 'promise'));
          },
        );
      });
      const client = new Client(server.url);
      assert.equal(await client.text('/save-callback', { method: 'POST' }), 'true');
      assert.equal(await client.text('/save-promise', { method: 'POST' }), 'true');
    });

    it('genid makes the IDs', async () => {
      let n = 0;
      const server = await app({ genid: () => `custom-${++n}-${'x'.repeat(24)}` });
      const client = new Client(server.url);
      await client.fetch('/views');
      assert.equal(idFromCookie(client.jar.get('connect.sid')), `custom-1-${'x'.repeat(24)}`);
    });

    it('unset: "destroy" deletes the session when req.session is set to null', async () => {
      const store = new MemoryStore();
      const nulling = (a: { post: Function }) =>
        a.post('/null', (req: { session: unknown }, res: { send(b: string): void }) => {
          req.session = null;
          res.send('ok');
        });
      const destroying = await app({ store, unset: 'destroy' }, nulling);
      const client = new Client(destroying.url);
      await client.fetch('/views');
      await client.fetch('/null', { method: 'POST' });
      assert.equal(await store.count(), 0);

      const keepStore = new MemoryStore();
      const keeping = await app({ store: keepStore }, nulling);
      const keeper = new Client(keeping.url);
      await keeper.fetch('/views');
      await keeper.fetch('/null', { method: 'POST' });
      assert.equal(await keepStore.count(), 1);
    });

    it('a session key named like a method or __proto__ neither breaks the session nor pollutes prototypes', async () => {
      const store = new MemoryStore();
      const server = await app({ store }, (a) =>
        a.get(
          '/methods',
          (req: { session: { save: unknown; constructor: unknown } }, res: { send(b: string): void }) =>
            res.send(`${typeof req.session.save} ${typeof req.session.constructor}`),
        ),
      );
      const client = new Client(server.url);
      await client.fetch('/views');
      const id = idFromCookie(client.jar.get('connect.sid')) as string;
      const record = await store.read(id);
      assert.ok(record);
      Object.assign(
        record.data,
        JSON.parse('{"__proto__": {"polluted": 1}, "save": "x", "regenerate": 1, "constructor": 2}'),
      );
      await store.write(id, record);
      assert.equal(await client.text('/methods'), 'function function');
      assert.equal(await client.text('/views'), '2');
      assert.equal(({} as { polluted?: unknown }).polluted, undefined);
    });
  });
}
