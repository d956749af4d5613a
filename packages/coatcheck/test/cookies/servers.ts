// Test servers: the same middleware and handler mounted on Express 4, Express 5 and plain
// node:http, listening on 127.0.0.1 with an ephemeral port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import express5 from 'express';

const require = createRequire(import.meta.url);
const express4 = require('express4') as typeof express5;

export type Next = (error?: unknown) => void;
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: Next) => void;
// biome-ignore lint/suspicious/noExplicitAny: handlers receive the framework's own request type
export type Handler = (req: any, res: any) => void;
export type Framework = 'express4' | 'express5' | 'node:http';
export const frameworks: readonly Framework[] = ['express4', 'express5', 'node:http'];

export interface Running {
  url: string;
  close(): Promise<void>;
}

function sendError(res: ServerResponse, error: unknown): void {
  const e = error as { status?: number; code?: string; reason?: string; message?: string; name?: string };
  res.statusCode = typeof e.status === 'number' ? e.status : 500;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ name: e.name, code: e.code, reason: e.reason, message: e.message }));
}

function listen(server: Server): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Mounts `middleware` then `handler`; errors (from either) answer with their status and code as JSON. */
export function serve(
  framework: Framework,
  middleware: readonly Middleware[],
  handler: Handler,
): Promise<Running> {
  if (framework === 'node:http') {
    return listen(
      createServer((req, res) => {
        let index = 0;
        const next: Next = (error) => {
          if (error !== undefined) return sendError(res, error);
          const step = middleware[index++];
          try {
            if (step !== undefined) step(req, res, next);
            else handler(req, res);
          } catch (caught) {
            sendError(res, caught);
          }
        };
        next();
      }),
    );
  }
  const app = framework === 'express4' ? express4() : express5();
  app.use(express5.urlencoded({ extended: false }));
  for (const step of middleware) app.use(step);
  app.use((req, res) => handler(req, res));
  app.use((error: unknown, _req: unknown, res: ServerResponse, _next: unknown) => sendError(res, error));
  return listen(createServer(app));
}

/** The `name=value` pairs of a response's Set-Cookie headers, ready for a Cookie header. */
export function cookiePairs(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0])
    .join('; ');
}
