// A server for session.bench.ts: `session-server.ts <bare|coatcheck|express-session>`, each on its
// own MemoryStore. Prints its URL.
import session from 'coatcheck';
import expressSession from 'express-session';
import { serveBenchApp } from '../../../scripts/lib/bench-app.js';

const secret = 'a benchmark secret that is at least thirty-two bytes long';
const kind = process.argv[2];
if (kind !== 'bare' && kind !== 'coatcheck' && kind !== 'express-session')
  throw new Error(`unknown kind ${kind}`);
serveBenchApp(
  kind === 'coatcheck'
    ? session({ secret })
    : kind === 'express-session'
      ? expressSession({ secret, resave: false, saveUninitialized: false })
      : undefined,
);
