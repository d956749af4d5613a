// A server for fetch.bench.ts: `fetch-server.ts <kind>`, one Fetch API handler (Request →
// Response) served over node:http by the tests' bridge, with no session (`bare`), iron-session
// (`iron-session`, the session sealed in the cookie), or coatcheck/fetch's fetchCookieSessions()
// (`coatcheck-cookie`) or fetchSessions() on coatcheck's MemoryStore (`coatcheck`). The routes are
// those of every session benchmark: /login stores a session of realistic size, /read reads it,
// /write changes one key. Prints its URL.
import { fetchCookieSessions, fetchSessions } from 'coatcheck/fetch';
import { getIronSession } from 'iron-session';
import { serveFetch } from '../../../test/helpers/fetch-server.js';

const secret = 'a benchmark secret that is at least thirty-two bytes long';
const KINDS = ['bare', 'iron-session', 'coatcheck-cookie', 'coatcheck'];
const kind = process.argv[2] as string;
if (!KINDS.includes(kind)) throw new Error(`unknown kind ${kind}`);

type Data = { name?: string; visits?: number; cart?: unknown[] };

/** What each route does to the session; `true` when it changed it. */
function route(path: string, s: Data): { body: string; changed: boolean } {
  if (path === '/login') {
    s.name = 'Ada Lovelace';
    s.visits = 0;
    s.cart = Array.from({ length: 10 }, (_, n) => ({ sku: `sku-${n}`, qty: n }));
    return { body: 'ok', changed: true };
  }
  if (path === '/write') {
    s.visits = (s.visits ?? 0) + 1;
    return { body: String(s.visits), changed: true };
  }
  return { body: s.name ?? 'nobody', changed: false };
}

function cpu(): Response {
  const { user, system } = process.cpuUsage();
  return Response.json({ micros: user + system });
}

const pathOf = (request: Request) => new URL(request.url).pathname;
let handler: (request: Request) => Promise<Response>;
if (kind === 'iron-session') {
  handler = async (request) => {
    if (pathOf(request) === '/__cpu') return cpu();
    const headers = new Response();
    const s = await getIronSession<Data>(request, headers, { password: secret, cookieName: 'session' });
    const { body, changed } = route(pathOf(request), s);
    if (changed) await s.save();
    return new Response(body, { headers: headers.headers });
  };
} else if (kind === 'bare') {
  const bare: Data = {};
  handler = async (request) =>
    pathOf(request) === '/__cpu' ? cpu() : new Response(route(pathOf(request), bare).body);
} else {
  const sessions = kind === 'coatcheck' ? fetchSessions({ secret }) : fetchCookieSessions({ secret });
  const wrapped = sessions.wrap(
    async (request, context) => new Response(route(pathOf(request), context.session as Data).body),
  );
  handler = async (request) => (pathOf(request) === '/__cpu' ? cpu() : wrapped(request));
}
const server = await serveFetch(handler);
process.stdout.write(`${server.url}\n`);
process.once('SIGTERM', () => void server.close());
