import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreError } from '../errors.js';
import type { ConnectStore } from '../stores/connect.js';
import type { SessionStore } from '../stores/contract.js';
import { resolveOptions, type SessionOptions } from './options.js';
import { RequestSession, type SessionRequest } from './request.js';

/** Connect-style middleware; works with Express 4, Express 5 and plain `node:http`. */
export interface SessionMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
  /** The store in use, adapted to coatcheck's contract. */
  readonly store: SessionStore;
}

type EndArguments = Parameters<ServerResponse['end']>;

function pathOf(req: SessionRequest): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Session middleware, a drop-in for express-session: same options, same `req.session`, same
 * cookie, with safe defaults, promises, lossless concurrent saves and server-side timeouts.
 *
 * @example
 * ```ts
 * import express from 'express';
 * import session from 'coatcheck';
 *
 * const app = express();
 * app.use(session({ secret: process.env.SESSION_SECRET! }));
 * app.get('/', (req, res) => {
 *   req.session.views = (req.session.views ?? 0) + 1;
 *   res.send(`${req.session.views} views`);
 * });
 * ```
 */
export function session(options: SessionOptions): SessionMiddleware {
  const resolved = resolveOptions(options);
  const store = resolved.store;
  const emitter = resolved.originalStore as Partial<Pick<ConnectStore, 'on'>>;
  // express-session stores announce outages; while one is out, fail fast instead of waiting out a timeout.
  let storeReady = true;
  if (typeof emitter.on === 'function') {
    emitter.on.call(resolved.originalStore, 'disconnect', () => {
      storeReady = false;
    });
    emitter.on.call(resolved.originalStore, 'connect', () => {
      storeReady = true;
    });
  }
  const cookiePath = typeof resolved.cookie === 'object' ? (resolved.cookie.path ?? '/') : undefined;

  const middleware = (req: SessionRequest, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (req.session) {
      next();
      return;
    }
    if (cookiePath !== undefined && !pathOf(req).startsWith(cookiePath)) {
      next();
      return;
    }
    if (!storeReady) {
      next(new StoreError(store.name, 'connect', { message: `${store.name} store is disconnected` }));
      return;
    }
    req.sessionStore = resolved.originalStore;
    let context: RequestSession;
    try {
      context = new RequestSession(resolved, req, res);
    } catch (err) {
      next(err);
      return;
    }
    hookResponse(res, context, next);
    context.load().then(
      () => next(),
      (err: unknown) => next(err),
    );
  };
  return Object.assign(middleware as SessionMiddleware, { store });
}

function hookResponse(res: ServerResponse, context: RequestSession, next: (err?: unknown) => void): void {
  const writeHead = res.writeHead;
  const end = res.end;
  let ending = false;

  res.writeHead = function writeHeadWithSession(
    this: ServerResponse,
    ...args: Parameters<ServerResponse['writeHead']>
  ) {
    if (!res.headersSent) {
      try {
        context.beforeHeaders();
      } catch {
        // A session that cannot be serialized fails in commit(), where the error can still be reported.
      }
    }
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];

  res.end = function endWithSession(this: ServerResponse, ...args: EndArguments) {
    if (ending) return this;
    ending = true;
    context.commit().then(
      () => {
        context.finish();
        res.writeHead = writeHead;
        end.apply(res, args);
      },
      (err: unknown) => {
        // The session was not kept, so the response must not claim success: the error handler answers
        // instead (or, if the body is already streaming, Express cuts the connection).
        res.writeHead = writeHead;
        res.end = end;
        if (!res.headersSent) res.removeHeader('Set-Cookie');
        next(err);
      },
    );
    return this;
  } as ServerResponse['end'];
}
