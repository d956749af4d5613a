import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { idFromCookie, type SessionApp, sessionApp } from '../../../test/helpers/session-app.js';
import { Client, EXPRESS } from '../../coatcheck/test/helpers/http.js';
import { MongoDBStore } from '../src/index.js';
import { MONGODB_URI, skipWithoutServer, uniqueCollection } from './helpers.js';

// session() on MongoDBStore through real HTTP, on both Express majors: what a user of the store
// relies on (data kept, no lost update across overlapping requests, login rotates, logout ends).
for (const [label, express] of EXPRESS) {
  describe(`MongoDBStore under session() on ${label}`, { skip: skipWithoutServer }, () => {
    const stores: MongoDBStore[] = [];
    const servers: SessionApp[] = [];
    after(async () => {
      for (const server of servers) await server.close();
      for (const store of stores) {
        await store.collection.drop().catch(() => undefined);
        await store.forwards.drop().catch(() => undefined);
        await store.close();
      }
    });

    async function start(): Promise<{ store: MongoDBStore; server: SessionApp }> {
      const store = new MongoDBStore({ uri: MONGODB_URI, collection: uniqueCollection('http') });
      stores.push(store);
      const server = await sessionApp({ store }, { express });
      servers.push(server);
      return { store, server };
    }

    it('keeps every key of 50 overlapping writes on one session', async () => {
      const { server } = await start();
      const client = new Client(server.url);
      assert.equal(await client.text('/set/first/1', { method: 'POST' }), 'ok');
      const cookie = client.cookieHeader();
      const names = Array.from({ length: 50 }, (_, i) => `key${i}`);
      const answers = await Promise.all(
        names.map((name) => client.text(`/slow-set/${name}/v`, { method: 'POST', cookie })),
      );
      assert.deepEqual(new Set(answers), new Set(['ok']));
      const data = (await (await client.fetch('/read')).json()) as Record<string, string>;
      for (const name of names) assert.equal(data[name], 'v', `${name} kept`);
    });

    it('rotates on login (the old ID reads nothing) and a logout removes the record', async () => {
      const { store, server } = await start();
      const client = new Client(server.url);
      await client.text('/set/cart/3', { method: 'POST' });
      const before = client.cookieHeader();
      const oldId = idFromCookie(client.jar.get('connect.sid'));
      const newId = await client.text('/login/ada', { method: 'POST' });
      assert.ok(oldId && newId && oldId !== newId, 'a new ID at login');
      assert.equal(await store.read(oldId), undefined, 'the old record is gone');
      assert.deepEqual(await (await client.fetch('/read')).json(), { cart: '3', userId: 'ada' });
      assert.deepEqual(await (await client.fetch('/read', { cookie: before })).json(), {});
      assert.deepEqual(
        (await store.listByUser('ada')).map(([id]) => id),
        [newId],
      );
      assert.equal(await client.text('/logout', { method: 'POST' }), 'bye');
      assert.equal(await store.read(newId), undefined, 'logout removed the record');
      assert.deepEqual(await store.listByUser('ada'), []);
    });

    it('a tampered cookie is a fresh session, not an error', async () => {
      const { server } = await start();
      const client = new Client(server.url);
      await client.text('/set/a/1', { method: 'POST' });
      const value = client.jar.get('connect.sid') ?? assert.fail('no cookie');
      const tampered = `connect.sid=${value.slice(0, -3)}xyz`;
      const response = await client.fetch('/read', { cookie: tampered });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {});
    });
  });
}
