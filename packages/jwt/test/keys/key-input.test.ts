import assert from 'node:assert/strict';
import { KeyObject, webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import { KeyObjectCache, toKeyObject } from '../../src/keys/key-input.js';
import { ec256, pem, rsa, secret } from '../helpers.js';

describe('toKeyObject', () => {
  it('reads an HMAC secret from a string, bytes, a KeyObject or an oct JWK', () => {
    const forms = [
      secret,
      Buffer.from(secret),
      new Uint8Array(Buffer.from(secret)),
      { kty: 'oct', k: Buffer.from(secret).toString('base64url') },
    ];
    for (const form of forms) {
      const key = toKeyObject(form, true, 'verify');
      assert.equal(key.type, 'secret');
      assert.deepEqual(key.export(), Buffer.from(secret));
    }
  });

  it('reads a public key from PEM text, PEM bytes, a JWK, a KeyObject or a CryptoKey', async () => {
    const cryptoKey = await webcrypto.subtle.importKey(
      'jwk',
      ec256.publicKey.export({ format: 'jwk' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['verify'],
    );
    const forms = [
      pem(ec256.publicKey),
      Buffer.from(pem(ec256.publicKey)),
      ec256.publicKey,
      ec256.publicKey.export({ format: 'jwk' }),
      cryptoKey,
    ];
    for (const form of forms) {
      const key = toKeyObject(form, false, 'verify');
      assert.ok(key instanceof KeyObject);
      assert.ok(key.equals(ec256.publicKey));
    }
  });

  it('keeps only the public half of a private key given for verification', () => {
    for (const form of [rsa.privateKey, pem(rsa.privateKey), rsa.privateKey.export({ format: 'jwk' })]) {
      const key = toKeyObject(form, false, 'verify');
      assert.equal(key.type, 'public');
      assert.ok(key.equals(rsa.publicKey));
    }
  });

  const refused: Array<[string, unknown, boolean]> = [
    ['a number', 42, true],
    ['null', null, false],
    ['an empty string', '', true],
    ['empty bytes', new Uint8Array(), false],
    ['a PEM public key as an HMAC secret', pem(rsa.publicKey), true],
    ['a JWK of another kty as an HMAC secret', ec256.publicKey.export({ format: 'jwk' }), true],
    ['a JWK for encryption', { ...ec256.publicKey.export({ format: 'jwk' }), use: 'enc' }, false],
    ['a broken JWK', { kty: 'EC', crv: 'P-256', x: 'AA' }, false],
    ['text that is not a key', 'definitely not a key', false],
  ];
  for (const [title, input, symmetric] of refused) {
    it(`refuses ${title} with a TypeError`, () => {
      assert.throws(() => toKeyObject(input, symmetric, 'verify'), TypeError);
    });
  }
});

describe('KeyObjectCache', () => {
  it('imports an object or a string once', () => {
    const cache = new KeyObjectCache(false);
    const jwk = ec256.publicKey.export({ format: 'jwk' });
    assert.equal(cache.get(jwk), cache.get(jwk));
    const text = pem(ec256.publicKey);
    assert.equal(cache.get(text), cache.get(text));
  });

  it('re-reads bytes every time, since their owner may change them', () => {
    const cache = new KeyObjectCache(true);
    const bytes = Buffer.from('first-secret');
    const first = cache.get(bytes);
    bytes.write('other');
    assert.notDeepEqual(cache.get(bytes).export(), first.export());
  });
});
