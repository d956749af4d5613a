import type { Request, Response } from 'express';
import { cartLines } from '../catalog.js';
import { html, type SafeHtml } from '../html/escape.js';
import type { Flash } from '../session-data.js';
import type { User } from '../users.js';

/** What the demo's middleware leaves on `res.locals`. */
export interface DemoLocals {
  /** The signed-in user, when the session names one that exists. */
  user?: User | undefined;
  /** Where sessions live, for the footer: "SQLite", "Redis", … */
  storeLabel: string;
  /** Whether this request came with a session that is stored (or sealed in its cookie). */
  hasStoredSession?: boolean;
}

export function localsOf(res: Response): DemoLocals {
  return res.locals as DemoLocals;
}

/**
 * The hidden field csrf() reads, in every form once the visitor has a session. A visitor without
 * one gets none: making a token would store a session for everybody who only looks at a page, and
 * their first post is checked by Fetch Metadata or Origin alone (see app.ts).
 */
export function csrfField(req: Request): SafeHtml | '' {
  if (!(req.res?.locals as DemoLocals | undefined)?.hasStoredSession) return '';
  // A page rendered in answer to a post checked by headers alone, or before csrf() ran: no token.
  if (typeof req.csrfToken !== 'function') return '';
  return html`<input type="hidden" name="_csrf" value="${req.csrfToken()}">`;
}

/** Queues a message for the next page this session sees. */
export function flash(req: Request, kind: Flash['kind'], text: string): void {
  if (!req.session) return;
  req.session.flash = [...(req.session.flash ?? []), { kind, text }];
}

function takeFlash(req: Request): Flash[] {
  const messages = req.session?.flash ?? [];
  if (req.session && req.session.flash !== undefined) delete req.session.flash;
  return messages;
}

export interface PageOptions {
  title: string;
  body: SafeHtml;
  status?: number;
  /** A heading other than the title, or `false` for none. */
  heading?: string | false;
}

function layout(req: Request, res: Response, { title, body, heading }: PageOptions): SafeHtml {
  const { user, storeLabel } = localsOf(res);
  // Error pages can be rendered before session() ran (or after it failed): no session, no forms.
  const hasSession = req.session !== undefined;
  const { count } = cartLines(req.session?.cart);
  const path = req.path;
  const current = (href: string) => (path === href ? html` aria-current="page"` : '');
  const messages = hasSession ? takeFlash(req) : [];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · coatcheck demo</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<header class="top">
  <a class="brand" href="/">coatcheck <span>demo</span></a>
  <nav aria-label="Main">
    <a href="/"${current('/')}>Shop</a>
    <a href="/cart"${current('/cart')}>Cart${count > 0 && html` <span class="badge" data-testid="cart-count">${count}</span>`}</a>
    <a href="/session"${current('/session')}>Session</a>
    ${
      user
        ? html`<a href="/devices"${current('/devices')}>Devices</a>
    ${hasSession && html`<form method="post" action="/logout" class="inline">${csrfField(req)}<button class="link">Log out</button></form>`}`
        : html`<a href="/login"${current('/login')}>Log in</a>
    <a href="/signup" class="button small"${current('/signup')}>Sign up</a>`
    }
  </nav>
</header>
<main>
${messages.map((m) => html`<p class="flash ${m.kind}" role="${m.kind === 'error' ? 'alert' : 'status'}">${m.text}</p>`)}
${heading !== false && html`<h1>${heading ?? title}</h1>`}
${body}
</main>
<footer>
  <span>${user ? html`Signed in as <strong data-testid="username">${user.username}</strong>` : 'Not signed in'}</span>
  <span>Sessions in ${storeLabel}</span>
  <a href="/api">JSON API</a>
</footer>
</body>
</html>
`;
}

/** Sends a full page. Pages depend on the session, so no cache may keep them. */
export function sendPage(req: Request, res: Response, options: PageOptions): void {
  const page = layout(req, res, options);
  res
    .status(options.status ?? 200)
    .set('Cache-Control', 'no-store')
    .type('html')
    .send(page.toString());
}
