// examples/koa over real HTTP: the walk every example passes (test/helpers/example-scenario.ts),
// on its SQLite store, served in this process and as `npm start` serves it.
import { listen } from '../../../packages/coatcheck/test/helpers/http.js';
import { testExample } from '../../../test/helpers/example-scenario.js';
import { createApp } from '../src/app.js';

testExample('koa', new URL('..', import.meta.url), (store, secret) =>
  listen(createApp({ store, secret }).callback()),
);
