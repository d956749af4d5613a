/**
 * The express-session-shaped default export of `coatcheck`, in a module of its own so the root's
 * named exports stay a plain list.
 *
 * `import session from 'coatcheck'` is the middleware carrying `Store`, `MemoryStore`, `Session` and
 * `Cookie`, as express-session's export does, for store packages written as `require('x')(session)`.
 * `require('coatcheck')` on Node ≥ 20.19 returns the `'module.exports'` export: that same function,
 * as `require('express-session')` is, with every named export of the root on it as well.
 *
 * Only `index.ts` imports this module, and last, so that every module the root re-exports has run
 * before the named exports are copied onto the function below.
 *
 * @module
 */
import * as root from './index.js';
import { Cookie } from './session/cookie.js';
import { session } from './session/middleware.js';
import { Session } from './session/session.js';
import { MemoryStore } from './stores/memory.js';
import { Store } from './stores/store.js';

const sessionWithClasses: typeof session & {
  Store: typeof Store;
  MemoryStore: typeof MemoryStore;
  Session: typeof Session;
  Cookie: typeof Cookie;
  session: typeof session;
} = Object.assign(session, { Store, MemoryStore, Session, Cookie, session });

export default sessionWithClasses;

// TypeScript ≥ 5.8 types `require` of this package by this export, so its type says what is on it.
const requireResult = sessionWithClasses as typeof sessionWithClasses &
  Omit<typeof root, 'default' | 'module.exports'>;

export { requireResult as 'module.exports' };

Object.assign(sessionWithClasses, root);
