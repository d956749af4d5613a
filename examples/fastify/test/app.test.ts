// examples/fastify over real HTTP: the walk every example passes (test/helpers/example-scenario.ts),
// on its SQLite store, served in this process and as `npm start` serves it.
import { testExample } from '../../../test/helpers/example-scenario.js';
import { createApp } from '../src/app.js';

testExample('fastify', new URL('..', import.meta.url), async (store, secret) => {
  const app = await createApp({ store, secret });
  return { url: await app.listen({ port: 0, host: '127.0.0.1' }), close: () => app.close() };
});
