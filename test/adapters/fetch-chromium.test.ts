/**
 * Device-bound sessions in Chromium on a Fetch API handler (`coatcheck/fetch`, served over HTTPS by
 * test/helpers/fetch-server.ts), through the suite every adapter runs in the browser
 * (test/adapters/device-bound-chromium.ts).
 */
import { MemoryStore } from 'coatcheck';
import { fetchSessions } from 'coatcheck/fetch';
import { listenHttps } from '../../packages/coatcheck/test/helpers/device.js';
import { fetchListener } from '../helpers/fetch-server.js';
import { CHROMIUM_OPTIONS, describeDeviceBoundInChromium, mePage } from './device-bound-chromium.js';

const html = (body: string) =>
  new Response(body, { headers: { 'content-type': 'text/html; charset=utf-8' } });

describeDeviceBoundInChromium('a Fetch API handler', async (served) => {
  const sessions = fetchSessions({ ...CHROMIUM_OPTIONS, store: new MemoryStore() });
  const handler = sessions.wrap(async (request, { session }) => {
    const url = new URL(request.url);
    if (url.pathname === '/signin') {
      await session.rotate();
      session.userId = url.searchParams.get('user') ?? 'alice';
      return html('<title>signed in</title><p>signed in</p>');
    }
    if (url.pathname === '/me') {
      served({
        proven: sessions.deviceBinding(request)?.proven ?? null,
        user: (session.userId as string) ?? null,
      });
      return html(mePage(session.userId));
    }
    return new Response('not found', { status: 404 });
  });
  return { sessions, server: await listenHttps(fetchListener(handler, 'https')) };
});
