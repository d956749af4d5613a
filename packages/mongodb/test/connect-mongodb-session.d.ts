// connect-mongodb-session ships no types; only what the migration test uses.
declare module 'connect-mongodb-session' {
  import type { Store } from 'express-session';
  import type { MongoClient } from 'mongodb';

  interface LegacyMongoDBStore extends Store {
    client: MongoClient;
    // Its all() takes only a callback (and, on the mongodb driver 6, never calls it).
    // biome-ignore lint/suspicious/noExplicitAny: express-session's Store types the callback's value
    all(callback: (err: any, sessions?: any) => void): void;
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
