// The session engine is in engine/ (it never touches req/res) and its node:http adapter in http/;
// this module keeps the names the cookie-session modules import from their old place.
export { generateSessionId } from './engine/load.js';
export { idleGraceOf } from './engine/timeouts.js';
export type { SessionRequest } from './http/exchange.js';
