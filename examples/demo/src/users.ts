import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { DECOY_HASH, hashPassword, verifyPassword } from './passwords.js';

/** A user as pages see it; the password hash never leaves this module. */
export interface User {
  id: string;
  username: string;
  created: Date;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  created: number;
}

/** Why a sign-up form was refused, by field, in words to show the user. */
export type SignupProblems = Partial<Record<'username' | 'password', string>>;

const USERNAME = /^[a-z0-9][a-z0-9_.-]{2,31}$/;
export const MIN_PASSWORD = 8;
// scrypt reads the whole password; a cap keeps one request from costing megabytes of hashing input.
export const MAX_PASSWORD = 200;

/** Usernames are compared case-insensitively and kept in lower case. */
export function normalizeUsername(input: unknown): string {
  return typeof input === 'string' ? input.trim().toLowerCase() : '';
}

/** What is wrong with a sign-up, field by field; empty when nothing is. */
export function signupProblems(username: string, password: unknown): SignupProblems {
  const problems: SignupProblems = {};
  if (!USERNAME.test(username)) {
    problems.username = '3 to 32 characters: letters, digits, and . _ - (not first).';
  }
  if (typeof password !== 'string' || password.length < MIN_PASSWORD) {
    problems.password = `At least ${MIN_PASSWORD} characters.`;
  } else if (password.length > MAX_PASSWORD) {
    problems.password = `At most ${MAX_PASSWORD} characters.`;
  }
  return problems;
}

/** The demo's accounts, in a `users` table of the demo's SQLite database. */
export class UserDirectory {
  readonly #byName: Database.Statement<[string], UserRow>;
  readonly #byId: Database.Statement<[string], UserRow>;
  readonly #insert: Database.Statement<[string, string, string, number]>;
  readonly #notBefore: Database.Statement<[string], { sessions_not_before: number | null }>;
  readonly #setNotBefore: Database.Statement<[number, string]>;

  constructor(db: Database.Database) {
    db.exec(
      'CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE, ' +
        'password_hash TEXT NOT NULL, created INTEGER NOT NULL)',
    );
    // Databases made before cookie sessions lack the column; add it in place.
    const columns = db.pragma('table_info(users)') as Array<{ name: string }>;
    if (!columns.some((c) => c.name === 'sessions_not_before')) {
      db.exec('ALTER TABLE users ADD COLUMN sessions_not_before INTEGER');
    }
    this.#byName = db.prepare('SELECT * FROM users WHERE username = ?');
    this.#byId = db.prepare('SELECT * FROM users WHERE id = ?');
    this.#insert = db.prepare('INSERT INTO users (id, username, password_hash, created) VALUES (?, ?, ?, ?)');
    this.#notBefore = db.prepare('SELECT sessions_not_before FROM users WHERE id = ?');
    this.#setNotBefore = db.prepare('UPDATE users SET sessions_not_before = ? WHERE id = ?');
  }

  /** Creates an account; `undefined` when the username is taken. Validate with {@link signupProblems} first. */
  async create(username: string, password: string): Promise<User | undefined> {
    if (this.#byName.get(username)) return undefined;
    const hash = await hashPassword(password);
    const user = { id: randomUUID(), username, created: new Date() };
    try {
      this.#insert.run(user.id, user.username, hash, user.created.getTime());
    } catch (err) {
      // Two sign-ups for one name raced past the check above; the UNIQUE constraint picked one.
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return undefined;
      throw err;
    }
    return user;
  }

  /** The user whose username and password these are, or `undefined`, in the same time either way. */
  async authenticate(username: string, password: unknown): Promise<User | undefined> {
    if (typeof password !== 'string' || password.length > MAX_PASSWORD) return undefined;
    const row = this.#byName.get(normalizeUsername(username));
    const matches = await verifyPassword(password, row?.password_hash ?? DECOY_HASH);
    return row && matches ? toUser(row) : undefined;
  }

  /**
   * When the user last logged out everywhere, for cookie sessions: a sealed cookie issued before it
   * is refused. `undefined` when never.
   */
  sessionsNotBefore(id: string): number | undefined {
    return this.#notBefore.get(id)?.sessions_not_before ?? undefined;
  }

  /** Ends every cookie session of the user issued before now. */
  logOutEverywhere(id: string, now = Date.now()): void {
    this.#setNotBefore.run(now, id);
  }

  find(id: string): User | undefined {
    const row = this.#byId.get(id);
    return row ? toUser(row) : undefined;
  }
}

function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, created: new Date(row.created) };
}
