/**
 * Device-bound sessions in Chromium on Fastify 5 (`@coatcheck/fastify`), through the suite every
 * adapter runs in the browser (test/adapters/device-bound-chromium.ts).
 */
import { MemoryStore } from 'coatcheck';
import Fastify from 'fastify';
import {
  CHROMIUM_OPTIONS,
  describeDeviceBoundInChromium,
  mePage,
} from '../../../test/adapters/device-bound-chromium.js';
import { listenHttps } from '../../coatcheck/test/helpers/device.js';
import { session } from '../src/index.js';

type Data = Record<string, unknown>;

describeDeviceBoundInChromium('Fastify 5', async (served) => {
  const app = Fastify();
  await app.register(session, { ...CHROMIUM_OPTIONS, store: new MemoryStore() });
  app.get<{ Querystring: { user?: string } }>('/signin', async (request, reply) => {
    const held = request.session;
    await held.rotate();
    (held as unknown as Data).userId = String(request.query.user ?? 'alice');
    return reply.type('text/html').send('<title>signed in</title><p>signed in</p>');
  });
  app.get('/me', async (request, reply) => {
    const user = (request.session as unknown as Data).userId;
    served({ proven: app.sessions.deviceBinding(request)?.proven ?? null, user: (user as string) ?? null });
    return reply.type('text/html').send(mePage(user));
  });
  await app.ready();
  return { sessions: app.sessions, server: await listenHttps((req, res) => app.routing(req, res)) };
});
