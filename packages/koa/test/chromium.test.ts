/**
 * Device-bound sessions in Chromium on Koa 3 (`@coatcheck/koa`), through the suite every adapter
 * runs in the browser (test/adapters/device-bound-chromium.ts).
 */
import { MemoryStore } from 'coatcheck';
import Koa from 'koa';
import {
  CHROMIUM_OPTIONS,
  describeDeviceBoundInChromium,
  mePage,
} from '../../../test/adapters/device-bound-chromium.js';
import { listenHttps } from '../../coatcheck/test/helpers/device.js';
import { session } from '../src/index.js';

describeDeviceBoundInChromium('Koa 3', async (served) => {
  const sessions = session({ ...CHROMIUM_OPTIONS, store: new MemoryStore() });
  const app = new Koa();
  app.use(sessions);
  app.use(async (ctx) => {
    if (ctx.path === '/signin') {
      const held = ctx.session;
      await held.rotate();
      held.userId = String(ctx.query.user ?? 'alice');
      ctx.type = 'html';
      ctx.body = '<title>signed in</title><p>signed in</p>';
    } else if (ctx.path === '/me') {
      const user = ctx.session.userId;
      served({ proven: sessions.deviceBinding(ctx)?.proven ?? null, user: (user as string) ?? null });
      ctx.type = 'html';
      ctx.body = mePage(user);
    } else {
      ctx.status = 404;
    }
  });
  return { sessions, server: await listenHttps(app.callback()) };
});
