import { request } from 'node:http';

/** A response, read whole. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A tiny cookie-keeping HTTP client over node:http, which (unlike fetch) sends exactly the headers
 * it is given: tests choose whether a request has `Origin` or `Sec-Fetch-Site`, as old browsers,
 * new browsers and scripts differ in that.
 */
export class Client {
  readonly base: string;
  readonly jar = new Map<string, string>();

  constructor(base: string) {
    this.base = base;
  }

  cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  send(
    method: string,
    path: string,
    options: {
      headers?: Record<string, string>;
      form?: Record<string, string> | URLSearchParams;
      json?: unknown;
    } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.form) {
      body = new URLSearchParams(options.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    } else if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (this.jar.size > 0 && headers.cookie === undefined) headers.cookie = this.cookieHeader();
    return new Promise((resolve, reject) => {
      // agent: false: a fresh connection per request, so a restarted server never meets a stale socket.
      const req = request(new URL(path, this.base), { method, headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          for (const line of res.headers['set-cookie'] ?? []) {
            const [pair = ''] = line.split(';');
            const eq = pair.indexOf('=');
            const name = pair.slice(0, eq);
            const value = pair.slice(eq + 1);
            if (/Expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.jar.delete(name);
            else this.jar.set(name, value);
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.send('GET', path, headers ? { headers } : {});
  }

  /** A form POST as a current browser sends it from one of the site's own pages. */
  post(
    path: string,
    form: Record<string, string>,
    headers: Record<string, string> = { 'sec-fetch-site': 'same-origin' },
  ) {
    return this.send('POST', path, { form, headers });
  }
}

/**
 * The CSRF token of the first form on a page, or `''` on a page for a visitor without a session,
 * whose forms carry none (their first post is checked by its headers alone).
 */
export function csrfTokenIn(page: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
}
