// What device binding costs a request of a bound session: reading the bound cookie and checking
// its HMAC (the whole of the per-request work: no store call, no signature check), next to the
// session cookie's own HMAC for scale, and the engine hook's admission as a request makes it.
// Run alone with:
//   node --conditions=coatcheck-source --import tsx packages/coatcheck/bench/device-bound.bench.ts
import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { findCookie } from '../src/cookies/parse.js';
import { sign, signingKeys, unsign } from '../src/cookies/sign.js';
import { BoundCookies } from '../src/device-bound/bound-cookie.js';
import { checkDeviceJwk, jwkThumbprint } from '../src/device-bound/jwk.js';
import { DeviceBound } from '../src/device-bound/middleware.js';
import { Cookie } from '../src/session/cookie.js';
import { SessionReporter } from '../src/session/events.js';
import { Session, type SessionState, STATE } from '../src/session/session.js';

const budget = Number(process.env.BENCH_MS ?? 500);

function nsPerOp(fn: () => unknown): number {
  let sink: unknown;
  for (let i = 0; i < 20_000; i++) sink = fn(); // warm-up
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    let runs = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      for (let i = 0; i < 500; i++) sink = fn();
      runs += 500;
      elapsed = performance.now() - start;
    } while (elapsed < budget / 3);
    best = Math.min(best, (elapsed * 1e6) / runs);
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return best;
}

const keys = signingKeys('a benchmark secret that is at least thirty-two bytes');
const sessionId = randomBytes(24).toString('base64url');
const jwkResult = checkDeviceJwk(
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
  'ES256',
);
if (!jwkResult.ok) throw new Error('key');
const thumbprint = jwkThumbprint(jwkResult.jwk);
const bound = new BoundCookies([createSecretKey(randomBytes(32))]);
const boundValue = bound.value(sessionId, thumbprint, Date.now() + 600_000);
const sessionCookie = `s:${sign(sessionId, keys)}`;
// A Cookie header as a site with analytics sends it: the two session cookies among others.
const header = `_ga=GA1.1.123456789.1700000000; theme=dark; connect.sid=${encodeURIComponent(sessionCookie)}; __Host-coatcheck-bound=${boundValue}; _gid=GA1.1.987654321.1700000000`;

const deviceBound = new DeviceBound(
  {},
  { keys, reporter: new SessionReporter(keys), userKey: 'userId', cookiePath: '/' },
);
const now = Date.now();
const storedBinding = {
  challenges: [],
  key: { id: 'x', alg: 'ES256', jwk: jwkResult.jwk, thumbprint, since: now, refreshed: now },
};

/** A loaded bound session, as the engine hands it to the hook. */
function loadedSession(): Session {
  const state = {
    id: sessionId,
    isNew: false,
    snapshot: new Map(),
    cookieSnapshot: '',
    created: now,
    touched: now,
    expires: now + 86_400_000,
    user: 'alice',
    destroyed: false,
    gone: false,
  } as unknown as SessionState;
  return new Session(new Cookie(), state, { userId: 'alice' });
}

const rows = [
  {
    case: 'session cookie: find + unsign (one HMAC), for scale',
    'ns/op': nsPerOp(() => unsign((findCookie(header, 'connect.sid') as string).slice(2), keys)),
  },
  {
    case: 'bound cookie: find + check (one HMAC)',
    'ns/op': nsPerOp(() =>
      bound.check(findCookie(header, '__Host-coatcheck-bound'), sessionId, thumbprint, Date.now()),
    ),
  },
];
const accepted = header.replace(
  boundValue,
  deviceBound.boundCookieValue(sessionId, thumbprint, now + 600_000),
);
const session = loadedSession();
const request = () =>
  ({ headers: { cookie: accepted }, method: 'GET', url: '/' }) as unknown as IncomingMessage;
session[STATE].binding = storedBinding;
if (!deviceBound.admits(request(), session, Date.now()))
  throw new Error('the benchmark request must be admitted');
rows.push({
  case: 'admission of a bound session (the engine hook: binding read, cookie found, one HMAC)',
  'ns/op': nsPerOp(() => {
    session[STATE].binding = storedBinding; // as the store hands it over on every request
    return deviceBound.admits(request(), session, Date.now());
  }),
});
rows.push({
  case: 'admission of an unbound session (the hook with deviceBound on)',
  'ns/op': nsPerOp(() => deviceBound.admits(request(), loadedSession(), Date.now())),
});

console.log(`device binding, per request (best of 3 rounds of ${Math.round(budget / 3)} ms per case)`);
console.table(rows.map((r) => ({ case: r.case, 'ns/op': Math.round(r['ns/op']) })));
