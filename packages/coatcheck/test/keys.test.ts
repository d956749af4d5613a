import assert from 'node:assert/strict';
import { createHmac, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import session, { cookieSession, cookies, csrf, MemoryStore, type SessionMiddleware } from 'coatcheck';
import { seal, sealingKeys, sign, signingKeys, unseal } from 'coatcheck/cookies';
import { createCsrfSecret, createCsrfToken, verifyCsrfToken } from 'coatcheck/csrf';
import { Challenges } from 'coatcheck/device-bound';
import { bindCsrfSecret } from '../src/csrf/token.js';
import {
  csrfContextSecret,
  deriveKey,
  deriveSealingKey,
  HandleKeys,
  hkdfExpand32,
  previous,
} from '../src/keys.js';
import { type AnyApp, Client, EXPRESS, listen, type TestServer } from './helpers/http.js';

const OLD = 'the secret in use before the rotation, 32+ bytes';
const NEW = 'the secret that replaces it, also 32 or more bytes';

/**
 * Made by coatcheck before keys.ts (commit e57681a), under this secret, for this session ID and
 * CSRF secret: an upgrade must keep accepting them.
 */
const BEFORE = {
  secret: 'the secret before the upgrade, 32+ bytes long',
  sessionId: 'upgrade-session-id-0123456789abcdef',
  /** `SessionReporter#handleOf(sessionId)`. */
  handle: 'iyg-7A1KbYIvA2QTiWwLoD',
  /**
   * `cart` as `res.setCookie('cart', { items: [42] }, { sealed: true })` seals it (`cookies()`'s
   * purpose, its `j:` JSON prefix), made with `seal()` to be good for a century.
   */
  sealed: 'cc1.4yVNtKE4.VzycW6SMYOdpB0E4V5Wf2eCPq1cHLVw9z1xPpxKDBjTY-1SeAXFxxtushQAOm1pmd0JDcAvi2gA',
  csrfSecret: 'q5pOaEi-dnFRkUcbwqb-NFNhK2WiVzkFMLEfC42RBCo',
  /** `createCsrfToken(bindCsrfSecret(csrfSecret, sessionId))`. */
  csrfToken: '9nFyxPmNefzRnMUZKEN4q-NF2CV-ialEHxtiXvGZyIKDTjuUISzNoNrx6JkEu9ZtW462EwPA4-7uHEYnaCfz7w',
};

describe('keys: derivations', () => {
  const [oldKey, newKey] = signingKeys([OLD, NEW]) as [KeyObject, KeyObject];

  it('gives each label a key of its own, none of them the raw secret cookies are signed with', () => {
    const keys = [
      deriveKey(oldKey, 'session handle'),
      deriveKey(oldKey, 'device-bound challenge'),
      deriveKey(oldKey, 'device-bound cookie'),
      deriveKey(newKey, 'session handle'),
    ].map((key) => key.export().toString('hex'));
    assert.equal(new Set([...keys, oldKey.export().toString('hex')]).size, 5);
    assert.equal(deriveKey(oldKey, 'session handle').export().length, 32);
    assert.equal(
      deriveKey(oldKey, 'session handle').export().toString('hex'),
      deriveKey(createSecretKey(Buffer.from(OLD)), 'session handle')
        .export()
        .toString('hex'),
      'deterministic: the same secret gives the same key in every process',
    );
  });

  it('keeps the sealing derivation: a cookie sealed before keys.ts still opens', () => {
    const keys = sealingKeys(BEFORE.secret, { purpose: 'cookie' });
    assert.equal(keys[0]?.id, deriveSealingKey(Buffer.from(BEFORE.secret), 'cookie').id);
    const opened = unseal(BEFORE.sealed, keys, { name: 'cart' });
    assert.equal(opened.valid, true);
    assert.equal(opened.value, 'j:{"items":[42]}');
    assert.equal(
      unseal(BEFORE.sealed, sealingKeys(BEFORE.secret, { purpose: 'session' }), { name: 'cart' }).valid,
      false,
    );
  });

  it('binds CSRF secrets with HKDF now, and the binding made before still verifies its tokens', () => {
    const bytes = Buffer.from(BEFORE.csrfSecret, 'base64url');
    assert.equal(
      bindCsrfSecret(BEFORE.csrfSecret, BEFORE.sessionId),
      csrfContextSecret(bytes, BEFORE.sessionId),
    );
    assert.notEqual(
      csrfContextSecret(bytes, BEFORE.sessionId),
      previous.csrfContextSecret(bytes, BEFORE.sessionId),
      'the derivation changed, so accepting the previous one is what keeps old tokens',
    );
    assert.equal(
      verifyCsrfToken(BEFORE.csrfToken, bindCsrfSecret(BEFORE.csrfSecret, BEFORE.sessionId)),
      false,
    );
    assert.equal(
      verifyCsrfToken(BEFORE.csrfToken, previous.csrfContextSecret(bytes, BEFORE.sessionId)),
      true,
    );
  });

  it('hkdfExpand32 is HKDF-Expand: with the extract step done by hand, it equals node:crypto hkdfSync', () => {
    const ikm = randomBytes(32);
    const salt = randomBytes(16);
    const prk = createHmac('sha256', salt).update(ikm).digest();
    const expected = Buffer.from(hkdfSync('sha256', ikm, salt, 'coatcheck csrf token:sid', 32));
    assert.deepEqual(hkdfExpand32(prk, 'coatcheck csrf token:sid'), expected);
  });

  it('HandleKeys: made under the first secret, matched under any listed one and the previous derivation', () => {
    const id = 'a-session-id';
    const before = new HandleKeys(signingKeys(OLD));
    const rotated = new HandleKeys(signingKeys([NEW, OLD]));
    const dropped = new HandleKeys(signingKeys(NEW));
    const oldHandle = before.of(id);
    assert.match(oldHandle, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(rotated.of(id), oldHandle, 'handles are made under the newest secret');
    assert.equal(rotated.of(id), dropped.of(id));
    assert.equal(rotated.matches(id, oldHandle), true);
    assert.equal(rotated.matches(id, rotated.of(id)), true);
    assert.equal(rotated.matches('another-id', oldHandle), false);
    assert.equal(dropped.matches(id, oldHandle), false, 'once the old secret is gone, so are its handles');
    const upgraded = new HandleKeys(signingKeys(BEFORE.secret));
    assert.notEqual(upgraded.of(BEFORE.sessionId), BEFORE.handle);
    assert.equal(upgraded.matches(BEFORE.sessionId, BEFORE.handle), true, 'a handle made before keys.ts');
    for (const junk of ['', 'x', 'é'.repeat(11), `${oldHandle}=`, 42 as unknown as string]) {
      assert.equal(rotated.matches(id, junk), false);
    }
  });

  it('Challenges: issued with the first key, checked with every listed one', () => {
    const oldMac = createSecretKey(randomBytes(32));
    const newMac = createSecretKey(randomBytes(32));
    const expires = Date.now() + 60_000;
    const issued = new Challenges(oldMac).issue('refresh', 'sid', expires);
    assert.equal(new Challenges([newMac, oldMac]).check(issued, 'refresh', 'sid', Date.now()), 'valid');
    assert.equal(new Challenges([newMac]).check(issued, 'refresh', 'sid', Date.now()), 'forged');
    assert.equal(new Challenges([newMac, oldMac]).check(issued, 'registration', 'sid', Date.now()), 'forged');
    assert.throws(() => new Challenges([]), TypeError);
  });

  it('previous.deviceBoundKey is the HMAC of the label, as device-bound keys were derived before', () => {
    const secret = createSecretKey(Buffer.from(OLD));
    const expected = createHmac('sha256', secret).update('coatcheck device-bound cookie').digest('hex');
    assert.equal(previous.deviceBoundKey(secret, 'cookie').export().toString('hex'), expected);
    assert.notEqual(deriveKey(secret, 'device-bound cookie').export().toString('hex'), expected);
  });
});

type Req = {
  session: Record<string, unknown> & { rotate(): Promise<void> };
  sessionID: string;
  params: Record<string, string>;
  csrfToken(): string;
  sealedCookies: Record<string, unknown>;
};

/** A server for one secret list over a shared store: log in, read, a CSRF-protected form, a sealed cookie. */
async function rotationApp(
  makeApp: () => AnyApp,
  secret: string | string[],
  store: MemoryStore,
): Promise<TestServer & { sessions: SessionMiddleware }> {
  const app = makeApp();
  const sessions = session({ secret, store, userKey: 'userId' });
  app.use(cookies(secret));
  app.use(sessions);
  app.use(csrf({ token: true }));
  app.post('/login/:user', async (req: Req, res: AnyApp) => {
    await req.session.rotate();
    req.session.userId = req.params.user;
    res.setCookie('cart', { items: [42] }, { sealed: true, httpOnly: true });
    res.json({ handle: sessions.handleOf(req.sessionID), token: req.csrfToken() });
  });
  app.get('/whoami', (req: Req, res: AnyApp) =>
    res.json({
      id: req.sessionID,
      userId: req.session.userId ?? null,
      handle: sessions.info(req as never)?.handle ?? null,
      cart: req.sealedCookies.cart ?? null,
    }),
  );
  app.get('/token', (req: Req, res: AnyApp) => res.send(req.csrfToken()));
  app.post('/form', (_req: Req, res: AnyApp) => res.send('accepted'));
  app.use((err: { code?: string; status?: number }, _req: unknown, res: AnyApp, _next: unknown) => {
    res.status(err.status ?? 500).json({ code: err.code ?? 'unknown' });
  });
  const server = await listen(app);
  return Object.assign(server, { sessions });
}

for (const [label, makeApp] of EXPRESS) {
  describe(`keys: rotating the session secrets over HTTP (${label})`, () => {
    const store = new MemoryStore();
    let old: Awaited<ReturnType<typeof rotationApp>>;
    let rotated: Awaited<ReturnType<typeof rotationApp>>;
    let dropped: Awaited<ReturnType<typeof rotationApp>>;
    const servers = () => [old, rotated, dropped];
    before(async () => {
      old = await rotationApp(makeApp, OLD, store);
      rotated = await rotationApp(makeApp, [NEW, OLD], store);
      dropped = await rotationApp(makeApp, NEW, store);
    });
    after(async () => {
      for (const server of servers()) await server.close();
    });

    /** Signs in on the server with the old secret; the client's cookies then go to the others. */
    async function signIn(user: string) {
      const client = new Client(old.url);
      const first = await client.text('/token');
      const response = await client.fetch(`/login/${user}`, {
        method: 'POST',
        headers: { origin: old.url, 'x-csrf-token': first },
      });
      assert.equal(response.status, 200);
      const login = (await response.json()) as { handle: string; token: string };
      const who = (await (await client.fetch('/whoami')).json()) as { id: string };
      return { client, ...login, id: who.id };
    }

    async function on(server: TestServer, client: Client, path: string, init: RequestInit = {}) {
      return fetch(server.url + path, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          cookie: client.cookieHeader(),
          origin: server.url,
        },
      });
    }

    it('the session, its sealed cookie and its CSRF token survive with [new, old]; the old handle identifies it', async () => {
      const { client, handle, token, id } = await signIn('ada');
      const who = (await (await on(rotated, client, '/whoami')).json()) as Record<string, unknown>;
      assert.equal(who.id, id, 'the same session');
      assert.equal(who.userId, 'ada');
      assert.deepEqual(who.cart, { items: [42] }, 'the sealed cookie opens');
      assert.notEqual(who.handle, handle, 'handles are now made under the new secret');
      assert.equal(rotated.sessions.isHandleOf(id, handle), true);
      assert.equal(rotated.sessions.isHandleOf(id, who.handle as string), true);
      assert.equal(
        (await rotated.sessions.listByUser('ada')).some((info) =>
          rotated.sessions.isHandleOf(id, info.handle),
        ),
        true,
      );
      const form = await on(rotated, client, '/form', { method: 'POST', headers: { 'x-csrf-token': token } });
      assert.equal(form.status, 200, 'a token handed out before the rotation still submits');
      const forged = await on(rotated, client, '/form', {
        method: 'POST',
        headers: { 'x-csrf-token': createCsrfToken(createCsrfSecret()) },
      });
      assert.equal(forged.status, 403);
    });

    it('[new, old] signs the session cookie again with the new secret, so dropping the old one later keeps the session', async () => {
      const { client, id } = await signIn('barbara');
      const response = await on(rotated, client, '/whoami');
      const renewed = response.headers
        .getSetCookie()
        .map((line) => line.split(';')[0] as string)
        .find((pair) => pair.startsWith('connect.sid='));
      assert.ok(renewed, 'the response re-signs the cookie');
      const who = (await (
        await fetch(`${dropped.url}/whoami`, { headers: { cookie: renewed } })
      ).json()) as Record<string, unknown>;
      assert.equal(who.id, id, 'the re-signed cookie verifies under the new secret alone');
      assert.equal(who.userId, 'barbara');
    });

    it('revoke() with the handle from before the rotation ends the session', async () => {
      const { client, handle, id } = await signIn('grace');
      assert.equal(await rotated.sessions.revoke('grace', handle), true);
      const who = (await (await on(rotated, client, '/whoami')).json()) as Record<string, unknown>;
      assert.notEqual(who.id, id);
      assert.equal(who.userId, null, 'signed out');
      assert.equal(await rotated.sessions.revoke('grace', handle), false, 'nothing left to revoke');
    });

    it('control: with the old secret dropped, the old cookie, handle and seal are refused', async () => {
      const { client, handle, id } = await signIn('linus');
      assert.equal(await dropped.sessions.revoke('linus', handle), false);
      const who = (await (await on(dropped, client, '/whoami')).json()) as Record<string, unknown>;
      assert.notEqual(who.id, id);
      assert.equal(who.userId, null);
      assert.equal(who.cart, false, 'the seal does not open');
      assert.equal(await rotated.sessions.revoke('linus', handle), true, 'while [new, old] still has it');
    });
  });

  describe(`keys: upgrading from the derivations before keys.ts, over HTTP (${label})`, () => {
    let server: Awaited<ReturnType<typeof rotationApp>>;
    const store = new MemoryStore();
    before(async () => {
      const now = Date.now();
      await store.write(BEFORE.sessionId, {
        data: { cookie: { originalMaxAge: null }, userId: 'ada', csrfSecret: BEFORE.csrfSecret },
        expires: now + 3_600_000,
        created: now,
        touched: now,
        user: 'ada',
      });
      server = await rotationApp(makeApp, BEFORE.secret, store);
    });
    after(() => server.close());

    it('a CSRF token and a sealed cookie made before still work, and the old handle revokes the session', async () => {
      const client = new Client(server.url);
      const sid = `s:${sign(BEFORE.sessionId, signingKeys(BEFORE.secret))}`;
      const cookie = `connect.sid=${encodeURIComponent(sid)}; cart=${BEFORE.sealed}`;
      const who = (await (await client.fetch('/whoami', { cookie })).json()) as Record<string, unknown>;
      assert.equal(who.id, BEFORE.sessionId, 'the signed cookie is the same format');
      assert.equal(who.userId, 'ada');
      assert.deepEqual(who.cart, { items: [42] }, 'a cookie sealed before opens');
      const form = await client.fetch('/form', {
        method: 'POST',
        cookie,
        headers: { origin: server.url, 'x-csrf-token': BEFORE.csrfToken },
      });
      assert.equal(form.status, 200);
      const wrongSession = await client.fetch('/form', {
        method: 'POST',
        headers: { origin: server.url, 'x-csrf-token': BEFORE.csrfToken },
      });
      assert.equal(wrongSession.status, 403, 'the old token is still bound to its session');
      assert.equal(server.sessions.isHandleOf(BEFORE.sessionId, BEFORE.handle), true);
      assert.equal(await server.sessions.revoke('ada', BEFORE.handle), true);
      assert.equal(await store.read(BEFORE.sessionId), undefined);
    });
  });

  describe(`keys: cookieSession() across a rotation, over HTTP (${label})`, () => {
    it('a sealed session made under the old secret opens under [new, old], and its handle still matches', async () => {
      const serve = async (secret: string | string[]) => {
        const app = makeApp();
        const sessions = cookieSession({ secret });
        app.use(sessions);
        app.post('/set', (req: Req, res: AnyApp) => {
          req.session.userId = 'ada';
          res.send(sessions.handleOf(req.sessionID));
        });
        app.get('/read', (req: Req, res: AnyApp) =>
          res.json({ id: req.sessionID, userId: req.session.userId ?? null }),
        );
        return Object.assign(await listen(app), { sessions });
      };
      const old = await serve(OLD);
      const rotated = await serve([NEW, OLD]);
      const dropped = await serve(NEW);
      try {
        const client = new Client(old.url);
        const handle = await client.text('/set', { method: 'POST' });
        const { id } = (await (await client.fetch('/read')).json()) as { id: string };
        const read = (path: string, server: TestServer) =>
          fetch(server.url + path, { headers: { cookie: client.cookieHeader() } }).then(
            (response) => response.json() as Promise<{ id: string; userId: string | null }>,
          );
        assert.deepEqual(await read('/read', rotated), { id, userId: 'ada' });
        assert.equal(rotated.sessions.isHandleOf(id, handle), true);
        assert.notEqual(rotated.sessions.handleOf(id), handle);
        assert.equal(
          (await read('/read', dropped)).userId,
          null,
          'control: without the old secret it does not open',
        );
      } finally {
        await Promise.all([old.close(), rotated.close(), dropped.close()]);
      }
    });
  });
}

describe('keys: sealing with a rotated list', () => {
  it('seals with the first secret, opens what the old one sealed, and says to renew it', () => {
    const value = seal('{"a":1}', sealingKeys(OLD), { name: 'c' });
    const result = unseal(value, sealingKeys([NEW, OLD]), { name: 'c' });
    assert.equal(result.valid, true);
    assert.equal(result.renew, true);
  });
});
