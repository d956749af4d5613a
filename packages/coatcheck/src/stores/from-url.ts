import { StorePackageMissingError } from '../errors.js';
import type { SessionStore } from './contract.js';
import { MemoryStore } from './memory.js';

/** What a store package exports for {@link storeFromUrl}. */
export interface StoreModule {
  /** Makes a store from a URL of the package's scheme; the store owns any connection it opens. */
  fromUrl(url: string): SessionStore | Promise<SessionStore>;
}

const PACKAGES: Record<string, { packageName: string; driver: string }> = {
  'sqlite:': { packageName: '@coatcheck/sqlite', driver: 'better-sqlite3@12' },
  'redis:': { packageName: '@coatcheck/redis', driver: 'redis' },
  'rediss:': { packageName: '@coatcheck/redis', driver: 'redis' },
  'postgres:': { packageName: '@coatcheck/postgres', driver: 'pg' },
  'postgresql:': { packageName: '@coatcheck/postgres', driver: 'pg' },
  'mysql:': { packageName: '@coatcheck/mysql', driver: 'mysql2' },
  'mariadb:': { packageName: '@coatcheck/mysql', driver: 'mysql2' },
  'mongodb:': { packageName: '@coatcheck/mongodb', driver: 'mongodb' },
  'mongodb+srv:': { packageName: '@coatcheck/mongodb', driver: 'mongodb' },
};

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Makes the store a URL names, loading its package on demand, so an application picks its store
 * from one environment variable. `memory:` is the built-in {@link MemoryStore}.
 *
 * | URL | package |
 * | --- | --- |
 * | `sqlite:data/sessions.db`, `sqlite::memory:` | `@coatcheck/sqlite` |
 * | `redis://127.0.0.1:6379`, `rediss://…` | `@coatcheck/redis` |
 * | `postgres://user@host/db` | `@coatcheck/postgres` |
 * | `mysql://root@127.0.0.1/test` | `@coatcheck/mysql` |
 * | `mongodb://host/db` | `@coatcheck/mongodb` |
 *
 * @example
 * ```ts
 * const store = await storeFromUrl(process.env.SESSION_STORE ?? 'sqlite:data/sessions.db');
 * app.use(session({ secret, store }));
 * ```
 */
export async function storeFromUrl(url: string): Promise<SessionStore> {
  if (typeof url !== 'string' || !/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    throw new TypeError('storeFromUrl needs a URL such as sqlite:data/sessions.db or redis://127.0.0.1:6379');
  }
  const scheme = `${url.slice(0, url.indexOf(':')).toLowerCase()}:`;
  if (scheme === 'memory:') return new MemoryStore();
  const target = PACKAGES[scheme];
  if (!target) {
    throw new TypeError(
      `storeFromUrl: no store for ${scheme} URLs (${redactUrl(url)}); use one of memory:, ${Object.keys(PACKAGES).join(', ')}`,
    );
  }
  let module: Partial<StoreModule>;
  try {
    module = (await import(target.packageName)) as Partial<StoreModule>;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new StorePackageMissingError(target.packageName, target.driver, { cause: err });
    }
    throw err;
  }
  if (typeof module.fromUrl !== 'function') {
    throw new TypeError(`${target.packageName} does not export fromUrl(); update it`);
  }
  return module.fromUrl(url);
}
