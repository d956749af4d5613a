export { Cookie, type CookieOptions, type SameSiteOption } from './cookie.js';
export type { SessionEventName, SessionEvents, SessionEventTarget } from './events.js';
export { type CurrentSessionInfo, type SessionInfo, type SessionMiddleware, session } from './middleware.js';
export type { SessionOptions } from './options.js';
export { generateSessionId, SessionNotFoundError, type SessionRequest } from './request.js';
export { Session } from './session.js';
