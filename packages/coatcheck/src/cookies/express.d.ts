// Types of what cookies() adds to Express's request and response. A .d.ts file, like
// session/express.d.ts, so that a program that also loads @types/cookie-parser settles any clash
// through `skipLibCheck`; `signedCookies` is declared exactly as @types/cookie-parser does.

import type { CookiesResponse, CookieValue } from './middleware.js';

declare global {
  namespace Express {
    interface Request {
      /** Cookies in the `s:` signed format, verified: the value, or `false` when forged. */
      // biome-ignore lint/suspicious/noExplicitAny: the declaration of @types/cookie-parser, repeated verbatim
      signedCookies: Record<string, any>;
      /** Sealed cookies, opened: the value, or `false` when the seal does not open. */
      sealedCookies: Record<string, CookieValue | false>;
    }
    /** Set by cookies(): `setCookie` (plain, signed or sealed; `maxAge` in seconds) and `deleteCookie`. */
    interface Response extends CookiesResponse {}
  }
}
