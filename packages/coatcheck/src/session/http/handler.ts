import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreError } from '../../errors.js';
import { settleShapes } from '../../lib/shape.js';
import { coversPath } from '../engine/cookie-decision.js';
import { RequestSession } from '../engine/request-session.js';
import type { ResolvedOptions } from '../options.js';
import { NodeExchange, pathOf, type SessionRequest } from './exchange.js';

type EndArguments = Parameters<ServerResponse['end']>;

/**
 * The request side of both middlewares: skips requests outside the cookie's path, puts the session
 * in place, and hooks the response so the session is saved before it ends. `before` may refuse a
 * request with an error.
 */
export function requestHandler(
  resolved: ResolvedOptions,
  before?: (req: SessionRequest) => Error | undefined,
): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  const settle = resolved.settleShapes;
  return (req: SessionRequest, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (req.session) {
      next();
      return;
    }
    if (!coversPath(resolved.cookie, pathOf(req))) {
      next();
      return;
    }
    if (settle) settleShapes(req, res);
    const refused = before?.(req);
    const carryOn = refused instanceof StoreError && resolved.onStoreError === 'continue';
    if (refused && !carryOn) {
      next(refused);
      return;
    }
    let context: RequestSession;
    try {
      context = new RequestSession(resolved, new NodeExchange(req, res, resolved.deviceBound));
    } catch (err) {
      next(err);
      return;
    }
    hookResponse(res, context, next);
    if (carryOn) {
      context.loadOffline(refused);
      next();
      return;
    }
    let loading: Promise<void> | undefined;
    try {
      loading = context.load();
    } catch (err) {
      next(err);
      return;
    }
    if (loading === undefined) next();
    else
      loading.then(
        () => next(),
        (err: unknown) => next(err),
      );
  };
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
    // The writeHead hook stays in place: after finish() it only passes through, and putting the
    // original back would cost another change to the response object's shape.
    const respond = () => {
      context.finish();
      end.apply(res, args);
    };
    // The session was not kept, so the response must not claim success: the error handler answers
    // instead (or, if the body is already streaming, Express cuts the connection).
    const fail = (err: unknown) => {
      res.writeHead = writeHead;
      res.end = end;
      if (!res.headersSent) res.removeHeader('Set-Cookie');
      next(err);
    };
    let committing: Promise<void> | undefined;
    try {
      committing = context.commit();
    } catch (err) {
      fail(err);
      return this;
    }
    if (committing === undefined) respond();
    else committing.then(respond, fail);
    return this;
  } as ServerResponse['end'];
}
