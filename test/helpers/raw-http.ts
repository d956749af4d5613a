/**
 * HTTP without a client's manners: header bytes go out exactly as given (fetch and node:http refuse
 * what a browser would never send, which is what an attacker sends), to a server that accepts large
 * headers so the application, not Node's parser, meets them.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';

export interface RawServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 with a random port and a 1 MiB header limit (Node's default is 16 KiB). */
export async function listenRaw(handler: RequestListener, maxHeaderSize = 1024 * 1024): Promise<RawServer> {
  const server = createServer({ maxHeaderSize }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawResponse {
  status: number;
  /** Header lines, lower-cased names. */
  headers: Array<[string, string]>;
  body: string;
}

/**
 * Sends one request whose header lines are written byte for byte (latin1) and reads the response
 * until the server closes the connection. Rejects after `timeout` ms: a hang is a failure.
 */
export function rawRequest(
  port: number,
  request: { method?: string; path?: string; headers?: Array<[string, string]>; body?: string },
  timeout = 5000,
): Promise<RawResponse> {
  const { method = 'GET', path = '/', headers = [], body = '' } = request;
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (body !== '') lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  const wire = Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response within ${timeout} ms`));
    }, timeout);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (err) => {
      // The server may answer (431, 400) and close before reading everything: keep what came.
      if (chunks.length === 0) {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = (split === -1 ? text : text.slice(0, split)).split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
      if (!Number.isInteger(status)) {
        reject(new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const parsed: Array<[string, string]> = head.slice(1).map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      });
      resolve({ status, headers: parsed, body: split === -1 ? '' : text.slice(split + 4) });
    });
    socket.write(wire);
  });
}
