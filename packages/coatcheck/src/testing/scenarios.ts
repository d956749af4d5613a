/**
 * The scenarios of the store conformance suite: each is data (a sentence, the capabilities it
 * needs, a body), so the file is long as a table is long.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  SessionPatch,
  SessionRecord,
  SessionStore,
  StoreCapability,
  StoredData,
} from '../stores/contract.js';

/** One check of the store contract. */
export interface StoreScenario {
  /** What the scenario proves, as a sentence. */
  name: string;
  /** Optional store methods the scenario needs; without them it does not apply. */
  needs: readonly StoreCapability[];
  run(store: SessionStore): Promise<void>;
}

const HOUR = 60 * 60 * 1000;

/** A fresh, unique session ID per call, so scenarios never see each other's records. */
export function freshId(label = 'id'): string {
  return `${label}-${randomBytes(12).toString('base64url')}`;
}

/** A record with sensible defaults, for scenarios and for store authors' own tests. */
export function sampleRecord(overrides: Partial<SessionRecord> = {}, data: StoredData = {}): SessionRecord {
  const now = Date.now();
  return {
    data: {
      cookie: {
        originalMaxAge: HOUR,
        expires: new Date(now + HOUR).toISOString(),
        httpOnly: true,
        path: '/',
      },
      ...data,
    },
    expires: now + HOUR,
    created: now,
    touched: now,
    ...overrides,
  };
}

function patchOf(
  set: Record<string, unknown>,
  unset: string[] = [],
  extra: Partial<SessionPatch> = {},
): SessionPatch {
  const now = Date.now();
  return { set, unset, expires: now + HOUR, touched: now, ...extra };
}

function assertSameRecord(
  actual: SessionRecord | undefined,
  expected: SessionRecord,
  message?: string,
): void {
  assert.ok(actual, message ?? 'record is missing');
  assert.deepEqual(actual.data, expected.data, message);
  assert.equal(actual.expires, expected.expires, 'expires');
  assert.equal(actual.created, expected.created, 'created');
  assert.equal(actual.touched, expected.touched, 'touched');
  assert.equal(actual.user ?? undefined, expected.user ?? undefined, 'user');
}

const HOSTILE_IDS = [
  "'; DROP TABLE sessions; --",
  '{"$ne": null}',
  '$where',
  'a.b.c',
  '../../etc/passwd',
  'key with spaces\tand\ttabs',
  'ünïcödé-✓-会话',
  '*?[]{}',
  'x'.repeat(250),
];

/** Every scenario of the store contract, in the order they run. */
export const storeScenarios: readonly StoreScenario[] = [
  {
    name: 'read of an unknown ID resolves undefined',
    needs: [],
    async run(store) {
      assert.equal(await store.read(freshId()), undefined);
    },
  },
  {
    name: 'write then read returns the same record',
    needs: [],
    async run(store) {
      const id = freshId();
      const record = sampleRecord(
        { user: 'user-1' },
        { count: 3, name: 'Ada', nested: { list: [1, 'two', null, true] } },
      );
      await store.write(id, record);
      assertSameRecord(await store.read(id), record);
    },
  },
  {
    name: 'read returns a copy the caller may change',
    needs: [],
    async run(store) {
      const id = freshId();
      await store.write(id, sampleRecord({}, { cart: ['apple'] }));
      const first = await store.read(id);
      assert.ok(first);
      (first.data.cart as string[]).push('pear');
      first.data.extra = 1;
      const second = await store.read(id);
      assert.deepEqual(second?.data.cart, ['apple']);
      assert.equal(second?.data.extra, undefined);
    },
  },
  {
    name: 'write replaces the whole record',
    needs: [],
    async run(store) {
      const id = freshId();
      await store.write(id, sampleRecord({ user: 'u' }, { a: 1, b: 2 }));
      const replacement = sampleRecord({}, { c: 3 });
      await store.write(id, replacement);
      assertSameRecord(await store.read(id), replacement);
    },
  },
  {
    name: 'JSON values of every kind, and awkward keys, survive a round trip',
    needs: [],
    async run(store) {
      const id = freshId();
      const data: StoredData = {
        string: 'quote " backslash \\ newline \n tab \t nul-free ✓ 会话 😀',
        empty: '',
        integer: 42,
        negative: -7,
        float: 3.25,
        big: 2 ** 52,
        yes: true,
        no: false,
        nothing: null,
        list: [1, [2, [3]], { deep: { deeper: 'x' } }],
        object: { 'dotted.key': 1, $dollar: 2, 'space key': 3, '': 4 },
        'a.b': 'dotted top-level key',
        $set: 'operator-looking key',
        "'; DROP TABLE x; --": 'sql-looking key',
      };
      const record = sampleRecord({}, data);
      await store.write(id, record);
      assertSameRecord(await store.read(id), record);
    },
  },
  {
    name: 'a __proto__ key is stored as data and pollutes no prototype',
    needs: [],
    async run(store) {
      const id = freshId();
      const data = JSON.parse(
        '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
      );
      await store.write(id, sampleRecord({}, data));
      const read = await store.read(id);
      assert.ok(read);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(
        Object.getPrototypeOf(read.data) === null || Object.getPrototypeOf(read.data) === Object.prototype,
        true,
      );
      assert.equal((read.data as Record<string, unknown>).polluted, undefined);
    },
  },
  {
    name: 'a large session (200 KB) survives a round trip',
    needs: [],
    async run(store) {
      const id = freshId();
      const record = sampleRecord(
        {},
        { blob: 'x'.repeat(200_000), list: Array.from({ length: 500 }, (_, i) => i) },
      );
      await store.write(id, record);
      assertSameRecord(await store.read(id), record);
    },
  },
  {
    name: 'IDs with SQL, NoSQL and path metacharacters are plain keys',
    needs: [],
    async run(store) {
      const suffix = freshId('');
      for (const hostile of HOSTILE_IDS) {
        const id = hostile + suffix;
        const record = sampleRecord({}, { id: hostile });
        await store.write(id, record);
        assertSameRecord(await store.read(id), record, `id ${JSON.stringify(hostile)}`);
        assert.equal(await store.read(hostile), undefined, 'no prefix or pattern match');
        await store.remove(id);
        assert.equal(await store.read(id), undefined);
      }
    },
  },
  {
    name: 'rotations between IDs with SQL, NoSQL and path metacharacters are forwarded as plain keys',
    needs: ['rotate'],
    async run(store) {
      const suffix = freshId('');
      for (const hostile of HOSTILE_IDS) {
        const oldId = `${hostile}${suffix}`;
        const newId = `${hostile}-new${suffix}`;
        const bystander = `${hostile}-by${suffix}`;
        await store.write(oldId, sampleRecord());
        await store.write(bystander, sampleRecord());
        assert.equal(await store.rotate?.(oldId, newId, sampleRecord()), true);
        await store.remove(hostile);
        assert.ok(await store.read(newId), `id ${JSON.stringify(hostile)}: no prefix or pattern match`);
        await store.remove(oldId);
        assert.equal(await store.read(newId), undefined, `id ${JSON.stringify(hostile)}: followed`);
        assert.ok(await store.read(bystander), `id ${JSON.stringify(hostile)}: a neighbour stays`);
        await store.remove(bystander);
      }
    },
  },
  {
    name: 'remove deletes, and removing a missing session succeeds',
    needs: [],
    async run(store) {
      const id = freshId();
      await store.write(id, sampleRecord());
      await store.remove(id);
      assert.equal(await store.read(id), undefined);
      await store.remove(id);
      await store.remove(freshId());
    },
  },
  {
    name: 'an expired record is never returned',
    needs: [],
    async run(store) {
      const past = freshId();
      await store.write(past, sampleRecord({ expires: Date.now() - 1000 }));
      assert.equal(await store.read(past), undefined);
      const soon = freshId();
      await store.write(soon, sampleRecord({ expires: Date.now() + 300 }));
      assert.ok(await store.read(soon), 'readable before it expires');
      await sleep(400);
      assert.equal(await store.read(soon), undefined, 'gone once expired');
    },
  },
  {
    name: 'patch sets and unsets keys and keeps the others',
    needs: ['patch'],
    async run(store) {
      const id = freshId();
      const record = sampleRecord({ created: Date.now() - 5000 }, { keep: 'me', drop: 'me', change: 1 });
      await store.write(id, record);
      const patch = patchOf({ change: 2, added: { nested: ['x'] } }, ['drop']);
      assert.equal(await store.patch?.(id, patch), true);
      const after = await store.read(id);
      assert.ok(after);
      assert.deepEqual(after.data, {
        cookie: record.data.cookie,
        keep: 'me',
        change: 2,
        added: { nested: ['x'] },
      });
      assert.equal(after.expires, patch.expires);
      assert.equal(after.touched, patch.touched);
      assert.equal(after.created, record.created, 'created never changes');
    },
  },
  {
    name: 'patch of a missing or expired session changes nothing and resolves false',
    needs: ['patch'],
    async run(store) {
      const missing = freshId();
      assert.equal(await store.patch?.(missing, patchOf({ a: 1 })), false);
      assert.equal(await store.read(missing), undefined);
      const expired = freshId();
      await store.write(expired, sampleRecord({ expires: Date.now() - 1 }));
      assert.equal(await store.patch?.(expired, patchOf({ a: 1 })), false);
      assert.equal(await store.read(expired), undefined);
    },
  },
  {
    name: '50 concurrent patches on different keys all land',
    needs: ['patch'],
    async run(store) {
      const id = freshId();
      await store.write(id, sampleRecord());
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.patch?.(id, patchOf({ [`key${i}`]: i }))),
      );
      assert.deepEqual(results, Array(50).fill(true));
      const after = await store.read(id);
      assert.ok(after);
      for (let i = 0; i < 50; i++) assert.equal(after.data[`key${i}`], i, `key${i} kept`);
    },
  },
  {
    name: 'a removed session stays removed whatever concurrent patches do',
    needs: ['patch'],
    async run(store) {
      const id = freshId();
      await store.write(id, sampleRecord({ user: 'racer' }, { loggedIn: true }));
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => store.patch?.(id, patchOf({ [`k${i}`]: i }))),
        store.remove(id),
        ...Array.from({ length: 10 }, (_, i) => store.patch?.(id, patchOf({ [`late${i}`]: i }))),
      ]);
      assert.equal(await store.read(id), undefined);
      assert.equal(await store.patch?.(id, patchOf({ loggedIn: true })), false);
      assert.equal(await store.read(id), undefined);
    },
  },
  {
    name: 'patch moves a session between users and off the index',
    needs: ['patch', 'listByUser'],
    async run(store) {
      const from = freshId('from');
      const to = freshId('to');
      const id = freshId();
      await store.write(id, sampleRecord({ user: from }));
      await store.patch?.(id, patchOf({}, [], { user: to }));
      assert.deepEqual(
        (await store.listByUser?.(from))?.map(([i]) => i),
        [],
      );
      assert.deepEqual(
        (await store.listByUser?.(to))?.map(([i]) => i),
        [id],
      );
      assert.equal((await store.read(id))?.user, to);
      await store.patch?.(id, patchOf({}, [], { user: null }));
      assert.deepEqual(
        (await store.listByUser?.(to))?.map(([i]) => i),
        [],
      );
      assert.equal((await store.read(id))?.user ?? undefined, undefined);
      await store.patch?.(id, patchOf({ x: 1 }));
      assert.equal(
        (await store.read(id))?.user ?? undefined,
        undefined,
        'undefined leaves the owner as it is',
      );
    },
  },
  {
    name: 'refresh moves the expiry and keeps the data',
    needs: ['refresh'],
    async run(store) {
      const id = freshId();
      const record = sampleRecord({ expires: Date.now() + 2000, user: 'u' }, { a: 1 });
      await store.write(id, record);
      const expires = Date.now() + 2 * HOUR;
      const touched = Date.now();
      assert.equal(await store.refresh?.(id, expires, touched), true);
      const after = await store.read(id);
      assert.ok(after);
      assert.deepEqual(after.data, record.data);
      assert.equal(after.expires, expires);
      assert.equal(after.touched, touched);
      assert.equal(after.created, record.created);
      assert.equal(after.user, 'u');
    },
  },
  {
    name: 'refresh keeps a session alive past its first expiry',
    needs: ['refresh'],
    async run(store) {
      const id = freshId();
      await store.write(id, sampleRecord({ expires: Date.now() + 300 }));
      assert.equal(await store.refresh?.(id, Date.now() + HOUR, Date.now()), true);
      await sleep(400);
      assert.ok(await store.read(id), 'still there after the original expiry');
    },
  },
  {
    name: 'refresh of a missing, removed or expired session resolves false and creates nothing',
    needs: ['refresh'],
    async run(store) {
      const missing = freshId();
      assert.equal(await store.refresh?.(missing, Date.now() + HOUR, Date.now()), false);
      assert.equal(await store.read(missing), undefined);
      const removed = freshId();
      await store.write(removed, sampleRecord());
      await store.remove(removed);
      assert.equal(await store.refresh?.(removed, Date.now() + HOUR, Date.now()), false);
      assert.equal(await store.read(removed), undefined);
      const expired = freshId();
      await store.write(expired, sampleRecord({ expires: Date.now() - 1 }));
      assert.equal(await store.refresh?.(expired, Date.now() + HOUR, Date.now()), false);
      assert.equal(await store.read(expired), undefined);
    },
  },
  {
    name: 'rotate moves a live session to the new ID and deletes the old one',
    needs: ['rotate'],
    async run(store) {
      const oldId = freshId('old');
      const newId = freshId('new');
      await store.write(oldId, sampleRecord({ user: 'rotator' }, { cart: ['apple'] }));
      const moved = sampleRecord({ user: 'rotator', created: Date.now() - 5000 }, { cart: ['apple'], n: 2 });
      assert.equal(await store.rotate?.(oldId, newId, moved), true);
      assert.equal(await store.read(oldId), undefined, 'the old ID is dead');
      assertSameRecord(await store.read(newId), moved);
    },
  },
  {
    name: 'rotate of a missing, removed, revoked or expired session resolves false and creates nothing',
    needs: ['rotate'],
    async run(store) {
      const cases: Array<[string, (id: string, user: string) => Promise<unknown>]> = [
        ['missing', async () => {}],
        [
          'removed',
          async (id) => {
            await store.write(id, sampleRecord());
            await store.remove(id);
          },
        ],
        ['expired', (id) => store.write(id, sampleRecord({ expires: Date.now() - 1 }))],
      ];
      if (typeof store.removeByUser === 'function') {
        cases.push([
          'revoked',
          async (id, user) => {
            await store.write(id, sampleRecord({ user }));
            await store.removeByUser?.(user);
          },
        ]);
      }
      for (const [label, setUp] of cases) {
        const oldId = freshId('old');
        const newId = freshId('new');
        const user = freshId('user');
        await setUp(oldId, user);
        const record = sampleRecord({ user }, { signedIn: true });
        assert.equal(await store.rotate?.(oldId, newId, record), false, `${label}: rotate fails`);
        assert.equal(await store.read(newId), undefined, `${label}: no new session`);
        assert.equal(await store.read(oldId), undefined, `${label}: no old session`);
      }
    },
  },
  {
    name: 'a logout racing a rotate is never undone: remove or removeByUser in flight with rotate',
    needs: ['rotate', 'listByUser', 'removeByUser'],
    async run(store) {
      for (let trial = 0; trial < 20; trial++) {
        const user = freshId('user');
        const oldId = freshId('old');
        const newId = freshId('new');
        await store.write(oldId, sampleRecord({ user }, { signedIn: true }));
        const record = sampleRecord({ user }, { signedIn: true });
        // "Log out everywhere" in flight with a rotate: in whichever order the store decides them,
        // the user has no session at the end (removeByUser first: the rotate fails; rotate first:
        // removeByUser finds the new ID).
        const logout = () => store.removeByUser?.(user);
        const rotate = () => store.rotate?.(oldId, newId, record);
        await Promise.all(trial % 2 === 0 ? [rotate(), logout()] : [logout(), rotate()]);
        assert.equal(await store.read(newId), undefined, `trial ${trial}: the new session was removed`);
        assert.equal(await store.read(oldId), undefined, `trial ${trial}: the old session was removed`);
        assert.deepEqual(await store.listByUser?.(user), [], `trial ${trial}: the user has no session`);
      }
      for (let trial = 0; trial < 20; trial++) {
        const oldId = freshId('old');
        const newId = freshId('new');
        await store.write(oldId, sampleRecord({}, { signedIn: true }));
        const rotate = store.rotate?.(oldId, newId, sampleRecord({}, { signedIn: true }));
        await Promise.all(trial % 2 === 0 ? [rotate, store.remove(oldId)] : [store.remove(oldId), rotate]);
        // A remove of the old ID decided before the rotate makes it fail; one decided after it
        // follows the forward the rotate left. Either way nothing of the session is left.
        assert.equal(await store.read(oldId), undefined, `trial ${trial}: the old ID is dead`);
        assert.equal(await store.read(newId), undefined, `trial ${trial}: the new ID is dead`);
      }
    },
  },
  {
    name: 'remove of an old ID after rotate removes what it was rotated to, through every rotation since',
    needs: ['rotate'],
    async run(store) {
      const [a, b, c, d] = [freshId('a'), freshId('b'), freshId('c'), freshId('d')];
      await store.write(a, sampleRecord({}, { signedIn: true }));
      assert.equal(await store.rotate?.(a, b, sampleRecord({}, { signedIn: true })), true);
      assert.equal(await store.rotate?.(b, c, sampleRecord({}, { signedIn: true })), true);
      // A remove of an unrelated ID, or of the newest one, follows nothing backwards.
      const other = freshId('other');
      await store.write(other, sampleRecord());
      await store.remove(freshId('unrelated'));
      assert.ok(await store.read(c), 'an unrelated remove leaves the rotated session');
      await store.remove(a);
      assert.equal(await store.read(c), undefined, 'the session a was rotated to, twice, is removed');
      assert.ok(await store.read(other), 'other sessions stay');
      // The forward of a rotate that failed leads nowhere that could hurt.
      await store.write(d, sampleRecord());
      await store.remove(d);
      const late = freshId('late');
      assert.equal(await store.rotate?.(d, late, sampleRecord()), false);
      await store.remove(d);
      assert.equal(await store.read(late), undefined);
      // Forwards lead only forwards: removing the new ID leaves nothing the old one could revive.
      const [x, y] = [freshId('x'), freshId('y')];
      await store.write(x, sampleRecord());
      assert.equal(await store.rotate?.(x, y, sampleRecord()), true);
      await store.remove(y);
      assert.equal(await store.read(x), undefined);
      assert.equal(await store.read(y), undefined);
    },
  },
  {
    name: 'ids, entries and count list the unexpired sessions',
    needs: ['ids', 'entries', 'count', 'purge'],
    async run(store) {
      await store.purge?.();
      const live = [freshId('a'), freshId('b'), freshId('c')];
      for (const [i, id] of live.entries()) await store.write(id, sampleRecord({}, { i }));
      await store.write(freshId('expired'), sampleRecord({ expires: Date.now() - 1 }));
      assert.deepEqual((await store.ids?.())?.sort(), [...live].sort());
      const entries = await store.entries?.();
      assert.deepEqual(entries?.map(([id, r]) => [id, r.data.i]).sort(), live.map((id, i) => [id, i]).sort());
      assert.equal(await store.count?.(), 3);
    },
  },
  {
    name: 'purge deletes every session',
    needs: ['purge', 'count'],
    async run(store) {
      await store.write(freshId(), sampleRecord());
      await store.write(freshId(), sampleRecord({ user: 'purged' }));
      await store.purge?.();
      assert.equal(await store.count?.(), 0);
    },
  },
  {
    name: 'listByUser finds a user’s live sessions and no one else’s',
    needs: ['listByUser'],
    async run(store) {
      const user = freshId('user');
      const other = freshId('other');
      const mine = [freshId(), freshId(), freshId()];
      for (const id of mine) await store.write(id, sampleRecord({ user }, { device: id }));
      await store.write(freshId(), sampleRecord({ user: other }));
      await store.write(freshId(), sampleRecord({ user, expires: Date.now() - 1 }));
      await store.write(freshId(), sampleRecord());
      const listed = (await store.listByUser?.(user)) ?? [];
      assert.deepEqual(listed.map(([id]) => id).sort(), [...mine].sort());
      for (const [id, record] of listed) {
        assert.equal(record.user, user);
        assert.equal(record.data.device, id);
      }
      assert.deepEqual(await store.listByUser?.(freshId('nobody')), []);
    },
  },
  {
    name: 'a removed session leaves its user’s list',
    needs: ['listByUser'],
    async run(store) {
      const user = freshId('user');
      const [a, b] = [freshId(), freshId()];
      await store.write(a, sampleRecord({ user }));
      await store.write(b, sampleRecord({ user }));
      await store.remove(a);
      assert.deepEqual(
        (await store.listByUser?.(user))?.map(([id]) => id),
        [b],
      );
      await store.write(b, sampleRecord({ user: freshId('new-owner') }));
      assert.deepEqual(await store.listByUser?.(user), [], 'rewriting with another owner re-indexes');
    },
  },
  {
    name: 'removeByUser logs a user out everywhere, or everywhere but here',
    needs: ['listByUser', 'removeByUser'],
    async run(store) {
      const user = freshId('user');
      const bystander = freshId('bystander');
      const ids = [freshId(), freshId(), freshId(), freshId()];
      for (const id of ids) await store.write(id, sampleRecord({ user }));
      await store.write(bystander, sampleRecord({ user: freshId('other') }));
      const [here, ...rest] = ids as [string, ...string[]];
      assert.equal(await store.removeByUser?.(user, here), rest.length);
      for (const id of rest) assert.equal(await store.read(id), undefined);
      assert.ok(await store.read(here), 'the excepted session stays');
      assert.ok(await store.read(bystander), 'other users are untouched');
      assert.equal(await store.removeByUser?.(user), 1);
      assert.equal(await store.read(here), undefined);
      assert.deepEqual(await store.listByUser?.(user), []);
    },
  },
  {
    name: 'removeByUser counts only live sessions: an expired one is not counted and never served',
    needs: ['listByUser', 'removeByUser'],
    async run(store) {
      const user = freshId('user');
      const live = [freshId(), freshId()];
      const expired = freshId('expired');
      for (const id of live) await store.write(id, sampleRecord({ user }));
      await store.write(expired, sampleRecord({ user, expires: Date.now() + 150 }));
      await sleep(300);
      assert.equal(await store.removeByUser?.(user), live.length, 'the expired session is not counted');
      for (const id of [...live, expired]) assert.equal(await store.read(id), undefined);
      assert.deepEqual(await store.listByUser?.(user), []);
      assert.equal(await store.removeByUser?.(user), 0, 'nothing is left to count');
    },
  },
  {
    name: 'user IDs with metacharacters index exactly',
    needs: ['listByUser', 'removeByUser'],
    async run(store) {
      const suffix = freshId('');
      for (const hostile of HOSTILE_IDS) {
        const user = hostile + suffix;
        const id = freshId();
        await store.write(id, sampleRecord({ user }));
        assert.deepEqual(
          (await store.listByUser?.(user))?.map(([i]) => i),
          [id],
          `user ${JSON.stringify(hostile)}`,
        );
        assert.deepEqual(await store.listByUser?.(hostile), []);
        assert.equal(await store.removeByUser?.(user), 1);
      }
    },
  },
];
