import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { errors } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { KeySourceError } from '../../src/errors.js';
import { localJwks, remoteJwks } from '../../src/keys/jwks.js';
import { createVerifier } from '../../src/verify.js';
import { ec256, ed25519, type KeyPair, type Listening, listen, rsa, rsaSmall } from '../helpers.js';

const jwkOf = (pair: KeyPair, kid: string, extra: Record<string, unknown> = {}) => ({
  ...pair.publicKey.export({ format: 'jwk' }),
  kid,
  use: 'sig',
  ...extra,
});

/** A JWKS endpoint whose key set and behaviour a test can change, counting its requests. */
class JwksEndpoint {
  keys: object[] = [jwkOf(rsa, 'rsa-1'), jwkOf(ec256, 'ec-1')];
  mode: 'ok' | 'slow' | 'error' | 'garbage' = 'ok';
  requests = 0;
  #pending = new Set<ServerResponse>();

  handle = (_req: IncomingMessage, res: ServerResponse) => {
    this.requests++;
    switch (this.mode) {
      case 'slow':
        // Answers long after any sensible timeout; the test ends before that.
        this.#pending.add(res);
        setTimeout(() => res.end(JSON.stringify({ keys: this.keys })), 10_000).unref();
        return;
      case 'error':
        res.statusCode = 500;
        res.end('down for maintenance');
        return;
      case 'garbage':
        res.setHeader('content-type', 'application/json');
        res.end('{"keys": [');
        return;
      default:
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: this.keys }));
    }
  };
}

describe('remoteJwks over HTTP', () => {
  const endpoint = new JwksEndpoint();
  let server: Listening;
  before(async () => {
    server = await listen(endpoint.handle);
  });
  after(() => server.close());

  it('verifies RS256 and ES256 tokens by kid, fetching the set once', async () => {
    endpoint.mode = 'ok';
    const before = endpoint.requests;
    const verifier = createVerifier({
      key: remoteJwks(`${server.url}/jwks.json`),
      algorithms: ['RS256', 'ES256'],
    });
    const rsToken = jsonwebtoken.sign({ sub: 'r' }, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' });
    const esToken = jsonwebtoken.sign({ sub: 'e' }, ec256.privateKey, { algorithm: 'ES256', keyid: 'ec-1' });
    const results = await Promise.all([
      verifier.verify(rsToken),
      verifier.verify(esToken),
      verifier.verify(rsToken),
    ]);
    assert.deepEqual(
      results.map((r) => r.payload.sub),
      ['r', 'e', 'r'],
    );
    assert.equal(endpoint.requests - before, 1);
  });

  it('accepts a URL as the secret', async () => {
    endpoint.mode = 'ok';
    const verifier = createVerifier({ key: new URL(`${server.url}/jwks.json`), algorithms: ['ES256'] });
    const token = jsonwebtoken.sign({ sub: 'u' }, ec256.privateKey, { algorithm: 'ES256', keyid: 'ec-1' });
    assert.equal((await verifier.verify(token)).payload.sub, 'u');
  });

  it('picks up a rotated-in key after the cooldown, and refuses an unknown kid with a jose error', async () => {
    endpoint.mode = 'ok';
    endpoint.keys = [jwkOf(rsa, 'rsa-1')];
    const verifier = createVerifier({
      key: remoteJwks(`${server.url}/rotating`, { cooldown: 0 }),
      algorithms: ['EdDSA', 'RS256'],
    });
    await verifier.verify(jsonwebtoken.sign({}, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' }));
    const { SignJWT } = await import('jose');
    const edToken = await new SignJWT({ sub: 'ed' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'ed-1' })
      .sign(ed25519.privateKey);
    await assert.rejects(verifier.verify(edToken), errors.JWKSNoMatchingKey);
    endpoint.keys = [jwkOf(rsa, 'rsa-1'), jwkOf(ed25519, 'ed-1')];
    assert.equal((await verifier.verify(edToken)).payload.sub, 'ed');
  });

  it('refuses a token signed by a key that is not in the set', async () => {
    endpoint.mode = 'ok';
    endpoint.keys = [jwkOf(rsa, 'rsa-1')];
    const { privateKey } = await import('node:crypto').then((c) =>
      c.generateKeyPairSync('rsa', { modulusLength: 2048 }),
    );
    const verifier = createVerifier({ key: remoteJwks(`${server.url}/x`), algorithms: ['RS256'] });
    const forged = jsonwebtoken.sign({ sub: 'forged' }, privateKey, { algorithm: 'RS256', keyid: 'rsa-1' });
    await assert.rejects(verifier.verify(forged), errors.JWSSignatureVerificationFailed);
  });

  for (const mode of ['error', 'garbage'] as const) {
    it(`reports an endpoint answering ${mode === 'error' ? '500' : 'broken JSON'} as a KeySourceError`, async () => {
      endpoint.mode = mode;
      const verifier = createVerifier({ key: remoteJwks(`${server.url}/${mode}`), algorithms: ['RS256'] });
      const token = jsonwebtoken.sign({}, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' });
      await assert.rejects(verifier.verify(token), (error: KeySourceError) => {
        assert.ok(error instanceof KeySourceError);
        assert.equal(error.status, 503);
        assert.ok(error.cause instanceof Error);
        assert.doesNotMatch(error.message, new RegExp(token.slice(0, 20)));
        return true;
      });
    });
  }

  it('gives up on a slow endpoint after the timeout, with a clear error', async () => {
    endpoint.mode = 'slow';
    const verifier = createVerifier({
      key: remoteJwks(`${server.url}/slow`, { timeout: 200 }),
      algorithms: ['RS256'],
    });
    const token = jsonwebtoken.sign({}, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' });
    const started = performance.now();
    await assert.rejects(verifier.verify(token), (error: KeySourceError) => {
      assert.ok(error instanceof KeySourceError);
      assert.match(error.message, /timed out/);
      assert.ok(error.cause instanceof errors.JWKSTimeout);
      return true;
    });
    // The endpoint would have answered after 10 s; the verifier must not have waited for it.
    assert.ok(performance.now() - started < 5_000);
  });
});

describe('remoteJwks against an endpoint that is down', () => {
  it('fails with a KeySourceError, and recovers once the endpoint is back', async () => {
    const endpoint = new JwksEndpoint();
    const server = await listen(endpoint.handle);
    const url = `${server.url}/jwks.json`;
    await server.close();
    const verifier = createVerifier({ key: remoteJwks(url, { timeout: 1000 }), algorithms: ['RS256'] });
    const token = jsonwebtoken.sign({ sub: 'back' }, rsa.privateKey, { algorithm: 'RS256', keyid: 'rsa-1' });
    await assert.rejects(verifier.verify(token), KeySourceError);
    const port = Number(new URL(url).port);
    const { createServer } = await import('node:http');
    const revived = createServer(endpoint.handle);
    await new Promise<void>((resolve) => revived.listen(port, '127.0.0.1', resolve));
    try {
      assert.equal((await verifier.verify(token)).payload.sub, 'back');
    } finally {
      revived.closeAllConnections();
      await new Promise((resolve) => revived.close(resolve));
    }
  });
});

describe('remoteJwks options', () => {
  const cases: Array<[string, () => unknown]> = [
    ['a relative URL', () => remoteJwks('/jwks.json')],
    ['a file URL', () => remoteJwks('file:///etc/jwks.json')],
    ['a negative timeout', () => remoteJwks('https://issuer.example/jwks', { timeout: -1 })],
    ['a fractional cooldown', () => remoteJwks('https://issuer.example/jwks', { cooldown: 1.5 })],
    [
      'HMAC algorithms',
      () => createVerifier({ key: remoteJwks('https://issuer.example/jwks'), algorithms: ['HS256'] }),
    ],
  ];
  for (const [title, build] of cases) {
    it(`refuses ${title} with a TypeError`, () => {
      assert.throws(build, TypeError);
    });
  }
});

describe('localJwks', () => {
  it('tries each candidate when the token names no kid', async () => {
    const other = await import('node:crypto').then((c) =>
      c.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    );
    const set = localJwks({ keys: [jwkOf(other, 'a'), jwkOf(ec256, 'b')] });
    const verifier = createVerifier({ key: set, algorithms: ['ES256'] });
    const token = jsonwebtoken.sign({ sub: 'no-kid' }, ec256.privateKey, { algorithm: 'ES256' });
    assert.equal((await verifier.verify(token)).payload.sub, 'no-kid');
  });

  it('skips a candidate that does not fit the algorithm, and refuses when none does', async () => {
    const weak = jwkOf(rsaSmall, 'weak');
    delete (weak as { kid?: string }).kid;
    const strong = jwkOf(rsa, 'strong');
    delete (strong as { kid?: string }).kid;
    const token = jsonwebtoken.sign({ sub: 'strong' }, rsa.privateKey, { algorithm: 'RS256' });
    const both = createVerifier({ key: localJwks({ keys: [weak, strong] }), algorithms: ['RS256'] });
    assert.equal((await both.verify(token)).payload.sub, 'strong');
    const weakOnly = createVerifier({ key: localJwks({ keys: [weak] }), algorithms: ['RS256'] });
    await assert.rejects(weakOnly.verify(token), errors.JOSEAlgNotAllowed);
  });

  it('skips keys meant for encryption and keys bound to another alg', async () => {
    const set = localJwks({ keys: [jwkOf(ec256, 'enc', { use: 'enc' }), jwkOf(rsa, 'r', { alg: 'PS256' })] });
    const verifier = createVerifier({ key: set, algorithms: ['ES256', 'RS256'] });
    const es = jsonwebtoken.sign({}, ec256.privateKey, { algorithm: 'ES256', keyid: 'enc' });
    const rs = jsonwebtoken.sign({}, rsa.privateKey, { algorithm: 'RS256', keyid: 'r' });
    await assert.rejects(verifier.verify(es), errors.JWKSNoMatchingKey);
    await assert.rejects(verifier.verify(rs), errors.JWKSNoMatchingKey);
  });

  it('refuses something that is not a key set', () => {
    assert.throws(() => localJwks({ keys: 'nope' } as never), TypeError);
  });
});
