// Types of what cookies() adds to Express's request and response. A .d.ts file, like
// session/express.d.ts, so that a program that also loads @types/cookie-parser settles any clash
// through `skipLibCheck`; `signedCookies` is declared exactly as @types/cookie-parser does.

import type { CookieValue, SetCookieOptions } from './middleware.js';
import type { CookieAttributes, CookieOptionsArgument } from './serialize.js';

declare global {
  namespace Express {
    interface Request {
      /** Cookies in the `s:` signed format, verified: the value, or `false` when forged. */
      // biome-ignore lint/suspicious/noExplicitAny: the declaration of @types/cookie-parser, repeated verbatim
      signedCookies: Record<string, any>;
      /** Sealed cookies, opened: the value, or `false` when the seal does not open. */
      sealedCookies: Record<string, CookieValue | false>;
    }
    interface Response {
      /** Set by cookies(): appends a plain, signed or sealed `Set-Cookie`. `maxAge` is in seconds. */
      setCookie<Name extends string>(
        name: Name,
        value: CookieValue,
        ...options: CookieOptionsArgument<Name, SetCookieOptions>
      ): this;
      /** Set by cookies(): appends a `Set-Cookie` that deletes the cookie. */
      deleteCookie(name: string, options?: CookieAttributes): this;
    }
  }
}
