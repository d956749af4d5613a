// One benchmark server: `server.ts <coatcheck|express-session> <mongodbUri> <collection>`. Prints its
// URL. coatcheck runs session() on a MongoDBStore, the other express-session on
// connect-mongodb-session, as the seed app has it. `/__commands` reports the MongoDB commands the
// server's client has sent so far (the driver's command monitoring): its round trips.
import { MongoDBStore } from '@coatcheck/mongodb';
import session from 'coatcheck';
import connectMongoDBSession from 'connect-mongodb-session';
import type { RequestHandler } from 'express';
import expressSession from 'express-session';
import { MongoClient } from 'mongodb';
import { serveBenchApp } from '../../../scripts/lib/bench-app.js';

const [kind, uri, collection] = process.argv.slice(2) as [string, string, string];
const secret = 'a benchmark secret of at least 32 bytes';
let commands = 0;
let middleware: RequestHandler;
let close: () => Promise<unknown>;
if (kind === 'coatcheck') {
  const client = new MongoClient(uri, { monitorCommands: true });
  client.on('commandStarted', () => commands++);
  middleware = session({ secret, store: new MongoDBStore({ client, collection }) });
  close = () => client.close();
} else {
  const LegacyStore = connectMongoDBSession(expressSession);
  const store = new LegacyStore({ uri, collection, connectionOptions: { monitorCommands: true } } as never);
  // FerretDB refuses its TTL index; without a listener connect-mongodb-session throws that away.
  store.on('error', () => {});
  store.client.on('commandStarted', () => commands++);
  middleware = expressSession({ secret, store, resave: false, saveUninitialized: false });
  close = () => store.client.close();
}

serveBenchApp(middleware, {
  onClose: close,
  routes: (app) =>
    app.get('/__commands', (_req, res) => {
      res.json({ commands });
    }),
});
