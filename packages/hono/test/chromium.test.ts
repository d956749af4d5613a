/**
 * Device-bound sessions in Chromium on Hono (`@coatcheck/hono`, served by @hono/node-server),
 * through the suite every adapter runs in the browser (test/adapters/device-bound-chromium.ts).
 */
import { getRequestListener } from '@hono/node-server';
import { MemoryStore } from 'coatcheck';
import { Hono } from 'hono';
import {
  CHROMIUM_OPTIONS,
  describeDeviceBoundInChromium,
  mePage,
} from '../../../test/adapters/device-bound-chromium.js';
import { listenHttps } from '../../coatcheck/test/helpers/device.js';
import { type SessionEnv, session } from '../src/index.js';

describeDeviceBoundInChromium('Hono', async (served) => {
  const sessions = session({ ...CHROMIUM_OPTIONS, store: new MemoryStore() });
  const app = new Hono<SessionEnv>();
  app.use(sessions);
  app.get('/signin', async (c) => {
    const held = c.get('session');
    await held.rotate();
    held.userId = c.req.query('user') ?? 'alice';
    return c.html('<title>signed in</title><p>signed in</p>');
  });
  app.get('/me', (c) => {
    const user = c.get('session').userId;
    served({ proven: sessions.deviceBinding(c)?.proven ?? null, user: (user as string) ?? null });
    return c.html(mePage(user));
  });
  return { sessions, server: await listenHttps(getRequestListener(app.fetch)) };
});
