export { Cookie, type CookieOptions, type SameSiteOption } from './cookie.js';
export { type CookieSessionMiddleware, type CookieSessionOptions, cookieSession } from './cookie-session.js';
export { generateSessionId } from './engine/load.js';
export type { EndedReason, SessionEventName, SessionEvents, SessionEventTarget } from './events.js';
export type { SessionRequest } from './http/exchange.js';
export {
  type CurrentSessionInfo,
  type SessionInfo,
  type SessionManager,
  type SessionMiddleware,
  session,
} from './middleware.js';
export { expressSessionDefaults, type SessionDefaults, type SessionOptions } from './options.js';
export type { NotBefore } from './sealed.js';
export { Session } from './session.js';
