// A server for session.bench.ts, run in its own process: `tsx session-server.ts <bare|coatcheck|express-session>`.
// Prints its URL on stdout once listening.
import type { AddressInfo } from 'node:net';
import session from 'coatcheck';
import express from 'express';
import expressSession from 'express-session';

const SECRET = 'a benchmark secret that is at least thirty-two bytes long';
const kind = process.argv[2];
const app = express();

if (kind === 'coatcheck') app.use(session({ secret: SECRET }));
else if (kind === 'express-session') app.use(expressSession({ secret: SECRET, resave: false, saveUninitialized: false }));
else if (kind !== 'bare') throw new Error(`unknown server kind ${kind}`);

type Counter = { views?: number; user?: string };
app.get('/read', (req, res) => {
  const s = (req as unknown as { session?: Counter }).session;
  res.send(`views: ${s?.views ?? 0}`);
});
app.get('/write', (req, res) => {
  const s = (req as unknown as { session?: Counter }).session ?? {};
  s.views = (s.views ?? 0) + 1;
  s.user ??= 'bench-user';
  res.send(`views: ${s.views}`);
});

const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`http://127.0.0.1:${port}\n`);
});
// Exit normally on SIGINT so `--cpu-prof` can write its profile.
process.on('SIGINT', () => process.exit(0));
