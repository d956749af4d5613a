import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import type { Algorithm } from '../src/algorithms.js';
import { signToken } from '../src/sign.js';
import { createVerifier } from '../src/verify.js';
import { ec256, ed25519, pem, rsa, secret } from './helpers.js';

const pairs: Array<[Algorithm, unknown, unknown]> = [
  ['HS256', secret, secret],
  ['HS512', createSecretKey(Buffer.from(secret)), secret],
  ['RS256', pem(rsa.privateKey), rsa.publicKey],
  ['PS512', rsa.privateKey, pem(rsa.publicKey)],
  ['ES256', ec256.privateKey.export({ format: 'jwk' }), ec256.publicKey],
  ['EdDSA', ed25519.privateKey, ed25519.publicKey],
];

describe('signToken', () => {
  for (const [algorithm, signKey, verifyKey] of pairs) {
    it(`signs ${algorithm} tokens our verifier and jose accept`, async () => {
      const token = await signToken(
        { role: 'admin' },
        { key: signKey as never, algorithm, subject: 'u1', expiresIn: 60 },
      );
      const { payload, header } = await createVerifier({
        key: verifyKey as never,
        algorithms: [algorithm],
      }).verify(token);
      assert.equal(header.alg, algorithm);
      assert.equal(payload.role, 'admin');
      assert.equal(payload.sub, 'u1');
      assert.equal(payload.exp! - payload.iat!, 60);
    });
  }

  it('makes tokens jsonwebtoken verifies', async () => {
    const token = await signToken(
      { a: 1 },
      { key: rsa.privateKey, algorithm: 'RS256', issuer: 'me', audience: ['x', 'y'] },
    );
    const payload = jsonwebtoken.verify(token, rsa.publicKey, {
      algorithms: ['RS256'],
      issuer: 'me',
      audience: 'y',
    });
    assert.equal((payload as { a: number }).a, 1);
    const viaJose = await jwtVerify(token, await importSPKI(pem(rsa.publicKey), 'RS256'));
    assert.equal(viaJose.payload.iss, 'me');
  });

  it('sets every registered claim and header it is asked to', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const token = await signToken(
      { custom: true },
      {
        key: secret,
        algorithm: 'HS256',
        now,
        expiresIn: '15m',
        notBefore: 5,
        issuer: 'iss',
        audience: 'aud',
        subject: 'sub',
        jwtId: 'id-1',
        keyId: 'k1',
        typ: 'at+jwt',
      },
    );
    const iat = now.getTime() / 1000;
    assert.deepEqual(jsonwebtoken.decode(token), {
      custom: true,
      iat,
      exp: iat + 900,
      nbf: iat + 5,
      iss: 'iss',
      aud: 'aud',
      sub: 'sub',
      jti: 'id-1',
    });
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'at+jwt', kid: 'k1' });
  });

  it('expires in 15 minutes by default, never with expiresIn: false, and draws a jti on request', async () => {
    const byDefault = jsonwebtoken.decode(await signToken({}, { key: secret, algorithm: 'HS256' })) as Record<
      string,
      number
    >;
    assert.equal(byDefault.exp! - byDefault.iat!, 900);
    const forever = jsonwebtoken.decode(
      await signToken({}, { key: secret, algorithm: 'HS256', expiresIn: false }),
    ) as object;
    assert.ok(!('exp' in forever));
    const withJti = jsonwebtoken.decode(
      await signToken({}, { key: secret, algorithm: 'HS256', jwtId: true }),
    ) as { jti: string };
    assert.match(withJti.jti, /^[0-9a-f-]{36}$/);
  });

  const refusals: Array<[string, object]> = [
    ['alg none', { key: secret, algorithm: 'none' }],
    ['no algorithm', { key: secret }],
    ['an RSA key for HS256', { key: pem(rsa.privateKey), algorithm: 'HS256' }],
    ['a public key for RS256', { key: rsa.publicKey, algorithm: 'RS256' }],
    ['an HMAC secret for RS256', { key: secret, algorithm: 'RS256' }],
    ['an EC key for RS256', { key: ec256.privateKey, algorithm: 'RS256' }],
    ['a bad expiresIn', { key: secret, algorithm: 'HS256', expiresIn: 'eventually' }],
  ];
  for (const [title, options] of refusals) {
    it(`refuses ${title} with a TypeError`, async () => {
      await assert.rejects(signToken({}, options as never), TypeError);
    });
  }
});
