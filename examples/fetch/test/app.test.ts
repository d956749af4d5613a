// examples/fetch over real HTTP: the walk every example passes (test/helpers/example-scenario.ts),
// on its SQLite store, served in this process and as `npm start` serves it.
import { getRequestListener } from '@hono/node-server';
import { listen } from '../../../packages/coatcheck/test/helpers/http.js';
import { testExample } from '../../../test/helpers/example-scenario.js';
import { createHandler } from '../src/app.js';

testExample('fetch', new URL('..', import.meta.url), (store, secret) =>
  listen(getRequestListener(createHandler({ store, secret }))),
);
