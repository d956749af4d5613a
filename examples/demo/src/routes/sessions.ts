import type { SessionMiddleware } from 'coatcheck';
import { type Request, type Response, Router } from 'express';
import { html } from '../html/escape.js';
import type { DeviceNote } from '../session-data.js';
import { type DemoSessions, isStoreBacked } from '../sessions.js';
import type { UserDirectory } from '../users.js';
import { describeBrowser, formatDuration, timeElement } from '../web/format.js';
import { HttpError } from '../web/http-error.js';
import { csrfField, flash, localsOf, sendPage } from '../web/layout.js';

function requireUser(res: Response) {
  const { user } = localsOf(res);
  if (!user) throw new HttpError(401, 'Log in to see this page.');
  return user;
}

function deviceOf(data: Record<string, unknown>): Partial<DeviceNote> {
  const device = data.device;
  return typeof device === 'object' && device !== null ? (device as Partial<DeviceNote>) : {};
}

interface DeviceCard {
  handle: string;
  created: Date;
  lastSeen: Date;
  data: Record<string, unknown>;
  /** The browser registered a device key (DBSC): a copy of its cookie works nowhere else. */
  deviceBound?: boolean;
}

function deviceCard(req: Request, session: DeviceCard, current: boolean, canRevoke: boolean) {
  const device = deviceOf(session.data);
  return html`<li class="card${current ? ' current' : ''}" data-testid="device">
  <h2>${describeBrowser(device.userAgent)}${current && html` <span class="tag">this device</span>`}${
    session.deviceBound &&
    html` <span class="tag bound" data-testid="bound-badge" title="Its cookies work only on the device that holds its key">bound to this device</span>`
  }</h2>
  <dl class="facts">
    <dt>IP address</dt><dd>${device.ip || 'unknown'}</dd>
    <dt>Started</dt><dd>${timeElement(session.created)}</dd>
    <dt>Last seen</dt><dd>${timeElement(session.lastSeen)}</dd>
    <dt>Session</dt><dd><code>${session.handle}</code></dd>
  </dl>
  ${
    !current &&
    canRevoke &&
    html`<form method="post" action="/devices/revoke">${csrfField(req)}<input type="hidden" name="handle" value="${session.handle}">
    <button class="danger">Log out this device</button></form>`
  }
</li>`;
}

export interface SessionPagesOptions {
  sessions: DemoSessions;
  users: UserDirectory;
  cookieName: string;
  storeLabel: string;
}

/** The devices page (a user's sessions, and ending them) and the page about this session. */
export function sessionRoutes({ sessions, users, cookieName, storeLabel }: SessionPagesOptions): Router {
  const router = Router();
  if (isStoreBacked(sessions)) storeDeviceRoutes(router, sessions);
  else cookieDeviceRoutes(router, sessions, users);

  router.get('/session', (req: Request, res) => {
    // With saveUninitialized off, a session that holds nothing was never stored: no cookie, no timer.
    const stored = Object.keys(req.session).some((key) => key !== 'cookie');
    const info = stored ? sessions.info(req) : undefined;
    const cookie = req.session.cookie;
    const now = Date.now();
    const sameSite =
      typeof cookie.sameSite === 'string' ? cookie.sameSite : cookie.sameSite ? 'strict' : 'not set';
    sendPage(req, res, {
      title: 'This session',
      body: html`<section class="card">
<h2>The session cookie</h2>
<dl class="facts" data-testid="cookie-attributes">
  <dt>Name</dt><dd><code>${cookieName}</code></dd>
  <dt>Value</dt><dd>${
    isStoreBacked(sessions)
      ? 'The session ID, signed: never shown here, and out of reach of scripts.'
      : 'The whole session, sealed (AES-256-GCM): the browser holds it but can neither read nor change it.'
  }</dd>
  <dt>HttpOnly</dt><dd data-attribute="httponly">${cookie.httpOnly ? 'yes' : 'no'}</dd>
  <dt>SameSite</dt><dd data-attribute="samesite">${sameSite}</dd>
  <dt>Secure</dt><dd data-attribute="secure">${cookie.secure === true ? 'yes' : 'no (plain HTTP)'}</dd>
  <dt>Path</dt><dd><code>${cookie.path}</code></dd>
  <dt>Expires</dt><dd>${cookie.expires ? timeElement(cookie.expires) : 'when the browser closes'}</dd>
</dl>
</section>
<section class="card">
<h2>Time left</h2>
${
  info
    ? html`<dl class="facts" data-testid="time-left">
  <dt>Session</dt><dd><code>${info.handle}</code></dd>
  <dt>Started</dt><dd>${timeElement(info.created)}</dd>
  <dt>Last stored</dt><dd>${timeElement(info.lastSeen)}</dd>
  <dt>Idle time left</dt><dd data-testid="idle-left">${formatDuration(info.idleExpires.getTime() - now)}
    <span class="muted">(each visit restarts it)</span></dd>
  <dt>Absolute time left</dt><dd data-testid="absolute-left">${
    info.absoluteExpires ? formatDuration(info.absoluteExpires.getTime() - now) : 'no limit'
  } <span class="muted">(nothing restarts it)</span></dd>
  ${boundCookieFacts(sessions, req, now)}
</dl>`
    : html`<p data-testid="no-session">No session is stored for you yet: coatcheck stores one only once it holds something.
  Add something to your cart, or log in.</p>`
}
<p class="muted">Sessions are kept in ${storeLabel}.</p>
</section>`,
    });
  });

  return router;
}

/** The bound cookie's time left, for a session bound to this device (HTTPS=1, a browser with DBSC). */
function boundCookieFacts(sessions: DemoSessions, req: Request, now: number) {
  if (!isStoreBacked(sessions)) return '';
  let binding: ReturnType<SessionMiddleware['deviceBinding']>;
  try {
    binding = sessions.deviceBinding(req);
  } catch {
    return ''; // device binding is off (plain HTTP)
  }
  if (!binding) return html`<dt>Device binding</dt><dd data-testid="bound-left">not bound to a device</dd>`;
  const expires = binding.boundCookieExpires;
  return html`<dt>Bound cookie time left</dt><dd data-testid="bound-left">${
    expires ? formatDuration(Math.max(0, expires.getTime() - now)) : 'none'
  } <span class="muted">(the browser renews it by signing with its device key)</span></dd>`;
}

/** Sessions in a store: list them, end one, end all but this one. */
function storeDeviceRoutes(router: Router, sessions: SessionMiddleware): void {
  router.get('/devices', async (req, res) => {
    const user = requireUser(res);
    const mine = sessions.handleOf(req.sessionID);
    const list = (await sessions.listByUser(user.id)).sort(
      (a, b) =>
        Number(b.handle === mine) - Number(a.handle === mine) || b.lastSeen.getTime() - a.lastSeen.getTime(),
    );
    const others = list.filter((s) => s.handle !== mine).length;
    sendPage(req, res, {
      title: 'Your devices',
      body: html`<p class="lead">Every browser signed in to your account. Ending a session logs that browser out at its next request.</p>
<ul class="devices">
${list.map((s) => deviceCard(req, s, s.handle === mine, true))}
</ul>
${
  others > 0
    ? html`<form method="post" action="/devices/revoke-others">${csrfField(req)}<button class="danger">Log out everywhere else</button></form>`
    : html`<p class="muted">No other device is signed in.</p>`
}`,
    });
  });

  router.post('/devices/revoke', async (req, res) => {
    const user = requireUser(res);
    const handle = typeof req.body?.handle === 'string' ? req.body.handle : '';
    const ended = !sessions.isHandleOf(req.sessionID, handle) && (await sessions.revoke(user.id, handle));
    flash(
      req,
      ended ? 'success' : 'error',
      ended ? 'That device is logged out.' : 'No such session: nothing changed.',
    );
    res.redirect(303, '/devices');
  });

  router.post('/devices/revoke-others', async (req, res) => {
    const user = requireUser(res);
    const count = await sessions.revokeAll(user.id, { except: req.sessionID });
    flash(req, 'success', count === 1 ? 'Logged out 1 other device.' : `Logged out ${count} other devices.`);
    res.redirect(303, '/devices');
  });
}

/**
 * Sealed cookie sessions: the server keeps no list, so this page shows this browser only, and
 * "log out everywhere" moves the user's "not before" time, which refuses every older seal.
 */
function cookieDeviceRoutes(router: Router, sessions: DemoSessions, users: UserDirectory): void {
  router.get('/devices', (req, res) => {
    requireUser(res);
    const info = sessions.info(req);
    const here = info && {
      handle: info.handle,
      created: info.created,
      lastSeen: info.lastSeen,
      data: { device: req.session.device },
    };
    sendPage(req, res, {
      title: 'Your devices',
      body: html`<p class="lead">Sessions are sealed into each browser's cookie, so the server keeps no list of them
and cannot end one alone. It can end them all: every seal issued before "log out everywhere" is refused.</p>
<ul class="devices">${here && deviceCard(req, here, true, false)}</ul>
<form method="post" action="/devices/logout-everywhere">${csrfField(req)}<button class="danger">Log out everywhere, here too</button></form>`,
    });
  });

  router.post('/devices/logout-everywhere', async (req, res) => {
    const user = requireUser(res);
    users.logOutEverywhere(user.id);
    await req.session.regenerate();
    flash(req, 'info', 'Every session of your account is logged out, this one too.');
    res.redirect(303, '/login');
  });
}
