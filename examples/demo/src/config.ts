import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How the demo runs. Every field has an environment variable; see {@link configFromEnv}. */
export interface DemoConfig {
  /** Port to listen on; 0 picks a free one (the real URL is printed). */
  port: number;
  /** Interface to bind. Default 127.0.0.1: the demo is not meant to face a network. */
  host: string;
  /** Folder for the SQLite database, the generated secrets and the JWT key. Created if missing. */
  dataDir: string;
  /** Where sessions live: undefined for the SQLite file in `dataDir`, or a store URL (redis://, postgres://, …). */
  sessionStore: string | undefined;
  /** `store`: sessions on the server; `cookie`: sealed cookie sessions. */
  sessionMode: 'store' | 'cookie';
  /** Signs session cookies; generated once and kept in `dataDir` when not given. */
  sessionSecret: string | undefined;
  /** Milliseconds without a request after which a session ends. */
  idleTimeout: number;
  /** Milliseconds after login-or-first-visit at which a session ends however busy. */
  absoluteTimeout: number;
  /** Lifetime of an API access token, in seconds. */
  accessTokenTtl: number;
  /** Print one line per request (off in tests). */
  logRequests: boolean;
  /**
   * Serve HTTPS with a generated certificate (HTTPS=1), and bind sessions to the browser's device
   * key where it supports DBSC (store mode).
   */
  https: boolean;
}

const MINUTE = 60_000;

/** The demo's own `data/` folder, wherever the server is started from (git ignores it). */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));

export const DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  idleTimeout: 30 * MINUTE,
  absoluteTimeout: 7 * 24 * 60 * MINUTE,
  accessTokenTtl: 15 * 60,
} as const;

/** A bad environment variable: the server refuses to start and says which and why. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function httpsOf(raw: string | undefined): boolean {
  const value = raw?.trim() ?? '';
  if (value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new ConfigError(`HTTPS must be 1 or 0, got ${JSON.stringify(raw)}`);
}

/**
 * Reads the demo's configuration from environment variables: PORT, HOST, DATA_DIR, SESSION_STORE,
 * SESSION_MODE, SESSION_SECRET, IDLE_TIMEOUT and ABSOLUTE_TIMEOUT (milliseconds), ACCESS_TOKEN_TTL
 * (seconds), LOG_REQUESTS. Throws a {@link ConfigError} naming the variable at fault.
 *
 * @example
 * ```ts
 * const config = configFromEnv({ PORT: '0', DATA_DIR: '/tmp/demo', IDLE_TIMEOUT: '2000' });
 * ```
 */
export function configFromEnv(env: NodeJS.ProcessEnv, cwd = process.cwd()): DemoConfig {
  const mode = env.SESSION_MODE?.trim() || 'store';
  if (mode !== 'store' && mode !== 'cookie') {
    throw new ConfigError(`SESSION_MODE must be "store" or "cookie", got ${JSON.stringify(mode)}`);
  }
  const store = env.SESSION_STORE?.trim() || undefined;
  if (store !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(store)) {
    throw new ConfigError(
      'SESSION_STORE must be a URL such as redis://127.0.0.1:6379, postgres://…, mysql://…, mongodb://… or sqlite:path',
    );
  }
  const secret = env.SESSION_SECRET || undefined;
  if (secret !== undefined && Buffer.byteLength(secret) < 32) {
    throw new ConfigError('SESSION_SECRET must be at least 32 bytes; leave it unset to generate one');
  }
  const idleTimeout = integer(env, 'IDLE_TIMEOUT', DEFAULTS.idleTimeout, 100, 2 ** 31 - 1);
  const absoluteTimeout = integer(
    env,
    'ABSOLUTE_TIMEOUT',
    DEFAULTS.absoluteTimeout,
    100,
    400 * 24 * 60 * MINUTE,
  );
  return {
    port: integer(env, 'PORT', DEFAULTS.port, 0, 65535),
    host: env.HOST?.trim() || DEFAULTS.host,
    dataDir: env.DATA_DIR?.trim() ? resolve(cwd, env.DATA_DIR.trim()) : DEFAULT_DATA_DIR,
    sessionStore: store,
    sessionMode: mode,
    sessionSecret: secret,
    idleTimeout,
    absoluteTimeout,
    accessTokenTtl: integer(env, 'ACCESS_TOKEN_TTL', DEFAULTS.accessTokenTtl, 1, 24 * 60 * 60),
    logRequests: env.LOG_REQUESTS === undefined ? env.NODE_ENV !== 'test' : env.LOG_REQUESTS === '1',
    https: httpsOf(env.HTTPS),
  };
}
