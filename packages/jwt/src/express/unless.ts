import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** A path to leave unprotected: exact string, pattern, or either limited to some methods. */
export type UnlessPath =
  | string
  | RegExp
  | { url: string | RegExp; methods?: string[]; method?: string | string[] };

/** express-unless's options, with its meaning: any one matching condition skips the middleware. */
export interface UnlessOptions {
  /** Paths (without query string) to skip. */
  path?: UnlessPath | UnlessPath[];
  /** Methods to skip, e.g. `'GET'`. */
  method?: string | string[];
  /** Path endings to skip, e.g. `'.css'`. */
  ext?: string | string[];
  /** Skips when it returns (or resolves) true. */
  custom?: (req: Request) => boolean | Promise<boolean>;
  /** Match `req.originalUrl` (default) rather than `req.url`, which a mounted router shortens. */
  useOriginalUrl?: boolean;
}

const toArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function pathMatches(pattern: string | RegExp, pathname: string): boolean {
  return typeof pattern === 'string' ? pattern === pathname : pattern.test(pathname);
}

function pathnameOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** True when `req` matches the path, extension or method conditions of `options`; pure. */
export function matchesRequest(
  req: Pick<Request, 'method' | 'url' | 'originalUrl'>,
  options: UnlessOptions,
): boolean {
  const pathname = pathnameOf(
    (options.useOriginalUrl !== false ? req.originalUrl : req.url) || req.url || '',
  );
  if (options.path !== undefined) {
    const hit = toArray(options.path).some((path) => {
      if (typeof path === 'string' || path instanceof RegExp) return pathMatches(path, pathname);
      const methods = path.methods ?? path.method;
      return (
        pathMatches(path.url, pathname) && (methods === undefined || toArray(methods).includes(req.method))
      );
    });
    if (hit) return true;
  }
  if (options.ext !== undefined && toArray(options.ext).some((ext) => pathname.endsWith(ext))) return true;
  return options.method !== undefined && toArray(options.method).includes(req.method);
}

/**
 * Wraps `middleware` so requests matching `options` skip it, as express-unless does.
 *
 * @example
 * ```ts
 * app.use(unless(jwt({ secret, algorithms: ['HS256'] }), { path: ['/login', /^\/public\//] }));
 * ```
 */
export function unless(
  middleware: RequestHandler,
  options: UnlessOptions | UnlessOptions['custom'],
): RequestHandler {
  if (typeof options !== 'function' && (typeof options !== 'object' || options === null)) {
    throw new TypeError('@coatcheck/jwt: unless() needs options or a function');
  }
  const opts: UnlessOptions = typeof options === 'function' ? { custom: options } : { ...options };
  return (req: Request, res: Response, next: NextFunction) => {
    // Only `custom` can be async; the other conditions are answered without waiting a tick.
    if (matchesRequest(req, opts)) return next();
    if (opts.custom === undefined) return middleware(req, res, next);
    Promise.resolve(opts.custom(req)).then(
      (skip) => (skip ? next() : middleware(req, res, next)),
      (error: unknown) => next(error),
    );
  };
}
