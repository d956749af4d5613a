/**
 * The session security checklist (issue 7, item 4): one test per item, each naming its source.
 *
 * Sources:
 * - OWASP SM CS: OWASP Session Management Cheat Sheet,
 *   https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html
 * - OWASP Logging CS: OWASP Logging Cheat Sheet, "Data to exclude",
 *   https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html
 * - ASVS: OWASP Application Security Verification Standard 5.0.0, chapter V7 (Session Management)
 *   and section V3.3 (Cookie Setup)
 * - RFC 6265bis: draft-ietf-httpbis-rfc6265bis (Cookies: HTTP State Management Mechanism)
 * - RFC 9111: HTTP Caching
 * - CVE-2024-47764: cookie name, path and domain accepted out-of-bounds characters (jshttp/cookie < 0.7.0)
 *
 * Every test but the ID generator's runs the real middleware on real Express over real HTTP, once on
 * each first-party store on its real database (MemoryStore, SQLite, Redis, PostgreSQL, MongoDB on
 * FerretDB, MariaDB): what the checklist promises must not depend on where the sessions are kept.
 * (The stores' own guarantees are the conformance suite's, run on every store in each store package.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import session, {
  generateSessionId,
  type SessionEventName,
  type SessionEvents,
  type SessionStore,
} from 'coatcheck';
import { sign, signingKeys } from 'coatcheck/cookies';
import { Client } from '../../packages/coatcheck/test/helpers/http.js';
import { assertKeptAlive } from '../../packages/coatcheck/test/helpers/idle.js';
import { idFromCookie, SECRET, type SessionApp, sessionApp } from '../helpers/session-app.js';
import { storeTargets } from '../helpers/stores.js';

const keys = signingKeys(SECRET);
// No prune timers: the brute-force test counts the sessions a store holds before and after.
const TARGETS = storeTargets('checklist', { pruneInterval: 0 });
// A second instance of each store, under other names, for the test that closes its store.
const SPARES = storeTargets('checklist_closed', { pruneInterval: 0 });
// Probed before any test is registered: the ID test below holds the event loop for seconds, which
// would time a probe made during it out.
const SKIPS = await Promise.all(TARGETS.map((target) => target.skip()));

/** A cookie header carrying `id` signed with the app's secret: what a server-issued cookie looks like. */
function signedCookie(id: string, name = 'connect.sid'): string {
  return `${name}=${encodeURIComponent(`s:${sign(id, keys)}`)}`;
}

/** Records every event a middleware emits. */
function recordEvents(middleware: SessionApp['middleware']) {
  const names: SessionEventName[] = [
    'created',
    'rotated',
    'destroyed',
    'expired',
    'revoked',
    'tampered',
    'unknown',
    'storeError',
  ];
  const seen: Array<{ event: SessionEventName; payload: SessionEvents[SessionEventName] }> = [];
  for (const event of names) middleware.on(event, (payload) => seen.push({ event, payload }));
  return seen;
}

function cookieLine(setCookies: string[], name = 'connect.sid'): string {
  const line = setCookies.find((value) => value.startsWith(`${name}=`));
  assert.ok(line, `a ${name} cookie is set`);
  return line;
}

describe('session security checklist: session IDs', () => {
  // ASVS 7.2.3 (unique, CSPRNG, ≥ 128 bits of entropy); OWASP SM CS "Session ID Entropy".
  it('session IDs: 10^6 generated IDs are unique, uniformly distributed, ≥ 128 bits (ASVS 7.2.3, OWASP SM CS)', () => {
    const N = 1_000_000;
    const started = performance.now();
    const ids = new Set<string>();
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const index = new Int16Array(128).fill(-1);
    for (let i = 0; i < ALPHABET.length; i++) index[ALPHABET.charCodeAt(i)] = i;
    const LENGTH = 32;
    const counts = new Float64Array(LENGTH * 64);
    for (let n = 0; n < N; n++) {
      const id = generateSessionId();
      assert.equal(id.length, LENGTH);
      for (let p = 0; p < LENGTH; p++) {
        const symbol = index[id.charCodeAt(p)] as number;
        assert.ok(symbol >= 0, `unexpected character in ${id}`);
        (counts[p * 64 + symbol] as number)++;
      }
      ids.add(id);
    }
    assert.equal(ids.size, N, 'no two IDs are equal');
    // Per position: chi-square against uniform over 64 symbols (63 degrees of freedom, mean 63,
    // sd 11.2); 160 is beyond p = 10^-12, so a healthy generator never trips it, a biased one does.
    const expected = N / 64;
    let bits = 0;
    for (let p = 0; p < LENGTH; p++) {
      let chi = 0;
      let entropy = 0;
      for (let s = 0; s < 64; s++) {
        const observed = counts[p * 64 + s] as number;
        chi += (observed - expected) ** 2 / expected;
        const q = observed / N;
        if (q > 0) entropy -= q * Math.log2(q);
      }
      assert.ok(chi < 160, `position ${p}: chi-square ${chi.toFixed(1)}`);
      bits += entropy;
    }
    assert.ok(bits >= 128, `estimated ${bits.toFixed(1)} bits per ID`);
    assert.ok(bits > 191, `a 192-bit ID measures ${bits.toFixed(2)} bits`);
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
  });
});

for (const [index, target] of TARGETS.entries()) {
  describe(`session security checklist on ${target.name}`, { skip: SKIPS[index] ?? false }, () => {
    let store: SessionStore;
    let release: (() => Promise<void>) | undefined;
    const opened: SessionApp[] = [];
    before(async () => {
      ({ store, release } = await target.open());
    });
    after(async () => {
      for (const server of opened) await server.close();
      await release?.();
    });

    /** The checklist's app on this store (or on `options.store`). */
    async function app(...args: Parameters<typeof sessionApp>): Promise<SessionApp> {
      const [options = {}, more] = args;
      const server = await sessionApp({ store, ...options }, more);
      opened.push(server);
      return server;
    }

    // ASVS 7.2.4 (new token on authentication, the current one terminated); OWASP SM CS "Renew the
    // Session ID After Any Privilege Level Change"; CWE-384 (session fixation).
    it('login renews the session ID and the old ID is rejected (ASVS 7.2.4, OWASP SM CS, CWE-384)', async () => {
      const server = await app();
      const events = recordEvents(server.middleware);
      const browser = new Client(server.url);
      await browser.fetch('/set/cart/3', { method: 'POST' });
      const before = browser.jar.get('connect.sid');
      const oldId = idFromCookie(before) as string;
      const login = await browser.fetch('/login/alice', { method: 'POST' });
      const newId = await login.text();
      assert.notEqual(newId, oldId);
      assert.equal(idFromCookie(browser.jar.get('connect.sid')), newId);
      assert.deepEqual(await (await browser.fetch('/read')).json(), { cart: '3', userId: 'alice' });
      // The old cookie, replayed (an attacker who fixed or saw it), opens nothing.
      const replay = new Client(server.url);
      const read = await replay.fetch('/read', { cookie: `connect.sid=${before}` });
      assert.deepEqual(await read.json(), {});
      assert.equal(await server.middleware.store.read(oldId), undefined);
      assert.ok(events.some((e) => e.event === 'rotated'));
    });

    // OWASP SM CS "Session Fixation" / strict session management: only IDs the server generated are
    // accepted; ASVS 7.2.1 (token verification in a trusted backend).
    it('IDs the server never issued are not adopted (OWASP SM CS strict session management, ASVS 7.2.1)', async () => {
      const server = await app();
      const events = recordEvents(server.middleware);
      const attackerId = 'attacker-chosen-session-id-0000000';
      // Unsigned, signed with another secret, and validly signed but unknown to the store.
      const cookies = [
        `connect.sid=${attackerId}`,
        `connect.sid=${encodeURIComponent(`s:${sign(attackerId, signingKeys('another secret, also at least 32 bytes long'))}`)}`,
        signedCookie(attackerId),
      ];
      for (const cookie of cookies) {
        const victim = new Client(server.url);
        const response = await victim.fetch('/set/role/admin', { method: 'POST', cookie });
        assert.equal(response.status, 200);
        const issued = idFromCookie(victim.jar.get('connect.sid'));
        assert.ok(issued, 'the server issues its own cookie');
        assert.notEqual(issued, attackerId, 'the attacker-chosen ID is not adopted');
        assert.equal(await server.middleware.store.read(attackerId), undefined);
      }
      assert.deepEqual(
        events.filter((e) => e.event === 'tampered').map((e) => (e.payload as { reason: string }).reason),
        ['malformed', 'signature'],
      );
      assert.equal(events.filter((e) => e.event === 'unknown').length, 1);
    });

    // OWASP SM CS "Session ID Exchange Mechanism" (cookies only; URL parameters leak through logs,
    // Referer and history); ASVS 4.0.3 3.1.1 (never reveal session tokens in URL parameters).
    it('session IDs are never read from the URL (OWASP SM CS, ASVS 4.0.3 3.1.1)', async () => {
      const server = await app();
      const victim = new Client(server.url);
      await victim.fetch('/login/victim', { method: 'POST' });
      const value = victim.jar.get('connect.sid') as string;
      const id = idFromCookie(value) as string;
      const attacker = new Client(server.url);
      for (const path of [
        `/read?connect.sid=${value}`,
        `/read?sessionID=${encodeURIComponent(id)}`,
        `/read;jsessionid=${encodeURIComponent(id)}`,
        `/read?sid=${encodeURIComponent(id)}`,
      ]) {
        const response = await attacker.fetch(path, { cookie: '' });
        if (response.status === 200) assert.deepEqual(await response.json(), {}, path);
        else assert.ok(response.status < 500, path);
        assert.equal(response.setCookies.length, 0, 'reading carries no new session');
      }
    });

    // ASVS 3.3.1 (Secure), 3.3.2 (SameSite), 3.3.4 (HttpOnly); OWASP SM CS "Cookies"; RFC 6265bis
    // §4.1.2; CVE-2024-47764 (attribute injection through name, path, domain).
    it('cookie attributes: HttpOnly, SameSite=Lax, Secure on HTTPS, host-only, no injection (ASVS 3.3, RFC 6265bis, CVE-2024-47764)', async () => {
      const server = await app({ proxy: true });
      const overHttps = new Client(server.url);
      const https = await overHttps.fetch('/set/a/1', {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https' },
      });
      const line = cookieLine(https.setCookies);
      assert.match(line, /; HttpOnly/);
      assert.match(line, /; SameSite=Lax/i);
      assert.match(line, /; Secure/);
      assert.match(line, /; Path=\//);
      assert.doesNotMatch(line, /; Domain=/i, 'host-only by default');
      assert.doesNotMatch(line, /; (Expires|Max-Age)=/i, 'a browser-session cookie unless maxAge is set');
      // Over plain HTTP ('auto'), Secure is left out so the cookie works in development.
      const overHttp = new Client(server.url);
      const http = await overHttp.fetch('/set/a/1', { method: 'POST' });
      assert.doesNotMatch(cookieLine(http.setCookies), /; Secure/);
      // Values that would inject attributes are refused when the middleware is built.
      for (const cookie of [{ path: '/; Domain=evil.example' }, { domain: 'example.com; HttpOnly=false' }]) {
        assert.throws(() => session({ secret: SECRET, cookie }), TypeError);
      }
      assert.throws(() => session({ secret: SECRET, name: 'sid; Path=/' }), TypeError);
    });

    // RFC 6265bis §4.1.3 (cookie name prefixes); ASVS 3.3.1 and 3.3.3 (__Host- / __Secure-).
    it('cookie prefixes: __Host- is Secure, Path=/ and host-only; never sent insecurely (RFC 6265bis §4.1.3, ASVS 3.3.1, 3.3.3)', async () => {
      const server = await app({ name: '__Host-sid', proxy: true, cookie: { secure: true } });
      const browser = new Client(server.url);
      const response = await browser.fetch('/set/a/1', {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https' },
      });
      const line = cookieLine(response.setCookies, '__Host-sid');
      assert.match(line, /; Secure/);
      assert.match(line, /; Path=\/(;|$)/);
      assert.doesNotMatch(line, /; Domain=/i);
      // Over plain HTTP a Secure cookie is not sent at all (a browser would drop it).
      const plain = await new Client(server.url).fetch('/set/a/1', { method: 'POST' });
      assert.equal(plain.setCookies.length, 0);
      // __Secure- carries Secure as well.
      const secureNamed = await app({ name: '__Secure-sid', proxy: true, cookie: { secure: true } });
      const secured = await new Client(secureNamed.url).fetch('/set/a/1', {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https' },
      });
      assert.match(cookieLine(secured.setCookies, '__Secure-sid'), /; Secure/);
      // secure: 'auto' (the default) with a prefixed name is never sent over plain HTTP either.
      const auto = await app({ name: '__Host-sid', proxy: true });
      assert.equal((await new Client(auto.url).fetch('/set/a/1', { method: 'POST' })).setCookies.length, 0);
      const autoHttps = await new Client(auto.url).fetch('/set/a/1', {
        method: 'POST',
        headers: { 'x-forwarded-proto': 'https' },
      });
      assert.match(cookieLine(autoHttps.setCookies, '__Host-sid'), /; Secure/);
      // What browsers would drop is refused at construction.
      for (const [name, cookie] of [
        ['__Host-sid', { domain: 'example.com' }],
        ['__Host-sid', { path: '/app' }],
        ['__Host-sid', { secure: false }],
        ['__Secure-sid', { secure: false }],
      ] as const) {
        assert.throws(
          () => session({ secret: SECRET, name, cookie }),
          TypeError,
          `${name} with ${JSON.stringify(cookie)}`,
        );
      }
    });

    // ASVS 7.3.1 (inactivity timeout); OWASP SM CS "Idle Timeout" (enforced on the server side).
    it('idle timeout: a session unused for longer ends on the server, even if the cookie is replayed (ASVS 7.3.1, OWASP SM CS)', async () => {
      const server = await app({ idleTimeout: 800, touchAfter: 0 });
      const cookie = await assertKeptAlive({ idleTimeout: 800, every: 250, count: 4 }, async () => {
        const browser = new Client(server.url);
        await browser.fetch('/set/a/1', { method: 'POST' });
        const check = async () =>
          assert.deepEqual(
            await (await browser.fetch('/read')).json(),
            { a: '1' },
            'activity keeps it alive',
          );
        return { state: `connect.sid=${browser.jar.get('connect.sid')}`, check };
      });
      await sleep(1000);
      assert.deepEqual(await (await new Client(server.url).fetch('/read', { cookie })).json(), {});
    });

    // ASVS 7.3.2 (absolute maximum session lifetime); OWASP SM CS "Absolute Timeout".
    it('absolute timeout: a busy session still ends, and rotation does not extend it (ASVS 7.3.2, OWASP SM CS)', async () => {
      const server = await app({ idleTimeout: 60_000, absoluteTimeout: 900, touchAfter: 0 });
      const events = recordEvents(server.middleware);
      const browser = new Client(server.url);
      // The session is created between these two instants. Reads stop 400 ms before the earliest
      // possible end, so a slow response on a loaded machine is not taken for the timeout; the last
      // read waits until the latest possible end has passed.
      const beforeCreate = Date.now();
      await browser.fetch('/set/a/1', { method: 'POST' });
      const afterCreate = Date.now();
      await sleep(300);
      await browser.fetch('/login/alice', { method: 'POST' });
      while (Date.now() - beforeCreate < 500) {
        assert.deepEqual(await (await browser.fetch('/read')).json(), { a: '1', userId: 'alice' });
        await sleep(50);
      }
      await sleep(Math.max(0, afterCreate + 1000 - Date.now()));
      assert.deepEqual(await (await browser.fetch('/read')).json(), {}, 'ended at the absolute timeout');
      assert.ok(
        events.some((e) => e.event === 'expired' && (e.payload as { reason: string }).reason === 'absolute'),
      );
    });

    // ASVS 7.4.1 (logout terminates the session; it cannot be resumed); OWASP SM CS "Manual Session
    // Expiration". Includes the race of express-session's last-write-wins saves: a slow request that
    // started before the logout must not bring the session back.
    it('logout invalidates on the server, and a slower request cannot undo it (ASVS 7.4.1, OWASP SM CS)', async () => {
      const server = await app();
      const browser = new Client(server.url);
      await browser.fetch('/login/alice', { method: 'POST' });
      const cookie = `connect.sid=${browser.jar.get('connect.sid')}`;
      const slow = browser.fetch('/slow-set/late/write', { method: 'POST', cookie });
      await sleep(30);
      const logout = await browser.fetch('/logout', { method: 'POST', cookie });
      assert.equal(logout.status, 200);
      assert.match(cookieLine(logout.setCookies), /Expires=Thu, 01 Jan 1970/, 'the cookie is cleared');
      await (await slow).text();
      const replay = await new Client(server.url).fetch('/read', { cookie });
      assert.deepEqual(await replay.json(), {}, 'the replayed cookie opens nothing');
      assert.equal(
        await server.middleware.store.read(idFromCookie(cookie.split('=')[1]) as string),
        undefined,
      );
    });

    // ASVS 7.4.3 (terminate all other sessions), 7.4.5 (terminate a user's sessions), 7.5.2 (view and
    // terminate active sessions); OWASP SM CS "Manual Session Expiration".
    it('log out everywhere: listByUser, revoke one, revokeAll except this one, revokeAll (ASVS 7.4.3, 7.4.5, 7.5.2)', async () => {
      // Users no other test signs in: the store is shared by the suite.
      const server = await app();
      const devices = [0, 1, 2, 3].map(() => new Client(server.url));
      for (const device of devices) await device.fetch('/login/grace', { method: 'POST' });
      const bob = new Client(server.url);
      await bob.fetch('/login/heidi', { method: 'POST' });
      const sessions = server.middleware;
      const listed = await sessions.listByUser('grace');
      assert.equal(listed.length, 4);
      const ids = await Promise.all(devices.map(async (d) => (await d.fetch('/id')).text()));
      // Revoke one device by its handle, as a "devices" page would.
      assert.equal(await sessions.revoke('grace', sessions.handleOf(ids[3] as string)), true);
      assert.deepEqual(await (await devices[3]?.fetch('/read'))?.json(), {});
      // Everywhere but here.
      assert.equal(await sessions.revokeAll('grace', { except: ids[0] }), 2);
      assert.deepEqual(await (await devices[0]?.fetch('/read'))?.json(), { userId: 'grace' });
      for (const device of devices.slice(1)) assert.deepEqual(await (await device.fetch('/read')).json(), {});
      // Everywhere.
      assert.equal(await sessions.revokeAll('grace'), 1);
      assert.deepEqual(await (await devices[0]?.fetch('/read'))?.json(), {});
      assert.deepEqual(
        await (await bob.fetch('/read')).json(),
        { userId: 'heidi' },
        "other users' sessions stay",
      );
    });

    // OWASP SM CS "Web Content Caching" (Cache-Control: no-store on responses carrying session IDs);
    // RFC 9111 §5.2.2.5 (no-store).
    it('Cache-Control: no-store on every response that sets or clears the session cookie (OWASP SM CS, RFC 9111)', async () => {
      const server = await app({ rolling: true });
      const browser = new Client(server.url);
      const responses = [
        await browser.fetch('/set/a/1', { method: 'POST' }),
        await browser.fetch('/read'),
        await browser.fetch('/login/alice', { method: 'POST' }),
        await browser.fetch('/logout', { method: 'POST' }),
      ];
      for (const response of responses) {
        assert.ok(response.setCookies.length > 0);
        assert.equal(response.headers.get('cache-control'), 'no-store');
      }
      const anonymous = await new Client(server.url).fetch('/id');
      assert.equal(anonymous.setCookies.length, 0);
      assert.equal(
        anonymous.headers.get('cache-control'),
        null,
        'responses without the cookie are left alone',
      );
    });

    // OWASP Logging CS "Data to exclude: session identification values (consider replacing with a
    // hashed value)"; OWASP SM CS "Session ID Name Fingerprinting"/logging guidance; ASVS 7.2.1.
    it('events and errors carry a keyed hash of the ID, never the ID (OWASP Logging CS, OWASP SM CS)', async () => {
      // This test closes its store: a spare instance of the same store, under names of its own.
      const spare = await (SPARES[index] as (typeof SPARES)[number]).open();
      const closing = spare.store;
      const server = await app({ store: closing, idleTimeout: 60_000 });
      // The expired event from a second app on the same store and secret, whose sessions live 1.5 s:
      // with one short-lived app for everything, a loaded machine once let the sessions about to be
      // revoked expire first, and revokeAll() then had nothing to revoke.
      const expiring = await app({ store: closing, absoluteTimeout: 1500 });
      const events = recordEvents(server.middleware);
      const expiringEvents = recordEvents(expiring.middleware);
      const ids = new Set<string>();
      const aging = new Client(expiring.url);
      await aging.fetch('/set/c/3', { method: 'POST' });
      const agingSince = Date.now();
      ids.add(await (await aging.fetch('/id')).text());
      const browser = new Client(server.url);
      await browser.fetch('/set/a/1', { method: 'POST' });
      ids.add(await (await browser.fetch('/id')).text());
      await browser.fetch('/login/alice', { method: 'POST' });
      ids.add(await (await browser.fetch('/id')).text());
      const other = new Client(server.url);
      await other.fetch('/login/alice', { method: 'POST' });
      ids.add(await (await other.fetch('/id')).text());
      assert.ok((await server.middleware.revokeAll('alice', { except: [...ids].at(-1) })) > 0);
      await sleep(Math.max(0, agingSince + 1600 - Date.now()));
      await aging.fetch('/read');
      await new Client(server.url).fetch('/read', {
        cookie: signedCookie('never-issued-id-value-000000000'),
      });
      ids.add('never-issued-id-value-000000000');
      await browser.fetch('/logout', { method: 'POST' });
      // A store failure: the error the app sees names the store and operation, not the session.
      const last = new Client(server.url);
      await last.fetch('/set/b/2', { method: 'POST' });
      ids.add(idFromCookie(last.jar.get('connect.sid')) as string);
      await closing.purge?.();
      await closing.close?.();
      const failed = await last.fetch('/read');
      assert.equal(failed.status, 503);
      await spare.release();

      events.push(...expiringEvents);
      const kinds = new Set(events.map((e) => e.event));
      for (const kind of ['created', 'rotated', 'revoked', 'expired', 'unknown', 'storeError'] as const) {
        assert.ok(kinds.has(kind), `saw a ${kind} event`);
      }
      const logged = JSON.stringify(
        events.map((e) =>
          e.event === 'storeError' ? String((e.payload as { error: Error }).error) : e.payload,
        ),
      );
      const errors = JSON.stringify([...server.errors, ...expiring.errors]);
      for (const id of ids) {
        assert.ok(!logged.includes(id), 'no event payload contains a session ID');
        assert.ok(!errors.includes(id), 'no error the app sees contains a session ID');
        const handle = server.middleware.handleOf(id);
        assert.notEqual(handle, id);
        assert.ok(handle.length >= 22, 'a handle carries ≥ 128 bits');
      }
      // Keyed: another secret gives other handles, so a handle cannot be recomputed from a guessed ID.
      const elsewhere = session({ secret: `${SECRET} but another one` });
      for (const id of ids) assert.notEqual(elsewhere.handleOf(id), server.middleware.handleOf(id));
      // The handles in events are the middleware's handleOf of real IDs.
      const created = events.find((e) => e.event === 'created')?.payload as { handle: string };
      assert.ok([...ids].some((id) => server.middleware.handleOf(id) === created.handle));
    });

    // OWASP SM CS "Detecting Session ID Guessing and Brute Force Attacks".
    it('bursts of invalid IDs are observable and store nothing (OWASP SM CS, brute-force detection)', async () => {
      const server = await app();
      const events = recordEvents(server.middleware);
      const attacker = new Client(server.url);
      const before = await server.middleware.store.count?.();
      const requests: Array<Promise<Response>> = [];
      for (let i = 0; i < 100; i++) {
        requests.push(
          attacker.fetch('/read', { cookie: `connect.sid=s:${generateSessionId()}.forgedsignature` }),
        );
        requests.push(attacker.fetch('/read', { cookie: `connect.sid=${generateSessionId()}` }));
        requests.push(attacker.fetch('/read', { cookie: signedCookie(generateSessionId()) }));
      }
      for (const response of await Promise.all(requests)) {
        assert.equal(response.status, 200);
        assert.deepEqual(await response.json(), {});
      }
      const count = (event: SessionEventName, reason?: string) =>
        events.filter(
          (e) =>
            e.event === event &&
            (reason === undefined || (e.payload as { reason?: string }).reason === reason),
        ).length;
      assert.equal(count('tampered', 'signature'), 100);
      assert.equal(count('tampered', 'malformed'), 100);
      assert.equal(count('unknown'), 100);
      assert.equal(
        new Set(events.filter((e) => e.event === 'unknown').map((e) => JSON.stringify(e.payload))).size,
        100,
      );
      assert.equal(await server.middleware.store.count?.(), before, 'probes store nothing');
    });
  });
}
