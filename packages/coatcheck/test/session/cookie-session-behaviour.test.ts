import { type CookieSessionOptions, cookieSession } from 'coatcheck';
import { describeSessionBehaviour } from './behaviour.js';

describeSessionBehaviour({
  label: 'cookieSession()',
  cookieName: 'session',
  make: (options) => cookieSession(options as unknown as CookieSessionOptions),
  shared: () => ({}),
  nullClears: true,
});
