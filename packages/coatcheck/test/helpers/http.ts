import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import express5 from 'express';
import express4 from 'express4';

/** An HTTP server on 127.0.0.1 with a random port, closed by `close()`. */
export interface TestServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function listen(handler: RequestListener, options: ServerOptions = {}): Promise<TestServer> {
  const server = createServer(options, handler);
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: both Express majors' apps, used the same way
export type AnyApp = any;

/** Express 4 and Express 5, for tests that must pass on both. */
export const EXPRESS: ReadonlyArray<readonly [string, () => AnyApp]> = [
  ['Express 4', () => express4()],
  ['Express 5', () => express5()],
];

/** One browser: keeps the cookies servers set, sends them back. */
export class Client {
  readonly jar = new Map<string, string>();
  constructor(readonly base: string) {}

  cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async fetch(
    path: string,
    init: RequestInit & { cookie?: string } = {},
  ): Promise<Response & { setCookies: string[] }> {
    const headers = new Headers(init.headers);
    const cookie = init.cookie ?? this.cookieHeader();
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(this.base + path, { ...init, headers, redirect: 'manual' });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return Object.assign(response, { setCookies });
  }

  async text(path: string, init?: RequestInit & { cookie?: string }): Promise<string> {
    return (await this.fetch(path, init)).text();
  }
}
