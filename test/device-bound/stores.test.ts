// The device binding is part of the session record: it must round-trip on every store coatcheck
// ships, survive rotate() and refresh (patches of its key), and end with the session.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MongoDBStore } from '@coatcheck/mongodb';
import session, { type SessionStore } from 'coatcheck';
import { BINDING_KEY, type DevicePublicJwk, jwkThumbprint } from 'coatcheck/device-bound';
import express from 'express';
import {
  DeviceKey,
  HttpsClient,
  listenHttps,
  type Registered,
  refresh,
  register,
  type TestHttpsServer,
} from '../../packages/coatcheck/test/helpers/device.js';
import { MONGODB_URI, skipWithoutServer, uniqueCollection } from '../../packages/mongodb/test/helpers.js';
import { type StoreTarget, storeTargets } from '../helpers/stores.js';

const SECRET = 'a device-bound store test secret of thirty-two bytes+';

const mongo: StoreTarget = {
  name: 'MongoDBStore',
  skip: async () => skipWithoutServer,
  async open() {
    const store = new MongoDBStore({ uri: MONGODB_URI, collection: uniqueCollection('dbsc') });
    return {
      store,
      async release() {
        await store.purge();
        await store.close();
      },
    };
  },
};

type Req = express.Request & { session: Record<string, unknown> & { rotate(): Promise<void> } };

interface StoredBinding {
  challenges: Array<{ purpose: string }>;
  key: {
    id: string;
    alg: string;
    jwk: Record<string, string>;
    thumbprint: string;
    since: number;
    refreshed: number;
  };
}

for (const target of [...storeTargets('dbsc'), mongo]) {
  describe(`device binding on ${target.name}`, async () => {
    const skip = await target.skip();
    let store: SessionStore;
    let release: () => Promise<void>;
    let server: TestHttpsServer;
    let sessions: ReturnType<typeof session>;

    before(async () => {
      if (skip) return;
      ({ store, release } = await target.open());
      sessions = session({ secret: SECRET, store, userKey: 'userId', deviceBound: {} });
      const app = express();
      app.use(sessions);
      app.post('/login', async (req, res) => {
        await (req as Req).session.rotate();
        (req as Req).session.userId = 'alice';
        res.send('signed in');
      });
      app.post('/rotate', async (req, res) => {
        await (req as Req).session.rotate();
        res.send('rotated');
      });
      app.get('/me', (req, res) => {
        res.json({
          user: (req as Req).session.userId ?? null,
          proven: sessions.deviceBinding(req)?.proven ?? null,
        });
      });
      server = await listenHttps(app);
    });
    after(async () => {
      await server?.close();
      await release?.();
    });

    function idOf(client: HttpsClient): string {
      const raw = decodeURIComponent(client.jar.get('connect.sid') ?? '');
      return raw.slice(2, raw.lastIndexOf('.'));
    }
    async function stored(client: HttpsClient): Promise<StoredBinding | undefined> {
      return (await store.read(idOf(client)))?.data[BINDING_KEY] as StoredBinding | undefined;
    }
    async function me(client: HttpsClient) {
      return JSON.parse((await client.request('/me')).body) as {
        user: string | null;
        proven: boolean | null;
      };
    }

    it('registration, refresh and rotate() keep the key in the record; revoking ends the binding', {
      skip,
    }, async () => {
      const browser = new HttpsClient(server.url, server.certificate.cert);
      const device = new DeviceKey('ES256');
      const login = await browser.request('/login', { method: 'POST' });
      assert.equal(
        (await stored(browser))?.challenges.length,
        1,
        'the registration challenge is kept for the session',
      );
      const registered: Registered = await register(
        browser,
        device,
        login.headers['secure-session-registration'],
      );

      const bound = await stored(browser);
      assert.ok(bound?.key, 'the key is in the stored record');
      assert.deepEqual(bound.key.jwk, device.jwk);
      assert.equal(bound.key.thumbprint, jwkThumbprint(device.jwk as unknown as DevicePublicJwk));
      assert.deepEqual(bound.challenges, []);
      assert.deepEqual(await me(browser), { user: 'alice', proven: true });

      assert.equal((await refresh(browser, device, registered)).status, 200);
      const refreshed = await stored(browser);
      assert.ok(refreshed && refreshed.key.refreshed >= bound.key.since);
      assert.deepEqual(
        refreshed.challenges.map((c) => c.purpose),
        ['refresh'],
        'the spent challenge is gone, the next one is kept',
      );

      const before = idOf(browser);
      await browser.request('/rotate', { method: 'POST' });
      assert.notEqual(idOf(browser), before);
      assert.equal(await store.read(before), undefined);
      assert.equal(
        (await stored(browser))?.key.thumbprint,
        bound.key.thumbprint,
        'rotate() moved the binding',
      );
      assert.deepEqual(await me(browser), { user: 'alice', proven: true });

      const [info] = await sessions.listByUser('alice');
      assert.equal(info?.deviceBound, true);
      assert.equal(await sessions.revoke('alice', info?.handle as string), true);
      assert.equal(await store.read(idOf(browser)), undefined);
      assert.deepEqual(await me(browser), { user: null, proven: null });
      const answer = await browser.request(registered.refreshUrl, {
        method: 'POST',
        headers: { 'sec-secure-session-id': registered.id },
      });
      assert.equal(answer.status, 401);
    });
  });
}
