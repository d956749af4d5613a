/**
 * Device-bound sessions in Chromium on Express (`session()`), through the suite every adapter runs
 * in the browser (test/adapters/device-bound-chromium.ts).
 */
import session, { MemoryStore } from 'coatcheck';
import express from 'express';
import {
  CHROMIUM_OPTIONS,
  describeDeviceBoundInChromium,
  mePage,
} from '../../../../test/adapters/device-bound-chromium.js';
import { listenHttps } from '../helpers/device.js';

type Req = express.Request & { session: Record<string, unknown> & { rotate(): Promise<void> } };

describeDeviceBoundInChromium('Express', async (served) => {
  const sessions = session({ ...CHROMIUM_OPTIONS, store: new MemoryStore() });
  const app = express();
  app.use(sessions);
  app.get('/signin', async (req, res) => {
    await (req as Req).session.rotate();
    (req as Req).session.userId = String(req.query.user ?? 'alice');
    res.type('html').send('<title>signed in</title><p>signed in</p>');
  });
  app.get('/me', (req, res) => {
    const user = (req as Req).session.userId;
    served({ proven: sessions.deviceBinding(req)?.proven ?? null, user: (user as string) ?? null });
    res.type('html').send(mePage(user));
  });
  return { sessions, server: await listenHttps(app) };
});
