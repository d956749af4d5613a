// A Fetch API server on node:http for the tests: each HTTP request becomes a WHATWG `Request`, the
// handler's `Response` goes back over the wire (every Set-Cookie line kept), as a Fetch runtime
// (Deno.serve, Bun.serve, a Worker, @hono/node-server) would do it. An error the handler throws is
// answered as JSON `{ code, status }`, with the error's status (500 without one).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { listen, type TestServer } from '../../packages/coatcheck/test/helpers/http.js';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

function toRequest(req: IncomingMessage, scheme: string): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(`${scheme}://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
  } as RequestInit);
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const cookies = response.headers.getSetCookie();
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.appendHeader(name, value);
  }
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  res.statusCode = response.status;
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** Serves `handler` on 127.0.0.1 over HTTP; `scheme` is what `request.url` says (a TLS proxy in front). */
export async function serveFetch(
  handler: FetchHandler,
  scheme: 'http' | 'https' = 'http',
): Promise<TestServer> {
  return listen(fetchListener(handler, scheme));
}

/** `handler` as a node:http request listener, for a server of the caller's (HTTPS: `listenHttps`). */
export function fetchListener(
  handler: FetchHandler,
  scheme: 'http' | 'https',
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    Promise.resolve()
      .then(() => handler(toRequest(req, scheme)))
      .then(
        (response) => send(res, response),
        (err: { code?: string; status?: number }) =>
          send(
            res,
            Response.json(
              { code: err.code ?? 'unknown', status: err.status ?? 500 },
              { status: err.status ?? 500 },
            ),
          ),
      )
      .catch(() => res.destroy());
  };
}
