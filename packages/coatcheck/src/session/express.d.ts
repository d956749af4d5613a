// Types of `req.session` for Express applications, as express-session declares them. This is a .d.ts
// file so that, in a program that also loads @types/express-session, `skipLibCheck` settles the clash.

import type { SessionData } from '../index.js';
import type { Session } from './session.js';

declare global {
  namespace Express {
    interface Request {
      /** The session: its data and express-session's methods. */
      session: Session & Partial<SessionData>;
      /** The session's ID. */
      sessionID: string;
    }
  }
}
