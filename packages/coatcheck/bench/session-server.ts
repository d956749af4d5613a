// A server for session.bench.ts and shape.bench.ts:
// `session-server.ts <bare|coatcheck|coatcheck-unsettled|express-session>`, each on its own
// MemoryStore (`coatcheck-unsettled` is coatcheck with `settleShapes: false`). Prints its URL.
import session from 'coatcheck';
import expressSession from 'express-session';
import { serveBenchApp } from '../../../scripts/lib/bench-app.js';

const secret = 'a benchmark secret that is at least thirty-two bytes long';
const kind = process.argv[2];
const middlewares = {
  bare: () => undefined,
  coatcheck: () => session({ secret }),
  'coatcheck-unsettled': () => session({ secret, settleShapes: false }),
  'express-session': () => expressSession({ secret, resave: false, saveUninitialized: false }),
} as const;
if (kind === undefined || !Object.hasOwn(middlewares, kind)) throw new Error(`unknown kind ${kind}`);
serveBenchApp(middlewares[kind as keyof typeof middlewares]());
