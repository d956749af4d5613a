// connect-mongodb-session ships no types; only what the migration test uses.
declare module 'connect-mongodb-session' {
  import type { Store } from 'express-session';
  import type { MongoClient } from 'mongodb';

  interface LegacyMongoDBStore extends Store {
    client: MongoClient;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'connected', listener: () => void): this;
  }
  export default function connectMongoDBSession(
    session: unknown,
  ): new (options: {
    uri: string;
    collection: string;
    databaseName?: string;
  }) => LegacyMongoDBStore;
}
