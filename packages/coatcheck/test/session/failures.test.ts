import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MemoryStore, type SessionRecord } from 'coatcheck';
import type { SessionPatch } from 'coatcheck/stores';
import { sessionApp } from '../helpers/app.js';
import { Client, EXPRESS } from '../helpers/http.js';

/** A real MemoryStore that can be told to fail each operation in a chosen way. */
class FailingStore extends MemoryStore {
  mode: 'ok' | 'throw' | 'reject' | 'hang' = 'ok';
  #fail<T>(run: () => Promise<T>): Promise<T> {
    switch (this.mode) {
      case 'throw':
        throw new Error('driver exploded synchronously');
      case 'reject':
        return Promise.reject(new Error('connection refused'));
      case 'hang':
        return new Promise<T>(() => {});
      default:
        return run();
    }
  }
  override read(id: string): Promise<SessionRecord | undefined> {
    return this.#fail(() => super.read(id));
  }
  override write(id: string, record: SessionRecord): Promise<void> {
    return this.#fail(() => super.write(id, record));
  }
  override patch(id: string, patch: SessionPatch): Promise<boolean> {
    return this.#fail(() => super.patch(id, patch));
  }
}

for (const [framework, makeApp] of EXPRESS) {
  describe(`session failures on ${framework}`, () => {
    const servers: Array<{ close(): Promise<void> }> = [];
    after(() => Promise.all(servers.map((s) => s.close())));

    const cases = [
      ['throws', 'throw', 'ERR_STORE'],
      ['rejects', 'reject', 'ERR_STORE'],
      ['never answers', 'hang', 'ERR_STORE_TIMEOUT'],
    ] as const;
    for (const [label, mode, code] of cases) {
      it(`a store that ${label} gives 503 ${code} through next(err), for reads and for saves`, async () => {
        const store = new FailingStore();
        const server = await sessionApp(makeApp, { store, storeTimeout: 150 });
        servers.push(server);
        const client = new Client(server.url);
        await client.fetch('/views');
        await client.fetch('/views');
        store.mode = mode;
        const started = Date.now();
        const reading = await client.fetch('/views');
        assert.equal(reading.status, 503);
        const body = (await reading.json()) as { code: string };
        assert.equal(body.code, code);
        assert.ok(Date.now() - started < 2000, 'bounded time');
        assert.deepEqual(reading.setCookies, []);

        // Saves fail too, and the response does not pretend the write happened.
        store.mode = 'ok';
        const fresh = new Client(server.url);
        const probe = await fresh.fetch('/nothing');
        assert.equal(probe.status, 200);
        store.mode = mode;
        const saving = await fresh.fetch('/views');
        assert.equal(saving.status, 503);
        assert.deepEqual(saving.setCookies, [], 'no cookie for a session that was not stored');

        store.mode = 'ok';
        assert.equal(await client.text('/views'), '3', 'nothing stored before the failure was lost');
      });
    }

    for (const [label, mode] of [
      ['throws', 'throw'],
      ['never answers', 'hang'],
    ] as const) {
      it(`onStoreError: 'continue' carries on with an unsaved session when the store ${label}, and loses nothing`, async () => {
        const store = new FailingStore();
        const server = await sessionApp(makeApp, { store, storeTimeout: 150, onStoreError: 'continue' });
        servers.push(server);
        const errors: string[] = [];
        server.middleware.on('storeError', ({ error }) => errors.push(`${error.code}:${error.operation}`));
        const client = new Client(server.url);
        await client.fetch('/views');
        const cookie = client.jar.get('connect.sid');
        store.mode = mode;
        const during = await client.fetch('/views');
        assert.equal(during.status, 200);
        assert.equal(await during.text(), '1', 'a fresh session for this request');
        assert.deepEqual(during.setCookies, [], 'no cookie for a session that is not stored');
        assert.equal(client.jar.get('connect.sid'), cookie);
        assert.deepEqual(errors, [mode === 'hang' ? 'ERR_STORE_TIMEOUT:read' : 'ERR_STORE:read']);
        store.mode = 'ok';
        assert.equal(await client.text('/views'), '2', 'the stored session is back, as it was');
      });
    }

    it('data that cannot be serialized is a clear error naming the key, and nothing stored is lost', async () => {
      const store = new MemoryStore();
      const server = await sessionApp(makeApp, { store }, (app) => {
        app.post('/bigint', (req: { session: Record<string, unknown> }, res: { send(b: string): void }) => {
          req.session.big = 10n;
          res.send('ok');
        });
        app.post('/circular', (req: { session: Record<string, unknown> }, res: { send(b: string): void }) => {
          const loop: Record<string, unknown> = {};
          loop.self = loop;
          req.session.loop = loop;
          res.send('ok');
        });
      });
      servers.push(server);
      const client = new Client(server.url);
      await client.fetch('/views');
      for (const [path, key] of [
        ['/bigint', 'big'],
        ['/circular', 'loop'],
      ]) {
        const response = await client.fetch(path as string, { method: 'POST' });
        assert.equal(response.status, 500);
        assert.deepEqual(await response.json(), { code: 'ERR_SESSION_SERIALIZE', status: 500, key });
      }
      assert.equal(await client.text('/views'), '2');
    });
  });
}
