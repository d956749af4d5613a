import { StoreTimeoutError } from '../errors.js';

// Error codes drivers and Node's sockets give when the server cannot be reached or the connection
// broke: system errors, mysql2's, and PostgreSQL's SQLSTATE classes 08 (connection exception) and
// 57P (operator intervention: the server is shutting down or restarting).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
]);
// node-redis and ioredis name their connection errors by class.
const NETWORK_NAMES = new Set([
  'ClientClosedError',
  'ClientOfflineError',
  'SocketClosedUnexpectedlyError',
  'ConnectionTimeoutError',
  'ReconnectStrategyError',
  'MaxRetriesPerRequestError',
]);
// node-postgres and ioredis say it only in words.
const NETWORK_MESSAGE =
  /connection (?:is )?(?:closed|terminated|lost|refused)|terminating connection|timeout exceeded when trying to connect|the client is closed/i;

/**
 * Whether `err` (or an error in its `cause` chain) says the store's server could not be reached or
 * the connection broke, rather than that one call was wrong: what the session middleware's circuit
 * breaker counts, and what store packages use to tell whether their client is connected.
 *
 * @example
 * ```ts
 * import { isConnectionFailure } from 'coatcheck';
 * isConnectionFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })); // true
 * isConnectionFailure(new Error('invalid input syntax for type json')); // false
 * ```
 */
export function isConnectionFailure(err: unknown): boolean {
  for (let depth = 0; depth < 8 && err !== null && typeof err === 'object'; depth++) {
    if (err instanceof StoreTimeoutError) return true;
    const { code, name, message } = err as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^(?:08|57P0)/.test(code))) return true;
    if (typeof name === 'string' && NETWORK_NAMES.has(name)) return true;
    if (typeof message === 'string' && NETWORK_MESSAGE.test(message)) return true;
    const nested = (err as { cause?: unknown }).cause;
    // An AggregateError (Node's happy-eyeballs connect) holds one error per address tried.
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((inner) => isConnectionFailure(inner))) return true;
    err = nested;
  }
  return false;
}

// No connection could be made at all: nothing listens, the host is unknown or unreachable, or
// PostgreSQL is starting up or shutting down (57P03, cannot_connect_now).
const REFUSED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P03',
]);

/**
 * Whether `err` (or an error in its `cause` chain) says no connection to the server could be made
 * at all (refused, unknown or unreachable host), as opposed to a connection that broke: what a
 * store over a connection pool can report from its `connected()` until a call succeeds again.
 *
 * @example
 * ```ts
 * import { isConnectionRefused } from 'coatcheck';
 * isConnectionRefused(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })); // true
 * isConnectionRefused(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })); // false
 * ```
 */
export function isConnectionRefused(err: unknown): boolean {
  for (let depth = 0; depth < 8 && err !== null && typeof err === 'object'; depth++) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && REFUSED_CODES.has(code)) return true;
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0 && errors.every((inner) => isConnectionRefused(inner))) {
      return true;
    }
    err = (err as { cause?: unknown }).cause;
  }
  return false;
}
