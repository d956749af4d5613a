import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SQLiteStore } from '@coatcheck/sqlite';
import { MemoryStore, type SessionStore } from 'coatcheck';
import { UnauthorizedError } from '../../src/errors.js';
import { refreshTokens } from '../../src/refresh/rotation.js';

const code = (expected: string) => (error: unknown) => {
  assert.ok(error instanceof UnauthorizedError, String(error));
  assert.equal(error.code, expected);
  return true;
};

// The same scenarios on an in-memory store and on SQLite (transactions, real SQL): the rotation only
// relies on the store contract.
const stores: Array<[string, () => MemoryStore | SQLiteStore]> = [
  ['MemoryStore', () => new MemoryStore({ pruneInterval: 0 })],
  ['SQLiteStore', () => new SQLiteStore({ path: ':memory:', pruneInterval: 0 })],
];

for (const [storeName, createStore] of stores)
  describe(`refreshTokens on ${storeName}`, () => {
    it('rotates: each use returns a new token of the same family, carrying subject and data', async () => {
      const refresh = refreshTokens({ store: createStore() });
      const first = await refresh.issue('user-1', { role: 'admin' });
      assert.match(first.token, /^[A-Za-z0-9_-]{64}$/);
      const second = await refresh.rotate(first.token);
      const third = await refresh.rotate(second.token);
      assert.notEqual(second.token, first.token);
      assert.notEqual(third.token, second.token);
      assert.equal(third.family, first.family);
      assert.equal(third.subject, 'user-1');
      assert.deepEqual(third.data, { role: 'admin' });
    });

    it('detects reuse: presenting a used token revokes the whole family', async () => {
      const refresh = refreshTokens({ store: createStore() });
      const first = await refresh.issue('user-1');
      const second = await refresh.rotate(first.token);
      await assert.rejects(refresh.rotate(first.token), code('revoked_token'));
      // The thief's or the user's newer token dies with the family.
      await assert.rejects(refresh.rotate(second.token), code('invalid_token'));
    });

    it('detects reuse when every record but the family is gone (evicted), and never treats that as a valid token', async () => {
      const store = createStore();
      const refresh = refreshTokens({ store });
      const first = await refresh.issue('user-1');
      const stolen = await refresh.rotate(first.token);
      const latest = await refresh.rotate(stolen.token);
      // A bounded store evicts whatever it likes: here, everything the rotations wrote.
      for (const [id] of await store.entries()) {
        if (!id.includes(latest.family)) await store.remove(id);
      }
      assert.ok((await store.entries()).length >= 1, 'the family record is kept');
      await assert.rejects(refresh.rotate(first.token), code('revoked_token'));
      await assert.rejects(refresh.rotate(latest.token), code('invalid_token'));
      assert.deepEqual(await store.entries(), [], 'the family is gone');
    });

    it('refuses a token that outlived its ttl without calling it reuse', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      const refresh = refreshTokens({ store: createStore(), ttl: 60, familyTtl: 600 });
      const first = await refresh.issue('user-1');
      t.mock.timers.tick(61_000);
      await assert.rejects(refresh.rotate(first.token), code('invalid_token'));
      // Not revoked: a new login's family is unaffected, and this family was not either.
      const again = await refresh.issue('user-1');
      assert.equal((await refresh.rotate(again.token)).subject, 'user-1');
    });

    it('refuses a forged token naming no family, and does not revoke anything for it', async () => {
      const refresh = refreshTokens({ store: createStore() });
      const issued = await refresh.issue('user-1');
      const forged = 'A'.repeat(issued.token.length);
      await assert.rejects(refresh.rotate(forged), code('invalid_token'));
      assert.equal((await refresh.rotate(issued.token)).subject, 'user-1');
    });

    it('lets at most one of two concurrent uses of a token through, and treats the other as reuse', async () => {
      for (let round = 0; round < 25; round++) {
        const refresh = refreshTokens({ store: createStore() });
        const { token } = await refresh.issue(`user-${round}`);
        const results = await Promise.allSettled([refresh.rotate(token), refresh.rotate(token)]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        // The loser revokes the family; when that lands before the winner has moved the family on,
        // the winner is refused too, rather than handed a token that is already dead.
        assert.ok(won.length <= 1, `round ${round}`);
        assert.ok(
          lost.some((r) => r.reason instanceof UnauthorizedError && r.reason.code === 'revoked_token'),
        );
        for (const r of lost) assert.ok(r.reason instanceof UnauthorizedError, String(r.reason));
        for (const r of won) {
          await assert.rejects(
            refresh.rotate((r as PromiseFulfilledResult<{ token: string }>).value.token),
            code('invalid_token'),
          );
        }
        await assert.rejects(refresh.rotate(token), code('invalid_token'));
      }
    });

    it('with reuseGrace, refuses a concurrent second use without revoking, so the winner carries on', async () => {
      for (let round = 0; round < 10; round++) {
        const refresh = refreshTokens({ store: createStore(), reuseGrace: 5_000 });
        const { token } = await refresh.issue(`user-${round}`);
        const results = await Promise.allSettled([refresh.rotate(token), refresh.rotate(token)]);
        const won = results.filter((r) => r.status === 'fulfilled');
        assert.equal(won.length, 1, `round ${round}`);
        code('invalid_token')((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason);
        const next = await refresh.rotate((won[0] as PromiseFulfilledResult<{ token: string }>).value.token);
        assert.equal(next.subject, `user-${round}`);
      }
    });

    it('with reuseGrace, still revokes the family for a reuse after the window', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      const refresh = refreshTokens({ store: createStore(), reuseGrace: 2_000 });
      const first = await refresh.issue('user-1');
      const second = await refresh.rotate(first.token);
      t.mock.timers.tick(1_000);
      await assert.rejects(refresh.rotate(first.token), code('invalid_token'));
      t.mock.timers.tick(1_500);
      await assert.rejects(refresh.rotate(first.token), code('revoked_token'));
      await assert.rejects(refresh.rotate(second.token), code('invalid_token'));
    });

    it('spends a token once among many concurrent uses', async () => {
      const refresh = refreshTokens({ store: createStore(), reuseGrace: 5_000 });
      const { token } = await refresh.issue('user-1');
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => refresh.rotate(token)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const strict = refreshTokens({ store: createStore() });
      const second = await strict.issue('user-2');
      const strictResults = await Promise.allSettled(
        Array.from({ length: 8 }, () => strict.rotate(second.token)),
      );
      assert.ok(strictResults.filter((r) => r.status === 'fulfilled').length <= 1);
    });

    it('keeps families apart: revoking one leaves the others working', async () => {
      const refresh = refreshTokens({ store: createStore() });
      const laptop = await refresh.issue('user-1');
      const phone = await refresh.issue('user-1');
      await refresh.rotate(laptop.token);
      await assert.rejects(refresh.rotate(laptop.token), code('revoked_token'));
      assert.equal((await refresh.rotate(phone.token)).family, phone.family);
    });

    it('refuses unknown, malformed and revoked tokens as invalid_token', async () => {
      const refresh = refreshTokens({ store: createStore() });
      for (const token of ['', 'short', 'x'.repeat(43), 'x'.repeat(64), 'a b'.repeat(20), 42]) {
        await assert.rejects(refresh.rotate(token as string), code('invalid_token'));
      }
      const issued = await refresh.issue('user-1');
      await refresh.revoke(issued.token);
      await assert.rejects(refresh.rotate(issued.token), code('invalid_token'));
      const other = await refresh.issue('user-2');
      assert.ok((await refresh.revokeFamily(other.family)) >= 2);
      await assert.rejects(refresh.rotate(other.token), code('invalid_token'));
    });

    it('stores only hashes of tokens', async () => {
      const store = createStore();
      const refresh = refreshTokens({ store });
      const { token } = await refresh.issue('user-1', { note: 'x' });
      await refresh.rotate(token);
      const dump = JSON.stringify(await store.entries());
      assert.ok(!dump.includes(token));
    });

    it('expires tokens after ttl, and never lets rotation outlive the family', async (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      const refresh = refreshTokens({ store: createStore(), ttl: 60, familyTtl: 100 });
      const first = await refresh.issue('user-1');
      assert.equal(first.expires, Date.now() + 60_000);
      t.mock.timers.tick(50_000);
      const second = await refresh.rotate(first.token);
      assert.equal(second.expires, Date.now() + 50_000, 'capped by the family');
      t.mock.timers.tick(51_000);
      await assert.rejects(refresh.rotate(second.token), code('invalid_token'));
      const third = await refresh.issue('user-2');
      t.mock.timers.tick(61_000);
      await assert.rejects(refresh.rotate(third.token), code('invalid_token'));
    });

    it('needs a store with patch and removeByUser, and sane durations', () => {
      const full = createStore();
      const withoutIndex: SessionStore = {
        // The same store with its user index hidden.
        name: `${storeName}-without-user-index`,
        read: (id) => full.read(id),
        write: (id, record) => full.write(id, record),
        remove: (id) => full.remove(id),
        patch: (id, patch) => full.patch(id, patch),
      };
      assert.throws(() => refreshTokens({ store: withoutIndex }), /removeByUser/);
      assert.throws(() => refreshTokens({} as never), TypeError);
      assert.throws(() => refreshTokens({ store: full, ttl: 'forever' }), TypeError);
      assert.throws(() => refreshTokens({ store: full, familyTtl: 0 }), TypeError);
      assert.throws(() => refreshTokens({ store: full, reuseGrace: -1 }), TypeError);
    });
  });

describe('refreshTokens on a bounded MemoryStore', () => {
  it('detects reuse in a bounded store flooded with other sessions while the family stays in use', async () => {
    const store = new MemoryStore({ max: 40, pruneInterval: 0 });
    const refresh = refreshTokens({ store });
    const first = await refresh.issue('victim');
    let current = await refresh.rotate(first.token); // the thief's copy, used first
    for (let round = 0; round < 30; round++) {
      // Signed-in sessions of other users fill the store between the thief's refreshes.
      for (let i = 0; i < 8; i++) {
        const at = Date.now();
        await store.write(`other-${round}-${i}`, {
          data: { n: i },
          expires: at + 60_000,
          created: at,
          touched: at,
          user: `user-${round}-${i}`,
        });
      }
      current = await refresh.rotate(current.token);
    }
    assert.ok((await store.count()) <= 40);
    // The victim comes back with the token the thief spent first: the family dies.
    await assert.rejects(refresh.rotate(first.token), code('revoked_token'));
    await assert.rejects(refresh.rotate(current.token), code('invalid_token'));
  });
});
