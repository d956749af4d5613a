// One benchmark server: `server.ts <coatcheck|express-session> <redisUrl> <prefix>`. Prints its URL.
// Both kinds use one node-redis client; coatcheck runs session() on a RedisStore, the other
// express-session on connect-redis, as an application migrating today would have it.

import { RedisStore } from '@coatcheck/redis';
import session from 'coatcheck';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import type { RequestHandler } from 'express';
import expressSession from 'express-session';
import { createClient } from 'redis';
import { serveBenchApp } from '../../../scripts/lib/bench-app.js';

const [kind, redisUrl, prefix] = process.argv.slice(2) as [string, string, string];
const secret = 'a benchmark secret of at least 32 bytes';
const client = await createClient({ url: redisUrl }).connect();

const middleware: RequestHandler =
  kind === 'coatcheck'
    ? session({ secret, store: new RedisStore({ client, prefix }) })
    : expressSession({
        secret,
        store: new ConnectRedisStore({ client, prefix }),
        resave: false,
        saveUninitialized: false,
      });

serveBenchApp(middleware, { onClose: () => client.quit() });
