import { type JwtMiddleware, jwt, type RefreshTokens, signToken, UnauthorizedError } from '@coatcheck/jwt';
import express, { type ErrorRequestHandler, type Request, type Response, Router } from 'express';
import { cartLines } from '../catalog.js';
import { type DemoSessions, isStoreBacked } from '../sessions.js';
import type { UserDirectory } from '../users.js';

export const ISSUER = 'coatcheck-demo';
export const AUDIENCE = 'coatcheck-demo-api';

export interface ApiOptions {
  users: UserDirectory;
  refresh: RefreshTokens;
  sessions: DemoSessions;
  privateKey: string;
  publicKey: string;
  /** Access token lifetime in seconds. */
  accessTokenTtl: number;
}

function problem(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}

/**
 * The JSON API: the same users as the pages, signed in with bearer tokens instead of a cookie.
 * `POST /api/token` trades a username and password for a short-lived access token (EdDSA) and a
 * refresh token; `POST /api/refresh` trades a refresh token for new ones (each works once);
 * `GET /api/me` and `GET /api/cart` need the access token.
 */
export function apiRoutes(options: ApiOptions): Router {
  const { users, refresh, sessions, privateKey, publicKey, accessTokenTtl } = options;
  const auth: JwtMiddleware = jwt({
    secret: publicKey,
    algorithms: ['EdDSA'],
    issuer: ISSUER,
    audience: AUDIENCE,
    realm: 'coatcheck-demo',
  });
  const router = Router();
  // GET /api itself is the HTML guide, served with the pages (it needs the session for its layout).
  router.get('/', (_req, _res, next) => next('router'));
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(express.json({ limit: '4kb' }));

  async function tokens(subject: string, refreshToken: string, refreshExpires: number) {
    const accessToken = await signToken(
      {},
      {
        key: privateKey,
        algorithm: 'EdDSA',
        subject,
        issuer: ISSUER,
        audience: AUDIENCE,
        expiresIn: accessTokenTtl,
      },
    );
    return {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: accessTokenTtl,
      refresh_token: refreshToken,
      refresh_expires_at: new Date(refreshExpires).toISOString(),
    };
  }

  router.post('/token', async (req, res) => {
    const { username, password } = (req.body ?? {}) as Record<string, unknown>;
    const user =
      typeof username === 'string' && typeof password === 'string'
        ? await users.authenticate(username, password)
        : undefined;
    if (!user) {
      problem(res, 401, 'invalid_grant', 'That username and password do not match an account.');
      return;
    }
    const issued = await refresh.issue(user.id);
    res.json(await tokens(user.id, issued.token, issued.expires));
  });

  router.post('/refresh', async (req, res) => {
    const token = (req.body as { refresh_token?: unknown } | undefined)?.refresh_token;
    if (typeof token !== 'string') {
      problem(res, 400, 'invalid_request', 'Send {"refresh_token": "…"}.');
      return;
    }
    const issued = await refresh.rotate(token);
    if (!users.find(issued.subject)) {
      await refresh.revokeFamily(issued.family);
      problem(res, 401, 'invalid_grant', 'The account no longer exists.');
      return;
    }
    res.json(await tokens(issued.subject, issued.token, issued.expires));
  });

  router.post('/logout', async (req, res) => {
    const token = (req.body as { refresh_token?: unknown } | undefined)?.refresh_token;
    if (typeof token === 'string') await refresh.revoke(token);
    res.status(204).end();
  });

  function userOf(req: Request) {
    const subject = auth.payload(req)?.sub;
    const user = subject === undefined ? undefined : users.find(subject);
    if (!user) throw new UnauthorizedError('invalid_token', { message: 'The account no longer exists.' });
    return user;
  }

  router.get('/me', auth, (req, res) => {
    const user = userOf(req);
    res.json({ id: user.id, username: user.username, created: user.created.toISOString() });
  });

  // A token holds no cart: the cart lives in the browser session, which the API finds through the
  // session store's user index (the user's most recently seen session).
  router.get('/cart', auth, async (req, res) => {
    const user = userOf(req);
    if (!isStoreBacked(sessions)) {
      // Cookie sessions live in the browser: the server has no copy of any cart to read.
      res.json({ items: [], count: 0, total: 0, currency: 'EUR', cents: true, available: false });
      return;
    }
    const latest = (await sessions.listByUser(user.id)).sort(
      (a, b) => b.lastSeen.getTime() - a.lastSeen.getTime(),
    )[0];
    const { lines, count, total } = cartLines(latest?.data.cart as Record<string, number> | undefined);
    res.json({
      items: lines.map((l) => ({
        id: l.product.id,
        name: l.product.name,
        quantity: l.quantity,
        subtotal: l.subtotal,
      })),
      count,
      total,
      currency: 'EUR',
      cents: true,
      available: true,
    });
  });

  router.use((_req, res) => problem(res, 404, 'not_found', 'No such API endpoint.'));

  const errors: ErrorRequestHandler = (err, _req, res, next) => {
    if (res.headersSent) return next(err);
    if (err instanceof UnauthorizedError) return problem(res, 401, err.code, err.message);
    const status = Number((err as { status?: unknown }).status);
    // Body-parser's 4xx errors (bad JSON, too large, wrong charset) have messages meant for clients.
    if (status >= 400 && status < 500) return problem(res, status, 'invalid_request', String(err.message));
    console.error(err);
    problem(res, 500, 'server_error', 'Something went wrong on our side.');
  };
  router.use(errors);
  return router;
}
