// The session engine is in engine/ (it never touches req/res) and its node:http adapter in http/;
// this module keeps the request type importable from its old place.
export type { SessionRequest } from './http/exchange.js';
