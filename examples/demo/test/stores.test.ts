import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SERVICES, serviceSkipReason } from '../../../test/helpers/services.js';
import { Client, csrfTokenIn } from './helpers/http.js';
import { startInProcess, tempDataDir } from './helpers/server.js';

// SESSION_STORE switches the store with no code change; each case runs on its real server.
const STORES = [
  { url: 'redis://127.0.0.1:6379', label: 'Redis', service: SERVICES.redis },
  { url: 'postgres://postgres@127.0.0.1:5432/test', label: 'PostgreSQL', service: SERVICES.postgres },
  { url: 'mysql://root@127.0.0.1:3306/test', label: 'MySQL', service: SERVICES.mysql },
] as const;

/**
 * MongoDB: the FerretDB scripts/test.mjs starts (MONGODB_URI), a collection of this run's own.
 * Outside CI a missing one skips with one line saying how to build it; in CI it fails.
 */
function mongodbSkipReason(): string | false {
  if (process.env.MONGODB_URI) return false;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(
      'MONGODB_URI is not set, and CI requires a MongoDB server (FerretDB, started by scripts/test.mjs)',
    );
  }
  const reason = 'MONGODB_URI is not set; build FerretDB with: node tools/ferretdb/ferretdb.mjs build';
  console.log(`# skipping the demo on MongoDB: ${reason}`);
  return reason;
}
const mongodbUrl = `${process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/test'}?collection=demo_${randomBytes(4).toString('hex')}`;
const CASES = [
  ...(await Promise.all(
    STORES.map(async ({ url, label, service }) => ({ url, label, skip: await serviceSkipReason(service) })),
  )),
  { url: mongodbUrl, label: 'MongoDB', skip: mongodbSkipReason() },
];

for (const { url, label, skip } of CASES) {
  describe(`SESSION_STORE=${url}`, { skip }, () => {
    it('keeps the cart, lists devices and logs out everywhere else, as with SQLite', async () => {
      const data = tempDataDir();
      const demo = await startInProcess(data.path, { SESSION_STORE: url });
      try {
        assert.equal(demo.demo.storeLabel, label);
        const username = `u${Date.now().toString(36)}`;
        const laptop = new Client(demo.url);
        const home = await laptop.get('/');
        await laptop.post('/cart/add', { _csrf: csrfTokenIn(home.body), product: 'umbrella' });
        const signup = await laptop.get('/signup');
        const reply = await laptop.post('/signup', {
          _csrf: csrfTokenIn(signup.body),
          username,
          password: 'correct horse battery',
        });
        assert.equal(reply.status, 303);
        const cart = await laptop.get('/cart');
        assert.match(cart.body, /data-product="umbrella"/);
        assert.match(cart.body, new RegExp(`Sessions in ${label}`));

        const phone = new Client(demo.url);
        const login = await phone.get('/login');
        await phone.post('/login', {
          _csrf: csrfTokenIn(login.body),
          username,
          password: 'correct horse battery',
        });
        const devices = await laptop.get('/devices');
        assert.equal(devices.body.match(/data-testid="device"/g)?.length, 2);

        await laptop.post('/devices/revoke-others', { _csrf: csrfTokenIn(devices.body) });
        assert.equal((await phone.get('/devices')).status, 401);
        assert.equal((await laptop.get('/devices')).status, 200);
      } finally {
        await demo.close();
        data.remove();
      }
    });
  });
}
