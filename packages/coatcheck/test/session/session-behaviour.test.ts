import { MemoryStore, type SessionOptions, session } from 'coatcheck';
import { describeSessionBehaviour } from './behaviour.js';

describeSessionBehaviour({
  label: 'session()',
  cookieName: 'connect.sid',
  make: (options) => session(options as unknown as SessionOptions),
  shared: () => ({ store: new MemoryStore() }),
});
