import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { RequestListener } from 'node:http';
import {
  createServer as createHttpsServer,
  type Server as HttpsServer,
  request as httpsRequest,
} from 'node:https';
import type { AddressInfo } from 'node:net';
import { generateCertificate, type TestCertificate } from './tls.js';

/** A browser's device key, written from node:crypto alone: what Chromium's key provider does. */
export class DeviceKey {
  readonly alg: 'ES256' | 'RS256';
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, string>;

  constructor(alg: 'ES256' | 'RS256', modulusLength = 2048) {
    this.alg = alg;
    const pair =
      alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength });
    this.privateKey = pair.privateKey;
    const { kty, crv, x, y, n, e } = pair.publicKey.export({ format: 'jwk' }) as Record<string, string>;
    this.jwk = alg === 'ES256' ? { kty: kty!, crv: crv!, x: x!, y: y! } : { kty: kty!, n: n!, e: e! };
  }

  /** A compact JWS over `header` and `payload`, signed as the header's `alg` says when it is ours. */
  signJws(header: Record<string, unknown>, payload: Record<string, unknown>): string {
    const input = `${base64url(header)}.${base64url(payload)}`;
    const signature =
      this.alg === 'ES256'
        ? sign('sha256', Buffer.from(input), { key: this.privateKey, dsaEncoding: 'ieee-p1363' })
        : sign('sha256', Buffer.from(input), this.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }

  /** A `Secure-Session-Response` as Chromium sends it: with the `jwk` at registration, without on refresh. */
  proof(
    jti: string,
    options: { withJwk?: boolean; authorization?: string; header?: Record<string, unknown> } = {},
  ): string {
    const header: Record<string, unknown> = { alg: this.alg, typ: 'dbsc+jwt', ...options.header };
    if (options.withJwk) header.jwk = this.jwk;
    const payload: Record<string, unknown> = { jti };
    if (options.authorization !== undefined) payload.authorization = options.authorization;
    return this.signJws(header, payload);
  }
}

export function base64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/** An HS256 token, as an attacker would try: signed with a shared key instead of a device key. */
export function hs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: string,
): string {
  const input = `${base64url(header)}.${base64url(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** An HTTPS server on 127.0.0.1 with a generated certificate. */
export interface TestHttpsServer {
  url: string;
  server: HttpsServer;
  certificate: TestCertificate;
  close(): Promise<void>;
}

let shared: TestCertificate | undefined;

/** Listens over HTTPS on a random port; one certificate per test process. */
export async function listenHttps(handler: RequestListener): Promise<TestHttpsServer> {
  shared ??= generateCertificate();
  const certificate = shared;
  const server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, handler);
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    server,
    certificate,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  setCookies: string[];
}

/** An HTTP client over HTTPS that trusts the test certificate and keeps cookies, like a browser without DBSC. */
export class HttpsClient {
  readonly jar = new Map<string, string>();
  constructor(
    readonly base: string,
    readonly ca: string,
  ) {}

  cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  request(
    path: string,
    options: { method?: string; headers?: Record<string, string>; cookie?: string } = {},
  ): Promise<HttpsAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    const cookie = options.cookie ?? this.cookieHeader();
    if (cookie) headers.cookie = cookie;
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${this.base}${path}`,
        { method: options.method ?? 'GET', headers, ca: this.ca, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const raw = res.headers['set-cookie'] ?? [];
            for (const line of raw) {
              const [pair = ''] = line.split(';');
              const eq = pair.indexOf('=');
              const name = pair.slice(0, eq).trim();
              const value = pair.slice(eq + 1).trim();
              if (value === '' || /expires=Thu, 01 Jan 1970|max-age=0(;|$)/i.test(line))
                this.jar.delete(name);
              else this.jar.set(name, value);
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
              setCookies: raw,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
}

/** The challenge and path of a `Secure-Session-Registration` header. */
export function registrationOf(header: unknown): { path: string; challenge: string; authorization?: string } {
  const match = /^\(([A-Z0-9 ]+)\);path="([^"]+)";challenge="([^"]+)"(?:;authorization="([^"]*)")?$/.exec(
    String(header),
  );
  if (!match) throw new Error(`not a registration header: ${String(header)}`);
  return {
    path: match[2] as string,
    challenge: match[3] as string,
    ...(match[4] === undefined ? {} : { authorization: match[4] }),
  };
}

/** The challenge and id of a `Secure-Session-Challenge` header. */
export function challengeOf(header: unknown): { challenge: string; id: string } {
  const match = /^"([^"\\]+)";id="([^"\\]+)"$/.exec(String(header));
  if (!match) throw new Error(`not a challenge header: ${String(header)}`);
  return { challenge: match[1] as string, id: match[2] as string };
}

export interface Registered {
  /** The DBSC session identifier. */
  id: string;
  refreshUrl: string;
  configuration: Record<string, unknown>;
  answer: HttpsAnswer;
}

/** What Chromium does after a registration header: sign the challenge with a new key and POST it. */
export async function register(client: HttpsClient, device: DeviceKey, header: unknown): Promise<Registered> {
  const { path, challenge, authorization } = registrationOf(header);
  const answer = await client.request(path, {
    method: 'POST',
    headers: {
      'secure-session-response': device.proof(challenge, {
        withJwk: true,
        ...(authorization === undefined ? {} : { authorization }),
      }),
    },
  });
  if (answer.status !== 200) throw new Error(`registration answered ${answer.status}`);
  const configuration = JSON.parse(answer.body) as Record<string, unknown>;
  return {
    id: String(configuration.session_identifier),
    refreshUrl: String(configuration.refresh_url),
    configuration,
    answer,
  };
}

/** What Chromium does when the bound cookie is due: ask, get a challenge, answer it signed. */
export async function refresh(
  client: HttpsClient,
  device: DeviceKey,
  registered: Registered,
): Promise<HttpsAnswer> {
  const first = await client.request(registered.refreshUrl, {
    method: 'POST',
    headers: { 'sec-secure-session-id': registered.id },
  });
  if (first.status !== 403) throw new Error(`refresh without proof answered ${first.status}`);
  const { challenge } = challengeOf(first.headers['secure-session-challenge']);
  return client.request(registered.refreshUrl, {
    method: 'POST',
    headers: { 'sec-secure-session-id': registered.id, 'secure-session-response': device.proof(challenge) },
  });
}

/**
 * What a thief holding a copy of the cookies can do at the refresh endpoint without the device's
 * key: ask for a challenge (403 with one), then answer it signed by a key of its own. Returns both
 * answers; the second must be a 401 that sets no cookie.
 */
export async function refreshWithAnotherKey(
  copy: HttpsClient,
  registered: Registered,
): Promise<{ asked: HttpsAnswer; forged: HttpsAnswer }> {
  const asked = await copy.request(registered.refreshUrl, {
    method: 'POST',
    headers: { 'sec-secure-session-id': registered.id },
  });
  const { challenge } = challengeOf(asked.headers['secure-session-challenge']);
  const forged = await copy.request(registered.refreshUrl, {
    method: 'POST',
    headers: {
      'sec-secure-session-id': registered.id,
      'secure-session-response': new DeviceKey('ES256').proof(challenge),
    },
  });
  return { asked, forged };
}
