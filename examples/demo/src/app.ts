import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { refreshTokens } from '@coatcheck/jwt';
import { SQLiteStore } from '@coatcheck/sqlite';
import Database from 'better-sqlite3';
import { type CookieOptions, cookieSession, csrf, type SessionStore, session, storeFromUrl } from 'coatcheck';
import { redactUrl } from 'coatcheck/stores';
import express, { type Express } from 'express';
import type { DemoConfig } from './config.js';
import { accountRoutes } from './routes/account.js';
import { apiRoutes } from './routes/api.js';
import { apiGuideRoutes } from './routes/api-guide.js';
import { sessionRoutes } from './routes/sessions.js';
import { shopRoutes } from './routes/shop.js';
import { loadSecrets } from './secrets.js';
import './session-data.js';
import type { DemoSessions } from './sessions.js';
import { demoCertificate } from './tls.js';
import { UserDirectory } from './users.js';
import { errorHandler, notFound } from './web/errors.js';
import { type DemoLocals, flash } from './web/layout.js';
import { securityHeaders } from './web/security.js';

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
export const SESSION_COOKIE = 'coatcheck.sid';
export const DATABASE_FILE = 'demo.db';

const STORE_LABELS: Record<string, string> = {
  sqlite: 'SQLite',
  redis: 'Redis',
  rediss: 'Redis',
  postgres: 'PostgreSQL',
  postgresql: 'PostgreSQL',
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  mongodb: 'MongoDB',
  'mongodb+srv': 'MongoDB',
  memory: 'memory (lost on restart)',
};

// No maxAge: a browser-session cookie, while the server enforces both timeouts itself.
/** Methods csrf() lets through unchecked: they must not change anything. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const COOKIE: CookieOptions = { httpOnly: true, sameSite: 'lax', secure: 'auto', path: '/' };

/** A running demo application, before or after it listens. */
export interface Demo {
  app: Express;
  config: DemoConfig;
  users: UserDirectory;
  /** The session middleware: `session()` on a store, which also lists and ends sessions, or `cookieSession()`. */
  sessions: DemoSessions;
  /** The session store in use; none for cookie sessions. */
  store: SessionStore | undefined;
  /** Where sessions are kept, in words. */
  storeLabel: string;
  /** Closes the store and the database. */
  close(): Promise<void>;
}

/**
 * Builds the demo: the SQLite database (users, refresh tokens, and sessions unless SESSION_STORE
 * says otherwise), the session middleware, CSRF protection, the pages and the JSON API.
 *
 * Users and refresh tokens live in one SQLite file in the data folder, whatever the session store:
 * they are the application's own data. By default the sessions share that file and its one
 * connection, so the whole demo is one file to inspect, copy or delete.
 */
export async function createApp(config: DemoConfig): Promise<Demo> {
  mkdirSync(config.dataDir, { recursive: true });
  const secrets = loadSecrets(config.dataDir, config.sessionSecret);
  const db = new Database(join(config.dataDir, DATABASE_FILE));
  const closers: Array<() => Promise<void> | void> = [
    () => {
      db.close();
    },
  ];
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Two servers on one data folder (a restart overlapping the old process) wait for each other's writes.
    db.pragma('busy_timeout = 5000');
    const users = new UserDirectory(db);
    const refreshStore = new SQLiteStore({ db, tableName: 'refresh_tokens' });
    closers.unshift(() => refreshStore.close());

    let store: SessionStore | undefined;
    let storeLabel: string;
    let sessions: DemoSessions;
    if (config.sessionMode === 'cookie') {
      storeLabel = 'sealed cookies';
      sessions = cookieSession({
        secret: secrets.sessionSecret,
        name: SESSION_COOKIE,
        userKey: 'userId',
        idleTimeout: config.idleTimeout,
        absoluteTimeout: config.absoluteTimeout,
        cookie: COOKIE,
        // No store to delete sessions from: "log out everywhere" refuses seals issued before a time.
        notBefore: (userId) => users.sessionsNotBefore(userId),
      });
    } else {
      if (config.sessionStore === undefined) {
        store = new SQLiteStore({ db, tableName: 'sessions' });
        storeLabel = `SQLite (${DATABASE_FILE})`;
      } else {
        store = await storeFromUrl(config.sessionStore);
        const scheme = config.sessionStore.slice(0, config.sessionStore.indexOf(':')).toLowerCase();
        storeLabel = STORE_LABELS[scheme] ?? redactUrl(config.sessionStore);
      }
      const storeToClose = store;
      closers.unshift(() => storeToClose.close?.());
      sessions = session({
        secret: secrets.sessionSecret,
        store,
        name: SESSION_COOKIE,
        userKey: 'userId',
        idleTimeout: config.idleTimeout,
        absoluteTimeout: config.absoluteTimeout,
        cookie: COOKIE,
        // Over HTTPS, browsers with DBSC bind the session to their device key at sign-in.
        deviceBound: config.https ? {} : undefined,
      });
    }
    if (config.logRequests) {
      // Events carry handles, never session IDs, so they are safe to log.
      for (const event of [
        'created',
        'rotated',
        'destroyed',
        'expired',
        'revoked',
        'tampered',
        'deviceBound',
        'deviceRefreshFailed',
        'usedWithoutDeviceProof',
      ] as const) {
        sessions.on(event, (payload) => console.log(`session ${event} ${JSON.stringify(payload)}`));
      }
      sessions.on('storeError', ({ error }) => console.error(`session store error: ${error.message}`));
    }
    const refresh = refreshTokens({ store: refreshStore, ttl: '14d', familyTtl: '90d' });

    const app = express();
    app.disable('x-powered-by');
    app.use((_req, res, next) => {
      (res.locals as DemoLocals).storeLabel = storeLabel;
      next();
    });
    if (config.logRequests) {
      app.use((req, res, next) => {
        const start = performance.now();
        res.on('finish', () => {
          console.log(
            `${req.method} ${req.path} ${res.statusCode} ${(performance.now() - start).toFixed(0)}ms`,
          );
        });
        next();
      });
    }
    app.use(securityHeaders);
    app.use('/static', express.static(PUBLIC_DIR, { index: false, maxAge: '1h' }));
    // The API authenticates with bearer tokens, not cookies: it needs neither a session nor CSRF checks.
    app.use(
      '/api',
      apiRoutes({
        users,
        refresh,
        sessions,
        privateKey: secrets.jwtPrivateKey,
        publicKey: secrets.jwtPublicKey,
        accessTokenTtl: config.accessTokenTtl,
      }),
    );
    app.use(sessions);
    // The cookie named a session that has ended (timed out, or logged out from another device):
    // say so once. The message is stored in the new session, whose cookie replaces the stale one.
    app.use((req, _res, next) => {
      const ended = sessions.ended(req);
      if (ended === 'expired' || ended === 'unknown' || ended === 'revoked') {
        flash(
          req,
          'info',
          'Your previous session has ended: it timed out, or was logged out from another device.',
        );
      }
      next();
    });
    app.use((req, res, next) => {
      (res.locals as DemoLocals).hasStoredSession = sessions.info(req) !== undefined;
      next();
    });
    app.use(express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 }));
    // Fetch Metadata and Origin for every post; the form token also, from browsers without Fetch
    // Metadata, once the session holds a token secret. A visitor who only looks at pages gets no
    // token, so no session is stored for them; their first post (add to cart, sign up, log in) is
    // checked by the headers alone, which every browser sends on a form post.
    const headersOnly = csrf();
    const withToken = csrf({ token: { field: '_csrf', sessionKey: 'csrfSecret' } });
    app.use((req, res, next) => {
      const check =
        SAFE_METHODS.has(req.method) || req.session.csrfSecret !== undefined ? withToken : headersOnly;
      check(req, res, next);
    });
    app.use((req, res, next) => {
      const userId = req.session.userId;
      if (userId !== undefined) {
        const user = users.find(userId);
        if (user) (res.locals as DemoLocals).user = user;
        else delete req.session.userId; // the account is gone; the session stays, signed out
      }
      next();
    });
    app.use(shopRoutes());
    app.use(accountRoutes(users));
    app.use(sessionRoutes({ sessions, users, cookieName: SESSION_COOKIE, storeLabel }));
    app.use(apiGuideRoutes());
    app.use(notFound);
    app.use(errorHandler());

    return {
      app,
      config,
      users,
      sessions,
      store,
      storeLabel,
      async close() {
        for (const close of closers) await close();
      },
    };
  } catch (err) {
    for (const close of closers) await Promise.resolve(close()).catch(() => {});
    throw err;
  }
}

/** A demo listening for requests. */
export interface RunningDemo {
  url: string;
  server: Server | HttpsServer;
  /** With HTTPS=1: the certificate's SPKI pin, for `--ignore-certificate-errors-spki-list`. */
  spki: string | undefined;
  demo: Demo;
  /** Stops listening, ends open connections, closes the store and the database. */
  close(): Promise<void>;
}

/** Builds the demo and listens on `config.host`:`config.port` (port 0: any free port, see `url`). */
export async function startServer(config: DemoConfig): Promise<RunningDemo> {
  const demo = await createApp(config);
  const certificate = config.https ? demoCertificate(config.dataDir) : undefined;
  const server: Server | HttpsServer = certificate
    ? createHttpsServer({ key: certificate.key, cert: certificate.cert }, demo.app)
    : createServer(demo.app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await demo.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `${certificate ? 'https' : 'http'}://${host}:${port}`,
    spki: certificate?.spki,
    server,
    demo,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await demo.close();
      })();
      return closing;
    },
  };
}
