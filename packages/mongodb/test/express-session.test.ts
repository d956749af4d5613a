import { after, describe, it } from 'node:test';
import { assertWorksUnderExpressSession } from '../../../test/helpers/express-session.js';
import { MongoDBStore } from '../src/index.js';
import { MONGODB_URI, skipWithoutServer, uniqueCollection } from './helpers.js';

describe('MongoDBStore handed to express-session', { skip: skipWithoutServer }, () => {
  let store: MongoDBStore | undefined;
  after(async () => {
    await store?.collection.drop().catch(() => undefined);
    await store?.forwards.drop().catch(() => undefined);
    await store?.close();
  });

  it('keeps data set on one request for the next, and forgets it on destroy', async () => {
    store = new MongoDBStore({ uri: MONGODB_URI, collection: uniqueCollection('express_session') });
    await assertWorksUnderExpressSession(store);
  });
});
