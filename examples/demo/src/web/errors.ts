import { CsrfError, StoreError } from 'coatcheck';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { html } from '../html/escape.js';
import { sendPage } from './layout.js';
import { localPath } from './paths.js';

function statusOf(err: unknown): number {
  const status = Number(
    (err as { status?: unknown } | null)?.status ?? (err as { statusCode?: unknown } | null)?.statusCode,
  );
  return Number.isInteger(status) && status >= 400 && status < 600 ? status : 500;
}

function loginLink(req: Request) {
  return html`<a class="button" href="/login?next=${encodeURIComponent(localPath(req.originalUrl))}">Log in</a>`;
}

function errorPage(req: Request, res: Response, status: number, err: unknown): void {
  const pages: Record<number, { title: string; body: ReturnType<typeof html> }> = {
    401: {
      title: 'Please log in',
      body: html`<p class="lead">This page shows your account, so it needs you signed in.</p><p>${loginLink(req)}</p>`,
    },
    403: {
      title: 'Request refused',
      body: html`<p class="lead">This request did not come from one of our own pages, so it was refused to protect
your account from cross-site request forgery.</p>
<p>If you did send it, go back, reload the page and try again.</p>`,
    },
    404: {
      title: 'Page not found',
      body: html`<p class="lead">There is nothing at <code>${req.path}</code>.</p><p><a href="/">Back to the shop</a></p>`,
    },
    413: {
      title: 'Payload too large',
      body: html`<p class="lead">This form sent more than the server accepts (8 KB). Shorten what you typed and try again.</p>
<p><a href="/">Back to the shop</a></p>`,
    },
    503: {
      title: 'Back in a moment',
      body: html`<p class="lead">The session store is not answering right now. Nothing was lost; try again in a moment.</p>`,
    },
  };
  const page =
    pages[status] ??
    (status < 500
      ? {
          title: 'Bad request',
          body: html`<p class="lead">The server could not understand this request.</p>`,
        }
      : {
          title: 'Something went wrong',
          body: html`<p class="lead">Something went wrong on our side. It has been logged; please try again.</p>
<p><a href="/">Back to the shop</a></p>`,
        });
  if (err instanceof CsrfError) res.set('X-Refused-Because', err.reason);
  sendPage(req, res, { status, title: page.title, body: page.body });
}

/** The 404 page, for anything no route answered. */
export const notFound: RequestHandler = (req, res) => errorPage(req, res, 404, undefined);

/**
 * The error page: 401, 403 (CSRF), 404, 413 and 4xx from routes and parsers as clean pages, store outages
 * as 503, anything else as a 500 that is logged and says nothing of its cause.
 */
export function errorHandler(log: (err: unknown) => void = console.error): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = statusOf(err);
    if (status >= 500 && !(err instanceof StoreError)) log(err);
    try {
      errorPage(req, res, status, err);
    } catch (renderError) {
      // The page itself failed (a broken session, say): answer in plain text rather than not at all.
      log(renderError);
      res
        .status(status)
        .type('text')
        .send(status >= 500 ? 'Something went wrong.' : `Error ${status}`);
    }
  };
}
