/**
 * `fromUrl` in one form in every store package (issue 15): a function the package exports,
 * `fromUrl(url, options?)`, where `options` are the store's other options and reach its
 * constructor, a wrong scheme is a `TypeError` that names the package, and no store class carries
 * a second, static spelling of it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as mongodb from '@coatcheck/mongodb';
import * as mysql from '@coatcheck/mysql';
import * as postgres from '@coatcheck/postgres';
import * as redis from '@coatcheck/redis';
import * as sqlite from '@coatcheck/sqlite';
import type { SessionStore } from 'coatcheck';
import { SERVICES, serviceSkipReason } from '../helpers/services.js';

interface Target {
  pkg: string;
  fromUrl: (url: string, options?: Record<string, unknown>) => SessionStore | Promise<SessionStore>;
  storeClass: object;
  url: string;
  /** Another scheme, or no URL at all. */
  wrongUrl: string;
  /** An option the constructor refuses, and the word its TypeError names. */
  badOption: [Record<string, unknown>, RegExp];
  /** A server `fromUrl` needs before it can reach the constructor. */
  needs?: (typeof SERVICES)[keyof typeof SERVICES];
}

const TARGETS: Target[] = [
  {
    pkg: 'sqlite',
    fromUrl: sqlite.fromUrl as Target['fromUrl'],
    storeClass: sqlite.SQLiteStore,
    url: 'sqlite::memory:',
    wrongUrl: 'file:sessions.db',
    badOption: [{ pruneInterval: -1 }, /pruneInterval/],
  },
  {
    pkg: 'postgres',
    fromUrl: postgres.fromUrl as Target['fromUrl'],
    storeClass: postgres.PostgresStore,
    url: 'postgres://postgres@127.0.0.1:5432/test',
    wrongUrl: 'mysql://root@127.0.0.1/test',
    badOption: [{ pruneInterval: -1 }, /pruneInterval/],
  },
  {
    pkg: 'mysql',
    fromUrl: mysql.fromUrl as Target['fromUrl'],
    storeClass: mysql.MySQLStore,
    url: 'mysql://root@127.0.0.1:3306/test',
    wrongUrl: 'postgres://postgres@127.0.0.1/test',
    badOption: [{ pruneInterval: -1 }, /pruneInterval/],
  },
  {
    pkg: 'mongodb',
    fromUrl: mongodb.fromUrl as Target['fromUrl'],
    storeClass: mongodb.MongoDBStore,
    url: 'mongodb://127.0.0.1:1/app?collection=web_sessions',
    wrongUrl: 'redis://127.0.0.1',
    badOption: [{ pruneInterval: -1 }, /pruneInterval/],
  },
  {
    pkg: 'redis',
    fromUrl: redis.fromUrl as Target['fromUrl'],
    storeClass: redis.RedisStore,
    url: 'redis://127.0.0.1:6379',
    wrongUrl: 'http://127.0.0.1:6379',
    badOption: [{ scanCount: 0 }, /scanCount/],
    needs: SERVICES.redis,
  },
];

describe('fromUrl in every store package', () => {
  for (const target of TARGETS) {
    describe(`@coatcheck/${target.pkg}`, () => {
      it('is a function of the package, and the store class has no static fromUrl', () => {
        assert.equal(typeof target.fromUrl, 'function');
        assert.equal('fromUrl' in target.storeClass, false);
      });

      it('refuses another scheme, or no string, with a TypeError naming the package', async () => {
        for (const url of [target.wrongUrl, undefined, 42]) {
          await assert.rejects(
            async () => target.fromUrl(url as string),
            (err: unknown) =>
              err instanceof TypeError && err.message.startsWith(`@coatcheck/${target.pkg}: fromUrl needs`),
          );
        }
      });

      it("hands its options to the store's constructor", async (t) => {
        const skip = target.needs ? await serviceSkipReason(target.needs) : false;
        if (skip) return t.skip(skip);
        const [options, names] = target.badOption;
        await assert.rejects(
          async () => target.fromUrl(target.url, options),
          (err: unknown) => err instanceof TypeError && names.test(err.message),
        );
        const store = await target.fromUrl(target.url);
        await store.close?.();
      });
    });
  }
});
