// The routes every HTTP benchmark server serves, whatever session middleware it runs, so the
// numbers compare the middleware and its store, nothing else. Express 5, or Express 4 with
// BENCH_EXPRESS=4.
import type { AddressInfo } from 'node:net';
import type { Express, RequestHandler } from 'express';
import express5 from 'express';
import express4 from 'express4';

const express = (process.env.BENCH_EXPRESS === '4' ? express4 : express5) as typeof express5;

type Data = { name?: string; visits?: number; cart?: unknown[] };

/** Listens on 127.0.0.1 and prints the URL; `/login` stores a session of realistic size. */
export function serveBenchApp(
  middleware: RequestHandler | undefined,
  options: { onClose?: () => unknown; routes?: (app: Express) => void } = {},
): void {
  const app = express();
  options.routes?.(app);
  if (middleware) app.use(middleware);
  const data = (req: unknown) => ((req as { session?: Data }).session ?? {}) as Data;
  app.get('/login', (req, res) => {
    const session = data(req);
    session.name = 'Ada Lovelace';
    session.visits = 0;
    session.cart = Array.from({ length: 10 }, (_, n) => ({ sku: `sku-${n}`, qty: n }));
    res.send('ok');
  });
  app.get('/read', (req, res) => {
    res.send(data(req).name ?? 'nobody');
  });
  app.get('/write', (req, res) => {
    const session = data(req);
    session.visits = (session.visits ?? 0) + 1;
    res.send(String(session.visits));
  });
  app.get('/__cpu', (_req, res) => {
    const { user, system } = process.cpuUsage();
    res.json({ micros: user + system });
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
  });
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => void options.onClose?.());
  });
}
