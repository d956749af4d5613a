/**
 * Damaged stored records, through real HTTP: for each kind of damage a store's database can hold,
 * the suite writes it straight into the database (through the store author's `damage` hook, never
 * through the store), then requests with the cookie of the damaged session and checks what the
 * README promises: no 5xx, a fresh session, a `tampered` event with reason `'record'`, the damaged
 * record gone, and every other session untouched.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SessionRecordError } from '../errors.js';
import { session } from '../session/middleware.js';
import type { SessionStore } from '../stores/contract.js';

/**
 * The kinds of damage, each as a store's database would hold it:
 *
 * | kind             | what the record holds                                      |
 * | ---------------- | ---------------------------------------------------------- |
 * | `data-null`      | data that is JSON `null` (or otherwise no object)          |
 * | `data-not-json`  | data (or one key's value) that is not JSON at all          |
 * | `cookie-string`  | a `cookie` key that is a string, not express-session's object |
 * | `cookie-expires` | a cookie whose `expires` is no date (`"not a date"`)       |
 * | `expires`        | a record expiry that is no time (text, or missing)         |
 * | `created`        | a creation time that is missing or no time                 |
 */
export type RecordDamage =
  | 'data-null'
  | 'data-not-json'
  | 'cookie-string'
  | 'cookie-expires'
  | 'expires'
  | 'created';

/** Every {@link RecordDamage}, in the order the suite tries them. */
export const RECORD_DAMAGE: readonly RecordDamage[] = [
  'data-null',
  'data-not-json',
  'cookie-string',
  'cookie-expires',
  'expires',
  'created',
];

/**
 * Writes damage of `kind` into the stored session `id` (which exists, written by the store), in the
 * database itself. Resolves `false` when the database cannot hold that damage (a `jsonb` column
 * holds no text that is not JSON; a `BIGINT NOT NULL` column no missing time).
 */
export type DamageRecord<S extends SessionStore> = (
  store: S,
  id: string,
  kind: RecordDamage,
) => Promise<boolean>;

const SECRET = 'conformance secret of at least thirty-two bytes';
const COOKIE = 'sid';

type Handler = (req: Parameters<RequestListener>[0], res: Parameters<RequestListener>[1]) => void;

/** Express when it is installed (as it is wherever coatcheck is used as middleware), else node:http. */
async function serve(store: SessionStore, onTampered: (payload: unknown) => void): Promise<Server> {
  const sessions = session({
    secret: SECRET,
    store,
    name: COOKIE,
    userKey: 'user',
    resave: false,
    saveUninitialized: false,
  });
  sessions.on('tampered', onTampered);
  const route: Handler = (req, res) => {
    const request = req as typeof req & { session: Record<string, unknown>; sessionID: string };
    if (req.url === '/login') request.session.user = 'conformance';
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id: request.sessionID, user: request.session.user ?? null }));
  };
  let listener: RequestListener;
  try {
    const { default: express } = (await import('express')) as { default: () => import('express').Express };
    const app = express();
    app.use(sessions as never);
    app.get(/.*/, route as never);
    listener = app as unknown as RequestListener;
  } catch {
    listener = (req, res) =>
      (sessions as unknown as (q: typeof req, s: typeof res, next: (err?: unknown) => void) => void)(
        req,
        res,
        (err) => {
          if (err) {
            res.statusCode = 500;
            res.end();
          } else route(req, res);
        },
      );
  }
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

interface Answer {
  status: number;
  cookie: string | undefined;
  body: { id: string; user: string | null } | undefined;
}

async function get(server: Server, path: string, cookie?: string): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: cookie === undefined ? {} : { cookie },
  });
  const text = await response.text();
  const set = response.headers.getSetCookie().find((line) => line.startsWith(`${COOKIE}=`));
  let body: Answer['body'];
  try {
    body = JSON.parse(text) as Answer['body'];
  } catch {
    body = undefined;
  }
  return { status: response.status, cookie: set?.split(';')[0], body };
}

async function login(server: Server): Promise<{ id: string; cookie: string }> {
  const answer = await get(server, '/login');
  assert.equal(answer.status, 200, 'logging in answers 200');
  assert.ok(answer.cookie && answer.body, 'logging in sets a session cookie');
  return { id: answer.body.id, cookie: answer.cookie };
}

/** Options of {@link checkDamagedRecords}. */
export interface DamagedRecordOptions {
  /**
   * Also check that `entries()` and `listByUser()` leave damaged records out. Default `true`; turn
   * it off for a connect store whose own `all()` fails on a record it cannot parse (connect-redis).
   */
  listings?: boolean;
}

/**
 * Runs every kind of damage `damage` can write against `store`, through a real HTTP server running
 * coatcheck's `session()`. Fails when no kind could be written (a hook that writes nothing proves
 * nothing).
 */
export async function checkDamagedRecords<S extends SessionStore>(
  store: S,
  damage: DamageRecord<S>,
  options: DamagedRecordOptions = {},
): Promise<void> {
  const listings = options.listings ?? true;
  const tampered: unknown[] = [];
  const server = await serve(store, (payload) => tampered.push(payload));
  let tried = 0;
  try {
    for (const kind of RECORD_DAMAGE) {
      const victim = await login(server);
      const listed = await login(server);
      const bystander = await login(server);
      if (!(await damage(store, victim.id, kind))) continue;
      assert.ok(await damage(store, listed.id, kind), `the hook wrote ${kind} once, then not again`);
      tried++;
      const label = `${store.name}, ${kind}`;

      await assert.rejects(
        store.read(victim.id),
        (err: unknown) => err instanceof SessionRecordError && err.code === 'ERR_SESSION_RECORD',
        `${label}: read() rejects with SessionRecordError`,
      );

      tampered.length = 0;
      const answer = await get(server, '/', victim.cookie);
      assert.equal(answer.status, 200, `${label}: the request answers 200, not ${answer.status}`);
      assert.ok(answer.body, `${label}: the route ran`);
      assert.notEqual(answer.body.id, victim.id, `${label}: the request got a fresh session`);
      assert.equal(answer.body.user, null, `${label}: the fresh session carries nothing of the damaged one`);
      assert.equal(tampered.length, 1, `${label}: one tampered event`);
      assert.equal((tampered[0] as { reason?: unknown }).reason, 'record', `${label}: reason 'record'`);
      assert.equal(await store.read(victim.id), undefined, `${label}: the damaged record is gone`);

      const again = await get(server, '/', victim.cookie);
      assert.equal(again.status, 200, `${label}: the same cookie again answers 200`);
      assert.equal(tampered.length, 1, `${label}: and is not reported again (the record is gone)`);

      const other = await get(server, '/', bystander.cookie);
      assert.equal(other.body?.id, bystander.id, `${label}: another session is untouched`);
      assert.equal(other.body?.user, 'conformance', `${label}: and keeps its data`);

      // Listings leave a damaged record out rather than fail for it (a store may also prune it).
      if (listings && store.entries) {
        const ids = (await store.entries()).map(([id]) => id);
        assert.ok(!ids.includes(listed.id), `${label}: entries() leaves the damaged record out`);
        assert.ok(ids.includes(bystander.id), `${label}: entries() still lists the others`);
      }
      if (listings && store.listByUser) {
        const mine = (await store.listByUser('conformance')).map(([id]) => id);
        assert.ok(!mine.includes(listed.id), `${label}: listByUser() leaves the damaged record out`);
        assert.ok(mine.includes(bystander.id), `${label}: listByUser() still lists the others`);
      }
      await store.remove(listed.id);
      await store.remove(bystander.id);
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  assert.ok(tried > 0, 'the damage hook wrote no kind of damage');
}
